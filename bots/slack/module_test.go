package slack

import (
	"net/http"
	"net/url"
	"testing"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

func TestModuleProvidesTheChatSurface(t *testing.T) {
	var chat bridge.Chat
	var surface *Surface
	mux := http.NewServeMux()
	app := fx.New(
		fx.NopLogger,
		fx.Supply(Config{BotToken: "xoxb-1", Mode: ModeHTTP, SigningSecret: "s", InboxChannel: "C0INBOX"}),
		fx.Provide(func() bridge.Routes { return mux }),
		fx.Provide(func() bridge.Clock { return bridgetest.NewClock(epoch) }),
		Module,
		fx.Populate(&chat, &surface),
	)
	if err := app.Err(); err != nil {
		t.Fatalf("fx: %v", err)
	}
	if chat == nil || chat.Name() != "slack" || chat != bridge.Chat(surface) {
		t.Fatalf("bridge.Chat = %v, want the Slack surface", chat)
	}
	if _, ok := chat.(bridge.PostedChecker); !ok {
		t.Fatalf("the surface does not offer PostedChecker")
	}
	// HTTP mode registered its endpoints.
	for _, p := range []string{PathEvents, PathCommands, PathInteractivity} {
		if _, pattern := mux.Handler(&http.Request{Method: http.MethodPost, URL: mustURL(p)}); pattern == "" {
			t.Errorf("%s not registered", p)
		}
	}
}

func TestModuleRefusesBadConfig(t *testing.T) {
	app := fx.New(fx.NopLogger, fx.Supply(Config{}), Module, fx.Invoke(func(bridge.Chat) {}))
	if app.Err() == nil {
		t.Fatal("an empty config was accepted")
	}
}

func mustURL(p string) *url.URL {
	u, err := url.Parse("http://bridge.local" + p)
	if err != nil {
		panic(err)
	}
	return u
}
