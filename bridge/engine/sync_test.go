package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// buyersWrite makes n buyers per store write k messages each, interleaved.
func buyersWrite(h *harness, convs, k int) int {
	total := 0
	for round := 0; round < k; round++ {
		for _, s := range h.stores {
			for c := 0; c < convs; c++ {
				h.clock.Advance(time.Millisecond)
				h.mp(s).BuyerSays(s.ShopID, bridge.ConversationID(fmt.Sprintf("%s-c%d", s.ShopID, c)), fmt.Sprintf("buyer %d", c), fmt.Sprintf("question %d from %d", round, c))
				total++
			}
		}
	}
	return total
}

func TestBuyerMessagesLandExactlyOnceInOrder(t *testing.T) {
	cases := []struct {
		name    string
		faults  func(h *harness)
		rounds  int
		perSync int
	}{
		{name: "healthy marketplace", faults: func(h *harness) {}, rounds: 1},
		{name: "every other call fails", faults: func(h *harness) {
			for _, m := range h.mps {
				m.FailEvery(2)
			}
		}, rounds: 20},
		{name: "pages out of order with repeats", faults: func(h *harness) {
			for _, m := range h.mps {
				m.Shuffle(true)
			}
		}, rounds: 1},
		{name: "failures and shuffled pages together", faults: func(h *harness) {
			for _, m := range h.mps {
				m.Shuffle(true)
				m.FailEvery(3)
			}
		}, rounds: 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.start()
			tc.faults(h)
			// Three waves of messages, each followed by syncs.
			for wave := 0; wave < 3; wave++ {
				buyersWrite(h, 4, 3)
				h.syncUntilClean(tc.rounds)
			}
			h.assertRelayedExactlyOnce()
			if got, want := len(h.chat.Threads()), 3*4; got != want {
				t.Fatalf("threads: got %d, want one per conversation (%d)", got, want)
			}
		})
	}
}

func TestThreadHeaderNamesStoreAndBuyerButNotTheMessage(t *testing.T) {
	h := newHarness(t, testStores[0])
	h.start()
	h.clock.Advance(time.Second)
	h.mp(testStores[0]).BuyerSays("1001", "c1", "Alice", "where is my parcel?")
	h.syncAll()
	th := h.thread(testStores[0], "c1")
	if th.Header.BuyerName != "Alice" || th.Header.Store.Site != "MY" || th.Header.Store.Platform != bridge.PlatformShopee {
		t.Fatalf("header: %+v", th.Header)
	}
	if !th.Header.AwaitingReply {
		t.Fatalf("header should say the buyer awaits a reply")
	}
	if len(th.Posts) != 1 || th.Posts[0].Message.Text != "where is my parcel?" {
		t.Fatalf("posts: %+v", th.Posts)
	}
}

func TestSellerCentreMessagesShownButOwnRepliesNotEchoed(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	ctx := context.Background()
	h.clock.Advance(time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "Bob", "hello")
	h.syncAll()
	th := h.thread(s, "c1")

	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent1", "Hi Bob, how can I help?")
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, ref, bridge.ReplySent)
	h.clock.Advance(time.Second)
	h.mp(s).SellerCentreSays(s.ShopID, "c1", "sent from the web panel")
	h.syncAll()
	h.syncAll()

	th = h.thread(s, "c1")
	var texts []string
	for _, p := range th.Posts {
		texts = append(texts, string(p.Message.Sender)+":"+p.Message.Text)
	}
	want := []string{"buyer:hello", "seller:sent from the web panel"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Fatalf("thread posts: got %q, want %q (own reply must not be echoed)", texts, want)
	}
}

func TestFirstStartImportsOnlyUnansweredRecentConversations(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	m := h.mp(s)
	// Before the bridge ever ran: an old answered conversation, an old
	// unanswered one, and a recent unanswered one.
	m.BuyerSays(s.ShopID, "answered", "A", "old question")
	m.SellerCentreSays(s.ShopID, "answered", "old answer")
	h.clock.Set(t0.Add(24 * time.Hour))
	m.BuyerSays(s.ShopID, "stale", "B", "very old question")
	h.clock.Set(t0.Add(50 * time.Hour))
	m.BuyerSays(s.ShopID, "answered-recently", "D", "recent question")
	m.SellerCentreSays(s.ShopID, "answered-recently", "recent answer")
	h.clock.Set(t0.Add(70 * time.Hour))
	m.BuyerSays(s.ShopID, "recent", "C", "first")
	m.BuyerSays(s.ShopID, "recent", "C", "second")
	h.clock.Set(t0.Add(72 * time.Hour))
	h.start()

	threads := h.chat.Threads()
	if len(threads) != 1 || threads[0].Header.Conversation != "recent" {
		t.Fatalf("first start should open only the recent unanswered conversation, got %d threads", len(threads))
	}
	if n := len(threads[0].Posts); n != 2 {
		t.Fatalf("recent conversation: %d posts, want its 2 messages", n)
	}
	// Old answered conversations resume: each gets a thread with only the new message.
	for _, conv := range []bridge.ConversationID{"answered", "answered-recently"} {
		h.clock.Advance(time.Minute)
		m.BuyerSays(s.ShopID, conv, "A", "I am back")
		h.syncAll()
		th := h.thread(s, conv)
		if len(th.Posts) != 1 || th.Posts[0].Message.Text != "I am back" {
			t.Fatalf("resumed conversation %s posts: %+v", conv, th.Posts)
		}
	}
}

func TestDeletedThreadIsReplacedAndNothingLost(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	h.clock.Advance(time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "D", "one")
	h.syncAll()
	old := h.thread(s, "c1")
	h.chat.DeleteThread(old.Ref)
	h.clock.Advance(time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "D", "two")
	h.syncAll()
	nt := h.thread(s, "c1")
	if nt.Ref == old.Ref {
		t.Fatalf("expected a new thread after deletion")
	}
	if !nt.Opened.Continued {
		t.Fatalf("the new thread's header must say it continues the conversation")
	}
	if len(nt.Posts) != 1 || nt.Posts[0].Message.Text != "two" {
		t.Fatalf("new thread posts: %+v", nt.Posts)
	}
	rec, err := h.state.Conversation(context.Background(), s.ID, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Thread != nt.Ref || rec.ThreadsReplaced != 1 {
		t.Fatalf("mapping: thread %v replaced %d, want %v and 1", rec.Thread, rec.ThreadsReplaced, nt.Ref)
	}
	// Agent replies in the new thread reach the buyer.
	ref, err := h.chat.AgentSays(context.Background(), nt.Ref, "agent", "answer")
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, ref, bridge.ReplySent)
}

func TestChatOutageKeepsMessagesQueued(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	h.clock.Advance(time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "E", "one")
	h.chat.SetDown(true)
	// Syncing does not wait on the chat: the message is recorded, and the
	// poster's attempts fail with backoff until the surface counts as down.
	if _, err := h.eng.SyncNow(context.Background(), s.ID); err != nil {
		t.Fatalf("sync while the chat is down: %v", err)
	}
	h.advance(10*time.Second, time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "E", "two")
	if st := h.eng.Monitor().ChatHealth(); !st.Down {
		t.Fatalf("chat surface should be reported down after the threshold")
	}
	if h.eng.Monitor().StoreHealth(s.ID).Down {
		t.Fatalf("a chat outage must not mark the marketplace store down")
	}
	h.chat.SetDown(false)
	h.syncAll()
	h.advance(time.Minute, time.Second)
	h.assertRelayedExactlyOnce()
	if h.eng.Monitor().ChatHealth().Down {
		t.Fatalf("chat surface should be up again")
	}
}

func TestUnsupportedMessagesArePostedNotDropped(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	h.clock.Advance(time.Second)
	h.mp(s).AddMessage(s.ShopID, "F", bridge.Message{Conversation: "c1", Sender: bridge.SenderBuyer, Kind: bridge.KindUnsupported, UnsupportedType: "bundle_message"})
	h.syncAll()
	th := h.thread(s, "c1")
	if len(th.Posts) != 1 || th.Posts[0].Message.UnsupportedType != "bundle_message" {
		t.Fatalf("unsupported message must reach the thread: %+v", th.Posts)
	}
}

// A catch-up (or a manual sync) cancels a superseded in-flight sync of the
// same store instead of racing it.
func TestSupersededSyncIsCancelled(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	m := h.mp(s)
	h.clock.Advance(time.Second)
	m.BuyerSays(s.ShopID, "c1", "Ivy", "hello")
	m.BlockNext("ListMessages")
	// The regular poll starts and hangs on the slow marketplace.
	h.clock.Advance(h.cfg.PollInterval + time.Second)
	<-m.Blocked()
	// A manual sync supersedes it: the hanging one is cancelled and the new
	// one relays the message, once.
	n, err := h.eng.SyncNow(context.Background(), s.ID)
	if err != nil || n != 1 {
		t.Fatalf("manual sync: relayed %d, err %v; want 1 message", n, err)
	}
	h.posted()
	h.assertRelayedExactlyOnce()
	runs, err := h.state.SyncRuns(context.Background(), s.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cancelled := false
	for _, r := range runs {
		if !r.OK && strings.Contains(r.Error, "context canceled") {
			cancelled = true
		}
	}
	if !cancelled {
		t.Fatalf("the superseded sync should be recorded as cancelled: %+v", runs)
	}
}

// A panic in an adapter fails one sync (or one send attempt); the store
// keeps syncing and the reply is still sent.
func TestPanicsDoNotStopTheBridge(t *testing.T) {
	h, s, th := setupConversation(t)
	m := h.mp(s)
	h.clock.Advance(time.Second)
	m.BuyerSays(s.ShopID, "c1", "Gina", "still there?")
	m.PanicNext("ListMessages")
	if _, err := h.eng.SyncNow(context.Background(), s.ID); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("a panicking sync should fail with an internal error, got %v", err)
	}
	h.syncAll()
	h.assertRelayedExactlyOnce()

	m.PanicNext("SendText")
	ref, err := h.chat.AgentSays(context.Background(), th.Ref, "agent", "yes!")
	if err != nil {
		t.Fatal(err)
	}
	var next time.Time
	bridgetest.Eventually(t, "retry armed after the panic", func() bool {
		r, err := h.state.ReplyByChatMessage(context.Background(), ref)
		next = r.NextAttemptAt
		return err == nil && !r.NextAttemptAt.IsZero()
	})
	// The panicking attempt's outcome is unknown: it is checked once it
	// cannot land any more, then sent.
	h.clock.Settle(t, next.Sub(h.clock.Now())+time.Second, 1)
	waitStatus(t, h, ref, bridge.ReplySent)
}

// Syncs that run while a thread is being opened (slowly) neither wait for
// it nor open a second one: the conversation gets exactly one thread.
func TestSyncsDuringASlowThreadOpeningDoNotOrphanAThread(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	h.clock.Advance(time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "Jo", "hello")
	waiting, release := h.chat.HoldNextOpen()
	h.clock.Advance(h.cfg.PollInterval + time.Second) // the poll records; the poster opens the thread, slowly
	<-waiting
	h.clock.Advance(time.Millisecond)
	h.mp(s).BuyerSays(s.ShopID, "c1", "Jo", "anyone?")
	// A manual sync completes while the thread is still being opened.
	if _, err := h.eng.SyncNow(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	runtime.Gosched()
	release()
	h.posted()
	if n := len(h.chat.Threads()); n != 1 {
		t.Fatalf("%d threads for one conversation, want 1", n)
	}
	h.assertRelayedExactlyOnce()
}
