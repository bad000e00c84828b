package main

import (
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

// stopMargin is what a stop may take beyond the shutdown grace: closing the
// HTTP listener and the state database once the engine has stopped.
const stopMargin = 5 * time.Second

// shutdownGrace is sync.shutdown_grace, or the engine's default.
func shutdownGrace(cfg *Config) time.Duration {
	if cfg.Sync.ShutdownGrace > 0 {
		return cfg.Sync.ShutdownGrace
	}
	return engine.DefaultConfig().ShutdownGrace
}

// stopTimeout bounds a whole stop (fx's stop context): the engine's part
// ends within the grace (see cutChatCallsAtGrace), the rest is quick.
func stopTimeout(cfg *Config) time.Duration { return shutdownGrace(cfg) + stopMargin }

// callAborter is a chat surface whose calls can be cut (Slack, Telegram).
type callAborter interface{ AbortCalls() }

// cutChatCallsAtGrace makes a stop end within the shutdown grace when the
// chat surface is unreachable or silent. The engine lets replies in flight
// finish for the grace, but its posters and alerts call the surface on
// contexts a stop does not cut (so a post and its record stay together),
// and each such call to a blackholed Slack or Telegram took the surface's
// 30-second request timeout: `demo --duration 8s` took over 40 s to exit.
// When the grace has passed since the stop began, the surface's calls are
// cut (AbortCalls), which lets the engine's stop return.
//
// It is invoked after the engine is built, so its hook runs before the
// engine's on stop (fx stops in reverse order) and the grace is counted
// from the start of the stop.
func cutChatCallsAtGrace(lc fx.Lifecycle, cfg *Config, chat bridge.Chat, clock bridge.Clock, _ *engine.Engine) {
	a, ok := chat.(callAborter)
	if !ok {
		return
	}
	grace := shutdownGrace(cfg)
	lc.Append(fx.StopHook(func() {
		// Fires after the stop too if the stop was quicker; cutting the
		// calls of a stopped surface does nothing.
		at := clock.After(grace)
		go func() { <-at; a.AbortCalls() }()
	}))
}
