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

// TestEnginePostsTranslationAutoReplyAndSafetyNote runs the engine on
// SQLite and checks that what a message carries beside its content (a
// translation, the auto-reply mark, a safety note) survives the queue into
// the thread, also for a message posted by the engine after a restart.
func TestEnginePostsTranslationAutoReplyAndSafetyNote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "engine.db")
	clock := bridgetest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	mp := bridgetest.NewMarketplace(bridge.PlatformShopee, clock)
	chat := bridgetest.NewChat()

	r := startEngine(t, path, clock, mp, chat)
	clock.Advance(time.Second)
	translated := mp.AddMessage(r.store.ShopID, "Mei", bridge.Message{Conversation: "c1", Sender: bridge.SenderBuyer,
		Kind: bridge.KindText, Text: "这个有货吗？", Translation: "Is this in stock?"})
	r.sync(t)
	r.stop()

	// Recorded while the chat is down, posted by the next engine.
	chat = chat.Reopen()
	chat.SetDown(true)
	r = startEngine(t, path, clock, mp, chat)
	clock.Advance(time.Second)
	autoReply := mp.AddMessage(r.store.ShopID, "Mei", bridge.Message{Conversation: "c1", Sender: bridge.SenderSeller,
		Kind: bridge.KindText, Text: "We reply within 24 hours.", AutoReply: true})
	blocked := mp.AddMessage(r.store.ShopID, "Mei", bridge.Message{Conversation: "c1", Sender: bridge.SenderBuyer,
		Kind: bridge.KindText, Text: "加我微信 mei123", Translation: "Add my WeChat mei123", SafetyNote: "Not sent: contact details.",
		SentAt: clock.Now().Add(time.Millisecond)})
	if _, err := r.eng.SyncNow(context.Background(), r.store.ID); err != nil {
		t.Fatalf("SyncNow with the chat down: %v", err)
	}
	if th, _ := chat.ThreadOf(r.store.ID, "c1"); len(th.Posts) != 1 {
		t.Fatalf("thread has %d posts with the chat down, want the first message only", len(th.Posts))
	}
	r.stop()
	chat = chat.Reopen()
	chat.SetDown(false)
	r = startEngine(t, path, clock, mp, chat)
	r.sync(t)

	th, ok := chat.ThreadOf(r.store.ID, "c1")
	if !ok {
		t.Fatal("no thread for c1")
	}
	want := []bridge.Message{translated, autoReply, blocked}
	if len(th.Posts) != len(want) {
		t.Fatalf("thread has %d posts, want %d: %+v", len(th.Posts), len(want), th.Posts)
	}
	for i, w := range want {
		got := th.Posts[i].Message
		if got.ID != w.ID || got.Translation != w.Translation || got.AutoReply != w.AutoReply || got.SafetyNote != w.SafetyNote {
			t.Errorf("post %d: %s with translation %q, auto-reply %v, safety note %q; want %s with %q, %v, %q",
				i, got.ID, got.Translation, got.AutoReply, got.SafetyNote, w.ID, w.Translation, w.AutoReply, w.SafetyNote)
		}
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
