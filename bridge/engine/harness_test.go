package engine_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// harness runs an engine on fakes and a SQLite file, and can restart it on
// the same database.
type harness struct {
	t      testing.TB
	clock  *bridgetest.Clock
	mps    map[bridge.Platform]*bridgetest.Marketplace
	chat   *bridgetest.Chat
	dbPath string
	state  bridge.State
	eng    *engine.Engine
	stores []bridge.Store
	cfg    engine.Config
	// beforeStart, if set, runs on each new engine before it starts;
	// deps are what the engine was built with.
	beforeStart func(*engine.Engine)
	deps        engine.Deps
	// surface, if set, is the engine's chat (wrapping chat); wrapState, if
	// set, wraps each opened database.
	surface   bridge.Chat
	wrapState func(bridge.State) bridge.State
	// wrapMP, if set, wraps each fake marketplace the engine gets; pushes,
	// if set, is the engine's push channel.
	wrapMP func(*bridgetest.Marketplace) bridge.Marketplace
	pushes *bridge.Pushes
}

var testStores = []bridge.Store{
	{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"},
	{ID: "lazada-sg", Platform: bridge.PlatformLazada, ShopID: "2002", Name: "SG Shop", Site: "SG"},
	{ID: "tiktok-th", Platform: bridge.PlatformTikTok, ShopID: "3003", Name: "TH Shop", Site: "TH"},
}

func testConfig() engine.Config {
	return engine.Config{
		PollInterval:     30 * time.Second,
		PollJitter:       0.0001,
		FailureThreshold: 3,
		Debounce:         3 * time.Second,
		ProbeBackoffMax:  30 * time.Second,
		SendBackoff:      time.Second,
		SendBackoffMax:   8 * time.Second,
		SendAttempts:     4,
		ShutdownGrace:    2 * time.Second,
	}
}

func newHarness(t testing.TB, stores ...bridge.Store) *harness {
	t.Helper()
	if len(stores) == 0 {
		stores = testStores
	}
	clock := bridgetest.NewClock(t0)
	h := &harness{
		t: t, clock: clock, chat: bridgetest.NewChat(), stores: stores, cfg: testConfig(),
		dbPath: filepath.Join(t.TempDir(), "state.db"),
		mps:    map[bridge.Platform]*bridgetest.Marketplace{},
	}
	for _, p := range []bridge.Platform{bridge.PlatformShopee, bridge.PlatformLazada, bridge.PlatformTikTok} {
		h.mps[p] = bridgetest.NewMarketplace(p, clock)
	}
	return h
}

func (h *harness) start() {
	h.t.Helper()
	ctx := context.Background()
	st := openMem(h.dbPath, nil)
	h.state = st
	if h.wrapState != nil {
		h.state = h.wrapState(st)
	}
	var mps []bridge.Marketplace
	for _, m := range h.mps {
		if h.wrapMP != nil {
			mps = append(mps, h.wrapMP(m))
			continue
		}
		mps = append(mps, m)
	}
	var chat bridge.Chat = h.chat
	if h.surface != nil {
		chat = h.surface
	}
	h.deps = engine.Deps{
		State: h.state, Chat: chat, Marketplaces: mps, Stores: h.stores, Clock: h.clock, Pushes: h.pushes,
	}
	// The engine's log is shown when the test fails.
	logs := &bridgetest.Buffer{}
	h.deps.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.t.Cleanup(func() {
		if h.t.Failed() {
			h.t.Logf("the engine's log:\n%s", logs.String())
		}
	})
	h.eng = engine.New(h.cfg, h.deps)
	if h.beforeStart != nil {
		h.beforeStart(h.eng)
	}
	if err := h.eng.Start(ctx); err != nil {
		h.t.Fatalf("start engine: %v", err)
	}
	h.t.Cleanup(h.stop)
	<-h.chat.Ready()
	// Every syncer runs its first poll at once, then parks on the clock.
	h.waitParked()
	h.posted()
}

// waitParked waits until every syncer is parked on the fake clock.
func (h *harness) waitParked() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.clock.BlockUntil(ctx, len(h.stores)); err != nil {
		h.t.Fatalf("syncers did not park: %v", err)
	}
}

func (h *harness) stop() {
	if h.eng == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.eng.Stop(ctx); err != nil {
		h.t.Errorf("stop engine: %v", err)
	}
	h.state.Close()
	h.eng = nil
}

// restart stops the engine and starts a new one on the same database, with
// a fresh chat listener but the same recorded chat.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	old := h.chat
	h.chat = old.Reopen()
	h.start()
}

func (h *harness) mp(s bridge.Store) *bridgetest.Marketplace { return h.mps[s.Platform] }

// syncAll syncs every store once, waits until what it recorded is posted,
// and fails the test on error.
func (h *harness) syncAll() int {
	h.t.Helper()
	total := 0
	for _, s := range h.stores {
		n, err := h.eng.SyncNow(context.Background(), s.ID)
		if err != nil {
			h.t.Fatalf("sync %s: %v", s.ID, err)
		}
		total += n
	}
	h.posted()
	return total
}

// posted waits until the relay has posted everything it can post now.
func (h *harness) posted() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.eng.WaitPosted(ctx); err != nil {
		h.t.Fatalf("relay did not finish posting: %v", err)
	}
}

// syncUntilClean syncs every store until a sync passes without error.
func (h *harness) syncUntilClean(maxRounds int) {
	h.t.Helper()
	for _, s := range h.stores {
		var err error
		for i := 0; i < maxRounds; i++ {
			if _, err = h.eng.SyncNow(context.Background(), s.ID); err == nil {
				break
			}
		}
		if err != nil {
			h.t.Fatalf("store %s still failing after %d syncs: %v", s.ID, maxRounds, err)
		}
	}
	h.posted()
}

// assertRelayedExactlyOnce checks that every buyer message the marketplace
// holds is posted exactly once, in its conversation's thread, in order.
func (h *harness) assertRelayedExactlyOnce() {
	h.t.Helper()
	posted := h.chat.PostedIDs()
	for _, s := range h.stores {
		for conv, msgs := range h.mp(s).Messages(s.ShopID) {
			th, ok := h.chat.ThreadOf(s.ID, conv)
			var want []bridge.MessageID
			for _, m := range msgs {
				if m.Sender == bridge.SenderBuyer {
					want = append(want, m.ID)
				}
			}
			if len(want) == 0 {
				continue
			}
			if !ok {
				h.t.Fatalf("store %s conversation %s: no thread for %d buyer messages", s.ID, conv, len(want))
			}
			var got []bridge.MessageID
			for _, p := range th.Posts {
				if p.Message.Sender == bridge.SenderBuyer {
					got = append(got, p.Message.ID)
				}
			}
			if len(got) != len(want) {
				pend, _ := h.state.PendingInbound(context.Background(), s.ID, conv, 100)
				rec, _ := h.state.Conversation(context.Background(), s.ID, conv)
				bl, _ := h.eng.Backlog(context.Background())
				h.t.Logf("pending in the queue: %+v\nrecord: %+v\nthread: %+v\nbacklog: %+v", pend, rec, th.Ref, bl)
				h.t.Fatalf("store %s conversation %s: thread has buyer messages %v, marketplace has %v", s.ID, conv, got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					h.t.Fatalf("store %s conversation %s: message %d is %s, want %s (order %v vs %v)", s.ID, conv, i, got[i], want[i], got, want)
				}
				if posted[want[i]] != 1 {
					h.t.Fatalf("message %s posted %d times, want once", want[i], posted[want[i]])
				}
			}
		}
	}
}

func (h *harness) thread(s bridge.Store, conv bridge.ConversationID) bridgetest.Thread {
	h.t.Helper()
	th, ok := h.chat.ThreadOf(s.ID, conv)
	if !ok {
		h.t.Fatalf("no thread for %s/%s", s.ID, conv)
	}
	return th
}
