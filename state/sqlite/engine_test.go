package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// engineRig is the core engine on the in-memory marketplace and chat fakes,
// with its state in a SQLite file.
type engineRig struct {
	clock *bridgetest.Clock
	mp    *bridgetest.Marketplace
	chat  *bridgetest.Chat
	db    *sqlite.DB
	eng   *engine.Engine
	store bridge.Store
}

func startEngine(tb testing.TB, path string, clock *bridgetest.Clock, mp *bridgetest.Marketplace, chat *bridgetest.Chat) *engineRig {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	store := bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"}
	eng := engine.New(engine.Config{PollInterval: time.Hour, PollJitter: 0.0001}, engine.Deps{
		State: db, Chat: chat, Marketplaces: []bridge.Marketplace{mp}, Stores: []bridge.Store{store}, Clock: clock,
	})
	if err := eng.Start(ctx); err != nil {
		tb.Fatalf("engine Start: %v", err)
	}
	<-chat.Ready()
	r := &engineRig{clock: clock, mp: mp, chat: chat, db: db, eng: eng, store: store}
	tb.Cleanup(r.stop)
	return r
}

func (r *engineRig) stop() {
	if r.eng == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r.eng.Stop(ctx)
	r.db.Close()
	r.eng = nil
}

// buyersWrite adds n buyer messages spread over convs conversations.
func (r *engineRig) buyersWrite(convs, n int) {
	for i := range n {
		r.clock.Advance(time.Millisecond)
		c := i % convs
		r.mp.BuyerSays(r.store.ShopID, bridge.ConversationID(fmt.Sprintf("c%d", c)), fmt.Sprintf("buyer %d", c), fmt.Sprintf("question %d", i))
	}
}

func (r *engineRig) sync(tb testing.TB) int {
	tb.Helper()
	n, err := r.eng.SyncNow(context.Background(), r.store.ID)
	if err != nil {
		tb.Fatalf("SyncNow: %v", err)
	}
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		tb.Fatalf("WaitPosted: %v", err)
	}
	return n
}

// TestEngineRelaysOnceAcrossRestart runs the engine on SQLite, restarts it
// on the same file, and checks that every buyer message is in its thread
// exactly once and each conversation kept its one thread.
func TestEngineRelaysOnceAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	clock := bridgetest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	mp := bridgetest.NewMarketplace(bridge.PlatformShopee, clock)
	chat := bridgetest.NewChat()

	r := startEngine(t, path, clock, mp, chat)
	r.buyersWrite(5, 20)
	r.sync(t)
	r.stop()

	chat = chat.Reopen()
	r = startEngine(t, path, clock, mp, chat)
	r.buyersWrite(5, 20)
	r.sync(t)
	r.sync(t)

	for id, n := range chat.PostedIDs() {
		if n != 1 {
			t.Errorf("message %s posted %d times, want once", id, n)
		}
	}
	if got := len(chat.PostedIDs()); got != 40 {
		t.Errorf("%d distinct messages posted, want all 40", got)
	}
	if got := len(chat.Threads()); got != 5 {
		t.Errorf("%d threads, want one per conversation (5)", got)
	}
	recs, err := r.db.Conversations(context.Background(), r.store.ID)
	if err != nil || len(recs) != 5 {
		t.Fatalf("Conversations: %d records (%v), want 5", len(recs), err)
	}
}

// BenchmarkEngineRelay measures the engine relaying buyer messages into
// threads with SQLite state (each message: IsRelayed, post, RecordRelayed)
// from a fake marketplace to a fake chat. Threads exist already, so it is
// the steady state of a busy store.
func BenchmarkEngineRelay(b *testing.B) {
	const convs = 50
	clock := bridgetest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	mp := bridgetest.NewMarketplace(bridge.PlatformShopee, clock)
	chat := bridgetest.NewChat()
	r := startEngine(b, filepath.Join(b.TempDir(), "bench.db"), clock, mp, chat)
	r.buyersWrite(convs, convs) // opens the threads
	r.sync(b)
	r.buyersWrite(convs, b.N)
	b.ResetTimer()
	got := 0
	for got < b.N {
		n := r.sync(b)
		if n == 0 {
			b.Fatalf("sync relayed nothing with %d of %d messages left", b.N-got, b.N)
		}
		got += n
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if got != b.N {
		b.Fatalf("relayed %d messages, want %d", got, b.N)
	}
}
