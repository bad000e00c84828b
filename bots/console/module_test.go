package console

import (
	"context"
	"testing"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
)

func TestModuleProvidesTheChatSurface(t *testing.T) {
	out := &output{t: t}
	var chat bridge.Chat
	var surface *Surface
	app := fx.New(fx.NopLogger,
		fx.Supply(Config{}, &Streams{Out: out}),
		Module,
		fx.Populate(&chat, &surface),
	)
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	if chat.Name() != "console" || chat != bridge.Chat(surface) {
		t.Fatalf("module provided %v and %v, want the one console surface", chat, surface)
	}
	if _, err := surface.OpenThread(context.Background(), header("Alice", true)); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got == "" {
		t.Fatalf("the surface does not print to the supplied streams")
	}
}

func TestModuleRefusesBadConfig(t *testing.T) {
	app := fx.New(fx.NopLogger, fx.Supply(Config{User: "two words"}, &Streams{}), Module, fx.Invoke(func(bridge.Chat) {}))
	if app.Err() == nil {
		t.Fatal("a bad config was accepted")
	}
}
