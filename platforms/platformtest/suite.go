package platformtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Run runs the whole contract suite, each case on a fresh Env: the
// polling contract, or the push-first one for a push-driven client.
func Run(t *testing.T, newEnv Factory) {
	type tc struct {
		name string
		fn   func(*testing.T, Factory)
	}
	common := []tc{
		{"SendGetsTheMessageIDBack", testSendGetsTheMessageIDBack},
		{"SellerCentreMessagesAreSellerSide", testSellerCentre},
		{"MessageKinds", testMessageKinds},
		{"RefreshesAnExpiredToken", testRefreshesAnExpiredToken},
		{"RefreshesBeforeExpiry", testRefreshesBeforeExpiry},
		{"ConcurrentCallsRefreshOnce", testConcurrentCallsRefreshOnce},
		{"NewTokenUnusedUntilSaved", testNewTokenUnusedUntilSaved},
		{"RevokedStoreIsAuthError", testRevokedStoreIsAuthError},
		{"BadSignatureIsPermanent", testBadSignatureIsPermanent},
		{"RateLimitsAreClassified", testRateLimitsAreClassified},
		{"ServerErrorsRetriedForReads", testServerErrorsRetriedForReads},
		{"SendIsNotRetried", testSendIsNotRetried},
		{"OutageIsTransient", testOutageIsTransient},
		{"HangTimesOut", testHangTimesOut},
		{"PushVerification", testPushVerification},
		{"SimulatorPushReachesClient", testSimulatorPushReachesClient},
		{"LostPushesRecovered", testLostPushesRecovered},
	}
	polling := []tc{
		{"PagesThroughManyConversations", testPagesThroughManyConversations},
		{"IdleStoreCostsOneListCall", testIdleStoreCostsOneListCall},
		{"PagesThroughManyMessages", testPagesThroughManyMessages},
		{"OutOfOrderAndRepeatedPages", testOutOfOrderAndRepeatedPages},
		{"IncrementalSyncNeverMissesOrRepeats", testIncrementalSync},
	}
	pushFirst := []tc{
		{"ImportPagesThroughManyConversations", testImportManyConversations},
		{"ImportPagesThroughManyMessages", testImportManyMessages},
		{"ImportOutOfOrderAndRepeatedPages", testImportOutOfOrderAndRepeatedPages},
		{"ListsAreNeverCalled", testListsAreNeverCalled},
		{"PushesRecordedExactlyOnceWithoutListCalls", testPushesRecordedExactlyOnce},
		{"UnacknowledgedPushIsDeliveredAgain", testUnacknowledgedPushDeliveredAgain},
	}
	build := func(t testing.TB, o Options) *Env {
		e := newEnv(t, o)
		if e.Backend == nil {
			t.Fatal("platformtest: the Factory's Env has no Backend")
		}
		if e.Pushes != nil {
			e.Recorder = AttachRecorder(t, e.Pushes, e.OpenState, e.Store)
			if e.Quiesce != nil {
				t.Cleanup(e.Quiesce) // runs before the Recorder stops
			}
		}
		return e
	}
	probe := newEnv(t, Options{})
	cases := append(polling, common...)
	if probe.PushFirst() {
		cases = append(pushFirst, common...)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, build) })
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// buyer is the i-th test buyer's ID.
func buyer(i int) string { return BuyerID(i) }

func say(t *testing.T, e *Env, buyerID, text string) Message {
	t.Helper()
	m, err := e.Backend.BuyerSays(e.Store.ShopID, buyerID, text)
	if err != nil {
		t.Fatalf("backend: %v", err)
	}
	if e.Recorder != nil {
		// Push-first: the message has reached the bridge (and the client
		// is done with its push) before the test goes on.
		recorded(t, e, m.ID)
	}
	return m
}

func conversationOf(t *testing.T, e *Env, buyerID string) bridge.ConversationID {
	t.Helper()
	for _, c := range e.Backend.Conversations(e.Store.ShopID) {
		if c.BuyerID == buyerID {
			return bridge.ConversationID(c.ID)
		}
	}
	t.Fatalf("the backend has no conversation with buyer %s", buyerID)
	return ""
}

func ids(ms []bridge.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.ID)
	}
	return out
}

func heldIDs(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func kindOf(err error) bridge.ErrorKind {
	if err == nil {
		return 0
	}
	return bridge.Classify(err)
}

func platformErr(t *testing.T, err error) *bridge.PlatformError {
	t.Helper()
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *bridge.PlatformError", err)
	}
	return pe
}

func setFault(t *testing.T, e *Env, f Fault) {
	t.Helper()
	if err := e.Backend.SetFault(f); err != nil {
		t.Fatal(err)
	}
}

func testPagesThroughManyConversations(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	want := map[string]bool{}
	for i := range 60 {
		say(t, e, buyer(i), "hello")
		want[buyer(i)] = true
		e.Clock.Advance(time.Second)
	}
	convs, err := e.Client.ListConversations(testCtx(t), e.Store, time.Time{})
	if err != nil {
		t.Fatalf("ListConversations: %v", err)
	}
	got := map[bridge.ConversationID]bool{}
	for _, c := range convs {
		if got[c.ID] {
			t.Errorf("conversation %s listed twice", c.ID)
		}
		got[c.ID] = true
		if !want[c.BuyerID] {
			t.Errorf("conversation %s has unexpected buyer %q", c.ID, c.BuyerID)
		}
		delete(want, c.BuyerID)
		if c.LatestMessageID == "" || c.LatestMessageAt.IsZero() {
			t.Errorf("conversation %s lacks its latest message ID or time: %+v", c.ID, c)
		}
	}
	if len(want) != 0 {
		t.Errorf("%d conversations were not listed (of 60)", len(want))
	}
}

func testIdleStoreCostsOneListCall(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	for i := range 60 {
		say(t, e, buyer(i), "hello")
		e.Clock.Advance(time.Second)
	}
	e.Clock.Advance(time.Minute)
	since := e.Clock.Now()
	e.Backend.ResetCalls()
	convs, err := e.Client.ListConversations(ctx, e.Store, since)
	if err != nil {
		t.Fatalf("ListConversations: %v", err)
	}
	if len(convs) != 0 || e.Backend.TotalCalls() != 1 {
		t.Errorf("idle store: got %d conversations with %d API calls %v, want 0 with 1 call", len(convs), e.Backend.TotalCalls(), e.Backend.Calls())
	}
	// One old conversation wakes up: still one call.
	say(t, e, buyer(3), "back again")
	e.Backend.ResetCalls()
	convs, err = e.Client.ListConversations(ctx, e.Store, since)
	if err != nil {
		t.Fatalf("ListConversations: %v", err)
	}
	if len(convs) != 1 || convs[0].BuyerID != buyer(3) || e.Backend.TotalCalls() != 1 {
		t.Errorf("one active conversation: got %d conversations with %d calls, want buyer %s with 1 call", len(convs), e.Backend.TotalCalls(), buyer(3))
	}
}

// writeMany has one buyer write n messages, several per clock second.
func writeMany(t *testing.T, e *Env, b string, n int) []Message {
	var out []Message
	for i := range n {
		out = append(out, say(t, e, b, fmt.Sprintf("message %d", i)))
		if i%3 == 2 {
			e.Clock.Advance(time.Second)
		}
	}
	return out
}

func testPagesThroughManyMessages(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	sent := writeMany(t, e, buyer(1), 120)
	conv := conversationOf(t, e, buyer(1))
	cases := []struct {
		name  string
		after bridge.MessageID
		limit int
		want  []Message
	}{
		{"all", "", 500, sent},
		{"after a known message", bridge.MessageID(sent[99].ID), 500, sent[100:]},
		{"newest ten", "", 10, sent[110:]},
		{"after an unknown message", "1", 10, sent[110:]},
		{"nothing new", bridge.MessageID(sent[119].ID), 500, nil},
	}
	for _, c := range cases {
		got, err := e.Client.ListMessages(ctx, e.Store, conv, c.after, c.limit)
		if err != nil {
			t.Fatalf("%s: ListMessages: %v", c.name, err)
		}
		if !slices.Equal(ids(got), heldIDs(c.want)) {
			t.Errorf("%s: got %d messages %v…, want %d oldest first", c.name, len(got), head(ids(got)), len(c.want))
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

func testOutOfOrderAndRepeatedPages(t *testing.T, newEnv Factory) {
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
	convs, err := e.Client.ListConversations(ctx, e.Store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[bridge.ConversationID]int{}
	for _, c := range convs {
		seen[c.ID]++
	}
	if len(seen) != 60 || len(convs) != 60 {
		t.Errorf("got %d conversations (%d distinct) through shuffled, overlapping pages, want 60", len(convs), len(seen))
	}
	sent := writeMany(t, e, buyer(100), 120)
	conv := conversationOf(t, e, buyer(100))
	for _, c := range []struct {
		name  string
		after bridge.MessageID
		want  []Message
	}{{"all", "", sent}, {"after #50", bridge.MessageID(sent[49].ID), sent[50:]}} {
		got, err := e.Client.ListMessages(ctx, e.Store, conv, c.after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), heldIDs(c.want)) {
			t.Errorf("%s: got %d messages, want exactly %d once each, oldest first", c.name, len(got), len(c.want))
		}
	}
}

// testIncrementalSync polls as the engine does (conversations since the last
// poll, messages after each conversation's watermark) while buyers write,
// with shuffled and overlapping pages, and checks every message is seen once.
func testIncrementalSync(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	setFault(t, e, Fault{Kind: FaultShufflePages})
	setFault(t, e, Fault{Kind: FaultRepeatPages})
	seen := map[bridge.MessageID]int{}
	watermark := map[bridge.ConversationID]bridge.MessageID{}
	var cursor time.Time
	for round := range 25 {
		for k := range 9 {
			say(t, e, buyer((round*9+k*7)%40), fmt.Sprintf("round %d message %d", round, k))
			if k%4 == 3 {
				e.Clock.Advance(time.Second)
			}
		}
		pollStart := e.Clock.Now()
		convs, err := e.Client.ListConversations(ctx, e.Store, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range convs {
			msgs, err := e.Client.ListMessages(ctx, e.Store, c.ID, watermark[c.ID], 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				seen[m.ID]++
				watermark[c.ID] = m.ID
			}
		}
		cursor = pollStart
		e.Clock.Advance(2 * time.Second)
	}
	all := e.Backend.Messages(e.Store.ShopID)
	for _, m := range all {
		if n := seen[bridge.MessageID(m.ID)]; n != 1 {
			t.Errorf("message %s (%q) seen %d times, want exactly once", m.ID, m.Text, n)
		}
	}
	if len(seen) != len(all) {
		t.Errorf("saw %d distinct messages, the backend holds %d", len(seen), len(all))
	}
}
