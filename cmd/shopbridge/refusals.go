package main

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
)

// newRefusals is the bridge's one counter of refused requests: the Shopee
// push endpoint, Slack HTTP mode, the Telegram webhook and the
// authorization callback count into it, /metrics exposes its totals, and
// its log summaries are written at most once per http.refusal_log_interval.
func newRefusals(lc fx.Lifecycle, cfg *Config, clock bridge.Clock, log *slog.Logger) *bridge.Refusals {
	r := bridge.NewRefusals(log.With("component", "http"), clock, cfg.HTTP.RefusalLogInterval)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { defer close(done); r.Run(ctx) }()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
	return r
}

// AuthCallbackEndpoint names the authorization callback in refusal logs and
// metrics (the core counts its refusals).
const AuthCallbackEndpoint = auth.CallbackEndpoint
