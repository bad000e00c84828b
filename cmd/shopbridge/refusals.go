package main

import (
	"context"
	"errors"
	"log/slog"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
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
// metrics.
const AuthCallbackEndpoint = "auth_callback"

// authRefusedMessage is the line the core writes for every refused
// authorization callback (an unknown, used or expired state).
const authRefusedMessage = "authorization callback refused"

// routeRefusals returns log with the core's per-request refusal lines
// routed through refusals instead of written one by one: anyone can call
// the callback URL, so 2,000 forged callbacks must not make 2,000 lines.
// The core logs them itself (bridge/auth_callback.go) and may not be
// changed from here; this is a stand-in until it takes a *bridge.Refusals.
// Only a refusal for an invalid state is routed; any other failure (the
// state database) is logged as before.
func routeRefusals(log *slog.Logger, refusals *bridge.Refusals) *slog.Logger {
	return slog.New(&refusalRouter{next: log.Handler(), refusals: refusals})
}

type refusalRouter struct {
	next     slog.Handler
	refusals *bridge.Refusals
}

func (h *refusalRouter) Enabled(ctx context.Context, l slog.Level) bool {
	// Refusals are counted even when warnings are not logged.
	return l == slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h *refusalRouter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == authRefusedMessage {
		var (
			err     error
			details []any
		)
		r.Attrs(func(a slog.Attr) bool {
			if e, ok := a.Value.Any().(error); ok && a.Key == "err" {
				err = e
			}
			details = append(details, a)
			return true
		})
		if errors.Is(err, bridge.ErrAuthState) {
			h.refusals.Refuse(AuthCallbackEndpoint, "invalid_state", details...)
			return nil
		}
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *refusalRouter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &refusalRouter{next: h.next.WithAttrs(attrs), refusals: h.refusals}
}

func (h *refusalRouter) WithGroup(name string) slog.Handler {
	return &refusalRouter{next: h.next.WithGroup(name), refusals: h.refusals}
}
