package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/report"
)

// TestReportFromARunningBridge checks that the running engine records what
// the report needs as it happens: the kind of each start, first responses
// with the buyer's wait, and threads opened and re-attached after a restart.
func TestReportFromARunningBridge(t *testing.T) {
	ctx := context.Background()
	start0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	clock := bridgetest.NewClock(start0)
	path := reportDB(t)
	store := bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"}
	mp := bridgetest.NewMarketplace(bridge.PlatformShopee, clock)
	chat := newReportChat(false)

	var (
		eng *engine.Engine
		st  bridge.State
	)
	start := func() {
		t.Helper()
		st = openReportState(t, path, clock)
		eng = engine.New(testConfig(), engine.Deps{State: st, Chat: chat, Marketplaces: []bridge.Marketplace{mp}, Stores: []bridge.Store{store}, Clock: clock})
		reportMust(t, "Start", eng.Start(ctx))
		<-chat.Ready()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		reportMust(t, "park", clock.BlockUntil(cctx, 1))
	}
	stop := func() {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		reportMust(t, "Stop", eng.Stop(sctx))
		st.Close()
	}
	sync := func() {
		t.Helper()
		if _, err := eng.SyncNow(ctx, store.ID); err != nil {
			t.Fatalf("sync: %v", err)
		}
		if err := eng.WaitPosted(ctx); err != nil {
			t.Fatalf("posting: %v", err)
		}
	}

	start() // the first start: nothing saved, a full sync
	clock.Settle(t, time.Second, 1)
	mp.BuyerSays(store.ShopID, "c1", "Gina", "is this in stock?")
	asked := clock.Now()
	sync()
	th, ok := chat.ThreadOf(store.ID, "c1")
	if !ok {
		t.Fatal("no thread for c1")
	}
	clock.Settle(t, 4*time.Minute, 1)
	ref, err := chat.AgentSays(ctx, th.Ref, "agent-7", "Yes, it is!")
	reportMust(t, "AgentSays", err)
	bridgetest.Eventually(t, "the reply is sent", func() bool {
		r, ok := chat.LastStatus(ref)
		return ok && r.Status == bridge.ReplySent
	}, chat.Changed)
	answered := clock.Now()

	stop()
	chat.Chat.Reopen()
	clock.Advance(time.Minute)
	start() // resumed from the saved cursor
	clock.Settle(t, 10*time.Minute, 1)
	mp.BuyerSays(store.ShopID, "c1", "Gina", "and in blue?")
	again := clock.Now()
	sync()
	clock.Settle(t, 20*time.Minute, 1)
	stop()

	now := clock.Now()
	st = openReportState(t, path, clock)
	r, err := report.Build(ctx, report.Source{State: st, Stores: []bridge.Store{store}, Now: now}, report.Config{}, start0.Add(-time.Hour), now)
	reportMust(t, "BuildReport", err)
	s := r.Stores[0]
	checkFigures(t, []figure{
		// The new install's first start is no restart (nothing to resume).
		{"restarts resumed/full", [2]int{r.Restarts.Resumed, r.Restarts.Full}, [2]int{1, 0}},
		{"first start", r.Restarts.FirstStart, start0},
		{"second start", r.Restarts.Events[0].Resumed, true},
		{"first responses", s.Response, bridge.DurationStats{Count: 1, P50: answered.Sub(asked), P90: answered.Sub(asked)}},
		{"wait", answered.Sub(asked), 4 * time.Minute},
		{"agent", r.Agents[0].AgentID, "agent-7"},
		{"threads", s.Threads, bridge.ThreadStats{Opened: 1, Reattached: 1}},
		{"replies sent", s.Replies.Sent, 1},
		{"missed", len(r.Missed), 1},
		{"missed thread", r.Missed[0].Thread, th.Ref},
		{"missed since", r.Missed[0].AwaitingSince, again},
		{"missed waiting", r.Missed[0].Waiting, 20 * time.Minute},
	})
	if c := r.Check(bridge.CheckRestarts); c.Verdict != bridge.VerdictOK || c.Text != "1 restart: 1 resumed from saved state, 0 full resyncs" {
		t.Errorf("restarts line = %s %q", c.Verdict.Mark(), c.Text)
	}
}
