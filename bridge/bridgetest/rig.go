package bridgetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

// EngineOptions configures StartEngine.
type EngineOptions struct {
	// Start is the fake clock's start (default 2026-11-27 09:00 UTC).
	Start time.Time
	// OpenState opens the engine's state at a path in the test's temporary
	// directory; nil: an in-memory state (NewMemState) on the rig's clock.
	OpenState func(ctx context.Context, path string) (bridge.State, error)
	// Chat builds the surface under test on the rig's clock and state
	// (required). Cleanups it registers run after the engine stopped.
	Chat func(clock *Clock, st bridge.State) (bridge.Chat, error)
	// Stores are the engine's stores, all served by one fake marketplace
	// of the first store's platform (Shopee when there is none).
	Stores []bridge.Store
	// Config is the engine's config. Nil means hourly polls (tests sync
	// with SyncNow), a one-second send backoff and two send attempts.
	Config *engine.Config
	// AdvanceWithin: every timer due within it fires as soon as something
	// waits on it (default two minutes); longer ones are left to the test.
	AdvanceWithin time.Duration
}

// EngineRig is a started engine on a fake clock and fake marketplace.
type EngineRig struct {
	Engine      *engine.Engine
	State       bridge.State
	Marketplace *Marketplace
	Clock       *Clock
}

// StartEngine starts the real engine over the surface o.Chat builds, a fake
// marketplace and o.OpenState's state, all on one fake clock that moves
// through short waits by itself. The engine is stopped and the state closed
// when the test ends.
func StartEngine(tb testing.TB, o EngineOptions) *EngineRig {
	tb.Helper()
	ctx := context.Background()
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	}
	if o.AdvanceWithin == 0 {
		o.AdvanceWithin = 2 * time.Minute
	}
	cfg := engine.Config{PollInterval: time.Hour, PollJitter: 0.0001, SendBackoff: time.Second, SendAttempts: 2}
	if o.Config != nil {
		cfg = *o.Config
	}
	platform := bridge.PlatformShopee
	if len(o.Stores) > 0 {
		platform = o.Stores[0].Platform
	}
	clock := NewClock(o.Start)
	var st bridge.State = NewMemState(clock)
	if o.OpenState != nil {
		var err error
		if st, err = o.OpenState(ctx, filepath.Join(tb.TempDir(), "state.db")); err != nil {
			tb.Fatalf("open state: %v", err)
		}
	}
	tb.Cleanup(func() { st.Close() })
	surface, err := o.Chat(clock, st)
	if err != nil {
		tb.Fatalf("surface: %v", err)
	}
	mp := NewMarketplace(platform, clock)
	eng := engine.New(cfg, engine.Deps{State: st, Chat: surface, Marketplaces: []bridge.Marketplace{mp}, Stores: o.Stores, Clock: clock})
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); clock.FireTimersWithin(actx, o.AdvanceWithin) }()
	if err := eng.Start(ctx); err != nil {
		cancel()
		<-done
		tb.Fatalf("start engine: %v", err)
	}
	tb.Cleanup(func() {
		sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
		defer scancel()
		if err := eng.Stop(sctx); err != nil {
			tb.Errorf("stop engine: %v", err)
		}
		cancel()
		<-done
	})
	return &EngineRig{Engine: eng, State: st, Marketplace: mp, Clock: clock}
}

// FireTimersWithin moves the clock to each timer due within max as soon as
// something waits on it, standing in for time passing, until ctx ends.
// Timers further away (periodic polls and checks) are left to the test.
func (c *Clock) FireTimersWithin(ctx context.Context, max time.Duration) {
	for {
		n := c.Waiters()
		if d, ok := c.NextTimer(); ok && d <= max {
			c.Advance(d)
			continue
		}
		if c.BlockUntil(ctx, n+1) != nil {
			return
		}
	}
}
