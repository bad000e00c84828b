package platformtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The push-first cases: a push-driven platform's new messages arrive by
// push only, its IM lists are called by nothing but the history import
// (and explicit repairs), and the import pages through them like a poll
// would.

func pushDriven(t *testing.T, e *Env) bridge.PushDriven {
	t.Helper()
	pd, ok := e.Client.(bridge.PushDriven)
	if !ok {
		t.Fatal("the client is not bridge.PushDriven")
	}
	return pd
}

// listCalls counts the backend's IM list calls.
func listCalls(e *Env) int {
	n := 0
	d := e.Backend
	for path, c := range e.Backend.Calls() {
		if containsAny(path, d.Path(APIListConversations), d.Path(APIListMessages)) {
			n += c
		}
	}
	return n
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// settled waits until every message the backend holds is recorded.
func settled(t *testing.T, e *Env) {
	t.Helper()
	want := len(e.Backend.Messages(e.Store.ShopID))
	e.Recorder.WaitFor(t, fmt.Sprintf("%d messages recorded", want), func() bool { return e.Recorder.Count() >= want })
}

func testImportManyConversations(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	want := map[string]bool{}
	for i := range 60 {
		say(t, e, buyer(i), "hello")
		want[buyer(i)] = true
		e.Clock.Advance(time.Second)
	}
	e.Backend.ResetCalls()
	hist, err := pushDriven(t, e).ImportHistory(testCtx(t), e.Store, time.Time{}, 20)
	if err != nil {
		t.Fatalf("ImportHistory: %v", err)
	}
	got := map[bridge.ConversationID]bool{}
	for _, h := range hist {
		c := h.Conversation
		if got[c.ID] {
			t.Errorf("conversation %s imported twice", c.ID)
		}
		got[c.ID] = true
		if !want[c.BuyerID] {
			t.Errorf("conversation %s has unexpected buyer %q", c.ID, c.BuyerID)
		}
		delete(want, c.BuyerID)
		if c.LatestMessageID == "" || c.LatestMessageAt.IsZero() || c.BuyerName == "" {
			t.Errorf("conversation %s lacks its latest message or buyer name: %+v", c.ID, c)
		}
		if len(h.Messages) != 1 || h.Messages[0].Text != "hello" {
			t.Errorf("conversation %s: messages %+v, want its hello", c.ID, h.Messages)
		}
	}
	if len(want) != 0 {
		t.Errorf("%d conversations were not imported (of 60)", len(want))
	}
	// Since a time: only what was active after it.
	since := e.Clock.Now().Add(-10 * time.Second)
	hist, err = pushDriven(t, e).ImportHistory(testCtx(t), e.Store, since, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) < 9 || len(hist) > 11 {
		t.Errorf("since 10s ago: %d conversations, want the last 10", len(hist))
	}
}

func testImportManyMessages(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	sent := writeMany(t, e, buyer(1), 120)
	cases := []struct {
		name  string
		limit int
		want  []Message
	}{
		{"all", 500, sent},
		{"newest ten", 10, sent[110:]},
		{"newest 45", 45, sent[75:]},
	}
	for _, c := range cases {
		hist, err := pushDriven(t, e).ImportHistory(ctx, e.Store, time.Time{}, c.limit)
		if err != nil {
			t.Fatalf("%s: ImportHistory: %v", c.name, err)
		}
		if len(hist) != 1 {
			t.Fatalf("%s: %d conversations, want 1", c.name, len(hist))
		}
		if got := hist[0].Messages; !slices.Equal(ids(got), heldIDs(c.want)) {
			t.Errorf("%s: got %d messages %v…, want %d oldest first", c.name, len(got), head(ids(got)), len(c.want))
		}
	}
}

func testImportOutOfOrderAndRepeatedPages(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	setFault(t, e, Fault{Kind: FaultShufflePages})
	setFault(t, e, Fault{Kind: FaultRepeatPages})
	for i := range 60 {
		say(t, e, buyer(i), "hello")
		if i%2 == 0 {
			e.Clock.Advance(time.Second)
		}
	}
	sent := writeMany(t, e, buyer(100), 120)
	hist, err := pushDriven(t, e).ImportHistory(ctx, e.Store, time.Time{}, 500)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[bridge.ConversationID]int{}
	for _, h := range hist {
		seen[h.Conversation.ID]++
		if h.Conversation.BuyerID == buyer(100) && !slices.Equal(ids(h.Messages), heldIDs(sent)) {
			t.Errorf("got %d messages through shuffled, overlapping pages, want exactly %d once each, oldest first", len(h.Messages), len(sent))
		}
	}
	if len(seen) != 61 || len(hist) != 61 {
		t.Errorf("got %d conversations (%d distinct) through shuffled, overlapping pages, want 61", len(hist), len(seen))
	}
}

func testListsAreNeverCalled(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	m := say(t, e, buyer(1), "hello")
	recorded(t, e, m.ID)
	e.Backend.ResetCalls()
	if _, err := e.Client.ListConversations(ctx, e.Store, time.Time{}); err == nil {
		t.Error("ListConversations of a push-driven platform returned no error")
	}
	if _, err := e.Client.ListMessages(ctx, e.Store, bridge.ConversationID(m.ConversationID), "", 10); err == nil {
		t.Error("ListMessages of a push-driven platform returned no error")
	}
	if n := e.Backend.TotalCalls(); n != 0 {
		t.Errorf("the list methods made %d API calls %v, want none", n, e.Backend.Calls())
	}
}

// testPushesRecordedExactlyOnce is the push-first counterpart of the
// incremental sync: buyers write in rounds (new and returning
// conversations, replies from Seller Centre), every message is recorded
// from its push exactly once, and nothing calls the IM lists.
func testPushesRecordedExactlyOnce(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	e.Backend.ResetCalls()
	for round := range 25 {
		for k := range 9 {
			say(t, e, buyer((round*9+k*7)%40), fmt.Sprintf("round %d message %d", round, k))
			if k%4 == 3 {
				e.Clock.Advance(time.Second)
			}
		}
		if round%5 == 4 {
			if _, err := e.Backend.SellerSays(e.Store.ShopID, buyer(round), "from Seller Centre"); err != nil {
				t.Fatal(err)
			}
		}
		e.Clock.Advance(2 * time.Second)
	}
	settled(t, e)
	all := e.Backend.Messages(e.Store.ShopID)
	for _, m := range all {
		if n := e.Recorder.Times(bridge.MessageID(m.ID)); n != 1 {
			t.Errorf("message %s (%q) recorded %d times, want exactly once", m.ID, m.Text, n)
		}
	}
	if e.Recorder.Count() != len(all) {
		t.Errorf("recorded %d distinct messages, the backend holds %d", e.Recorder.Count(), len(all))
	}
	if n := listCalls(e); n != 0 {
		t.Errorf("the IM lists were called %d times %v, want never", n, e.Backend.Calls())
	}
}

func testUnacknowledgedPushDeliveredAgain(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if e.PushRetry <= 0 {
		t.Skip("the Env does not say when the platform delivers a push again")
	}
	setFault(t, e, Fault{Kind: FaultDropPushes, Count: 1})
	m, err := e.Backend.BuyerSays(e.Store.ShopID, buyer(1), "this push is not acknowledged at first")
	if err != nil {
		t.Fatal(err)
	}
	// Give the backend time to try (in real time), then let its retry wait pass.
	waitFor(t, "the dropped push to be scheduled again", func() bool { return e.Clock.Waiters() > 0 })
	if _, ok := e.Recorder.Message(bridge.MessageID(m.ID)); ok {
		t.Fatal("a dropped push was recorded")
	}
	e.Clock.Advance(e.PushRetry)
	recorded(t, e, m.ID)
	if n := listCalls(e); n != 0 {
		t.Errorf("the IM lists were called %d times, want never", n)
	}
}
