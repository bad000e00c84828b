package telegram_test

import (
	"log/slog"
	"testing"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

func TestModuleProvidesChat(t *testing.T) {
	var chat bridge.Chat
	app := fx.New(
		fx.NopLogger,
		fx.Supply(telegram.Config{Token: telegramtest.Token, InboxChat: -100123}, slog.New(slog.DiscardHandler)),
		telegram.Module,
		fx.Populate(&chat),
	)
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	if chat == nil || chat.Name() != "telegram" {
		t.Fatalf("chat = %v", chat)
	}
	bad := fx.New(
		fx.NopLogger,
		fx.Supply(telegram.Config{Token: telegramtest.Token, InboxChat: -100123, Reactions: telegram.Reactions{Sent: "✅"}}, slog.New(slog.DiscardHandler)),
		telegram.Module,
		fx.Populate(&chat),
	)
	if bad.Err() == nil {
		t.Error("an invalid reaction did not stop the application")
	}
}
