package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/monitor"
)

// checkingHarness is a harness whose surface combines a conversation's
// messages into one post and finds earlier posts in a thread (like Slack),
// on a state database whose disk can "fill up".
func checkingHarness(t *testing.T, stores ...bridge.Store) (*harness, *bridgetest.CheckingChat, func() *bridgetest.FaultyState) {
	h := newHarness(t, stores...)
	cc := bridgetest.NewCheckingChat()
	h.chat, h.surface = cc.Chat, cc
	var fs atomic.Pointer[bridgetest.FaultyState]
	h.wrapState = func(st bridge.State) bridge.State {
		f := bridgetest.NewFaultyState(st)
		fs.Store(f)
		return f
	}
	return h, cc, fs.Load
}

// syncOnly syncs every store (recording into the queue) without waiting
// for the posters.
func (h *harness) syncOnly() {
	h.t.Helper()
	for _, s := range h.stores {
		if _, err := h.eng.SyncNow(context.Background(), s.ID); err != nil && !bridge.IsStateError(err) {
			h.t.Fatalf("sync %s: %v", s.ID, err)
		}
	}
}

// advance moves the clock in steps so that backoffs expire, and waits for
// the posters after each step.
func (h *harness) advance(d, step time.Duration) {
	h.t.Helper()
	for passed := time.Duration(0); passed < d; passed += step {
		h.clock.Advance(step)
		h.posted()
	}
}

// Property: buyers write at random into random conversations of several
// stores; the chat answers 429 at random; the engine is stopped at random
// between "recorded" and "posted" and between "posted" and "recorded as
// posted", and restarted on the same database. Every message ends in its
// thread exactly once, in order, and never more posts than messages.
func TestInboundExactlyOnceUnderRandomStopsAndRateLimits(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			h, cc, faulty := checkingHarness(t)
			var crashAfterPost atomic.Bool
			cc.OnPost(func(bridge.Message) {
				if crashAfterPost.CompareAndSwap(true, false) {
					// The process "dies" before it records the post.
					faulty().FailNext("MarkPosted", 1)
				}
			})
			h.start()
			written := 0
			for round := 0; round < 14; round++ {
				for i, n := 0, rng.IntN(12); i < n; i++ {
					s := h.stores[rng.IntN(len(h.stores))]
					conv := bridge.ConversationID(fmt.Sprintf("%s-c%d", s.ShopID, rng.IntN(4)))
					h.clock.Advance(time.Millisecond)
					h.mp(s).BuyerSays(s.ShopID, conv, "buyer "+string(conv), fmt.Sprintf("round %d message %d", round, i))
					written++
				}
				if rng.IntN(3) == 0 {
					cc.RateLimitNext(1 + rng.IntN(3))
				}
				switch rng.IntN(4) {
				case 0: // stop after recording, before anything is posted
					cc.SetDown(true)
					h.syncOnly()
					h.posted()
					h.restart()
					cc.SetDown(false)
				case 1: // stop after posting, before "posted" is recorded
					crashAfterPost.Store(true)
					h.syncOnly()
					h.posted()
					crashAfterPost.Store(false)
					h.restart()
				default:
					h.syncOnly()
				}
				h.advance(4*time.Second, time.Second)
			}
			// Quiet now: everything drains.
			for i := 0; i < 30; i++ {
				h.syncOnly()
				h.advance(5*time.Second, time.Second)
			}
			h.assertRelayedExactlyOnce()
			threads := len(cc.Threads())
			if posts := cc.Calls() - threads; posts > written {
				t.Fatalf("%d posts for %d messages: a post must carry at least one message", posts, written)
			}
		})
	}
}

// With the state disk full nothing is posted twice, no conversation gets a
// second thread, the alert names the state database (not the network),
// and when space returns the backlog drains by itself.
func TestDiskFullPostsNothingTwiceAndNamesTheDatabase(t *testing.T) {
	s := testStores[0]
	h, cc, faulty := checkingHarness(t, s)
	h.start()
	m := h.mp(s)
	ctx := context.Background()

	// c1: its first post goes out, then the disk fills before it is recorded.
	for i := 0; i < 3; i++ {
		h.clock.Advance(time.Millisecond)
		m.BuyerSays(s.ShopID, "c1", "Ana", fmt.Sprintf("c1 message %d", i))
	}
	// c2: recorded while the chat is blocked, so its thread is opened only
	// once the disk is already full.
	release := cc.BlockPosts()
	var once atomic.Bool
	cc.OnPost(func(bridge.Message) {
		if once.CompareAndSwap(false, true) {
			faulty().SetDiskFull(true)
		}
	})
	h.clock.Advance(time.Millisecond)
	m.BuyerSays(s.ShopID, "c2", "Ben", "c2 message")
	if _, err := h.eng.SyncNow(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	release()
	h.posted()
	// Buyers keep writing while the disk is full; polls and posters retry.
	for i := 0; i < 8; i++ {
		h.clock.Advance(time.Millisecond)
		m.BuyerSays(s.ShopID, "c3", "Cy", fmt.Sprintf("c3 message %d", i))
		h.syncOnly()
		h.advance(10*time.Second, time.Second)
	}
	for id, n := range cc.PostedIDs() {
		if n > 1 {
			t.Fatalf("message %s posted %d times while the disk was full", id, n)
		}
	}
	perConv := map[bridge.ConversationID]int{}
	for _, th := range cc.Threads() {
		perConv[th.Header.Conversation]++
	}
	for conv, n := range perConv {
		if n > 1 {
			t.Fatalf("conversation %s got %d threads while the disk was full", conv, n)
		}
	}
	alerts := cc.Alerts()
	if len(alerts) != 1 || alerts[0].Last().Title != monitor.TextStateWriteFailed {
		var titles []string
		for _, a := range alerts {
			titles = append(titles, a.Last().Title)
		}
		t.Fatalf("alerts %q, want one %q", titles, monitor.TextStateWriteFailed)
	}
	if text := alerts[0].Last().Text; !strings.Contains(text, "disk is full") || !strings.Contains(text, "not a network outage") {
		t.Fatalf("state alert must say why and that it is local: %q", text)
	}
	if h.eng.Monitor().StoreHealth(s.ID).Down {
		t.Fatalf("a full disk must not mark the marketplace store down")
	}

	// Space returns: the backlog drains, once, and the alert says so.
	faulty().SetDiskFull(false)
	for i := 0; i < 10; i++ {
		h.syncOnly()
		h.advance(10*time.Second, time.Second)
	}
	h.assertRelayedExactlyOnce()
	if a := cc.Alerts(); len(a) != 1 || a[0].Last().Severity != bridge.SeverityResolved {
		t.Fatalf("state alert after recovery: %+v", a[0].Last())
	}
	if faulty().Refused() == 0 {
		t.Fatalf("the test never hit the full disk")
	}
}

// Polling keeps its interval while the chat destination is blocked for
// minutes: fetching never waits on a chat platform.
func TestPollingKeepsItsIntervalWhileTheDestinationIsBlocked(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	m := h.mp(s)
	release := h.chat.BlockPosts()
	before := m.Calls("ListConversations")
	const polls = 10 // five minutes at the test's 30 s interval
	for i := 0; i < polls; i++ {
		m.BuyerSays(s.ShopID, bridge.ConversationID(fmt.Sprintf("c%d", i)), "buyer", fmt.Sprintf("message %d", i))
		h.clock.Settle(t, h.cfg.PollInterval+time.Second, 1)
	}
	if got := m.Calls("ListConversations") - before; got < polls {
		t.Fatalf("%d polls in %d intervals while the chat was blocked", got, polls)
	}
	backlog, err := h.eng.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, b := range backlog {
		pending += b.Pending
	}
	if pending == 0 {
		t.Fatalf("the blocked destination's backlog must show in Backlog")
	}
	release()
	h.posted()
	h.assertRelayedExactlyOnce()
}

// After a marketplace outage, the first new buyer message reaches an idle
// chat within the debounce plus 3 s of the marketplace coming back.
func TestFirstMessageAfterAnOutageArrivesQuickly(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.cfg.ProbeBackoffMax = 2 * time.Minute
	h.start()
	m := h.mp(s)
	m.SetDown(true)
	for i := 0; i < 6 && len(h.chat.Alerts()) == 0; i++ {
		h.pollOnce()
	}
	if len(h.chat.Alerts()) != 1 {
		t.Fatalf("expected the interruption alert")
	}
	// Twenty seconds of outage.
	for i := 0; i < 20; i++ {
		h.clock.Settle(t, time.Second, 1)
	}
	m.SetDown(false)
	restored := h.clock.Now()
	msg := m.BuyerSays(s.ShopID, "after", "buyer", "are you there?")
	const step = 250 * time.Millisecond
	for h.chat.PostedIDs()[msg.ID] == 0 {
		if h.clock.Now().Sub(restored) > time.Minute {
			t.Fatalf("message not posted a minute after the restore")
		}
		h.clock.Settle(t, step, 1)
		h.posted()
	}
	if took, limit := h.clock.Now().Sub(restored), h.cfg.Debounce+3*time.Second; took > limit {
		t.Fatalf("first message posted %s after the restore, want within %s", took, limit)
	}
}
