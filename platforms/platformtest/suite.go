package platformtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// Run runs the whole contract suite, each case on a fresh Env.
func Run(t *testing.T, newEnv Factory) {
	cases := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"PagesThroughManyConversations", testPagesThroughManyConversations},
		{"IdleStoreCostsOneListCall", testIdleStoreCostsOneListCall},
		{"PagesThroughManyMessages", testPagesThroughManyMessages},
		{"OutOfOrderAndRepeatedPages", testOutOfOrderAndRepeatedPages},
		{"IncrementalSyncNeverMissesOrRepeats", testIncrementalSync},
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
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newEnv) })
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// buyer is the i-th test buyer's ID.
func buyer(i int) string { return fmt.Sprint(500_000_000 + i) }

func say(t *testing.T, e *Env, buyerID, text string) simulator.Message {
	t.Helper()
	m, err := e.Sim.BuyerSays(e.Store.ShopID, buyerID, text)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	return m
}

func conversationOf(t *testing.T, e *Env, buyerID string) bridge.ConversationID {
	t.Helper()
	for _, c := range e.Sim.Conversations(e.Store.ShopID) {
		if c.BuyerID == buyerID {
			return bridge.ConversationID(c.ID)
		}
	}
	t.Fatalf("simulator has no conversation with buyer %s", buyerID)
	return ""
}

func ids(ms []bridge.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.ID)
	}
	return out
}

func simIDs(ms []simulator.Message) []string {
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

func setFault(t *testing.T, e *Env, f simulator.Fault) {
	t.Helper()
	if _, err := e.Sim.SetFault(f); err != nil {
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
	e.Sim.ResetCalls()
	convs, err := e.Client.ListConversations(ctx, e.Store, since)
	if err != nil {
		t.Fatalf("ListConversations: %v", err)
	}
	if len(convs) != 0 || e.Sim.TotalCalls() != 1 {
		t.Errorf("idle store: got %d conversations with %d API calls %v, want 0 with 1 call", len(convs), e.Sim.TotalCalls(), e.Sim.Calls())
	}
	// One old conversation wakes up: still one call.
	say(t, e, buyer(3), "back again")
	e.Sim.ResetCalls()
	convs, err = e.Client.ListConversations(ctx, e.Store, since)
	if err != nil {
		t.Fatalf("ListConversations: %v", err)
	}
	if len(convs) != 1 || convs[0].BuyerID != buyer(3) || e.Sim.TotalCalls() != 1 {
		t.Errorf("one active conversation: got %d conversations with %d calls, want buyer %s with 1 call", len(convs), e.Sim.TotalCalls(), buyer(3))
	}
}

// writeMany has one buyer write n messages, several per clock second.
func writeMany(t *testing.T, e *Env, b string, n int) []simulator.Message {
	var out []simulator.Message
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
		want  []simulator.Message
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
		if !slices.Equal(ids(got), simIDs(c.want)) {
			t.Errorf("%s: got %d messages %v…, want %d oldest first", c.name, len(got), head(ids(got)), len(c.want))
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

func testOutOfOrderAndRepeatedPages(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	setFault(t, e, simulator.Fault{Kind: simulator.FaultShufflePages})
	setFault(t, e, simulator.Fault{Kind: simulator.FaultRepeatPages})
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
		want  []simulator.Message
	}{{"all", "", sent}, {"after #50", bridge.MessageID(sent[49].ID), sent[50:]}} {
		got, err := e.Client.ListMessages(ctx, e.Store, conv, c.after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), simIDs(c.want)) {
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
	setFault(t, e, simulator.Fault{Kind: simulator.FaultShufflePages})
	setFault(t, e, simulator.Fault{Kind: simulator.FaultRepeatPages})
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
	all := e.Sim.Messages(e.Store.ShopID)
	for _, m := range all {
		if n := seen[bridge.MessageID(m.ID)]; n != 1 {
			t.Errorf("message %s (%q) seen %d times, want exactly once", m.ID, m.Text, n)
		}
	}
	if len(seen) != len(all) {
		t.Errorf("saw %d distinct messages, the simulator holds %d", len(seen), len(all))
	}
}

func testSendGetsTheMessageIDBack(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	first := say(t, e, buyer(1), "is it in stock?")
	conv := conversationOf(t, e, buyer(1))
	sent, err := e.Client.SendText(ctx, e.Store, bridge.Conversation{ID: conv, BuyerID: buyer(1)}, "yes, 3 left")
	if err != nil {
		t.Fatalf("SendText: %v", err)
	}
	// Without the buyer ID the client looks the conversation up.
	sent2, err := e.Client.SendText(ctx, e.Store, bridge.Conversation{ID: conv}, "anything else?")
	if err != nil {
		t.Fatalf("SendText without buyer ID: %v", err)
	}
	var held []simulator.Message
	for _, m := range e.Sim.Messages(e.Store.ShopID) {
		if m.From == simulator.FromSellerAPI {
			held = append(held, m)
		}
	}
	if len(held) != 2 || held[0].ID != string(sent.ID) || held[1].ID != string(sent2.ID) || held[0].Text != "yes, 3 left" {
		t.Fatalf("simulator holds %+v, want the two replies with IDs %s, %s", held, sent.ID, sent2.ID)
	}
	if sent.Sender != bridge.SenderSeller || sent.Conversation != conv || sent.Text != "yes, 3 left" {
		t.Errorf("SendText returned %+v", sent)
	}
	msgs, err := e.Client.ListMessages(ctx, e.Store, conv, bridge.MessageID(first.ID), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].ID != sent.ID || msgs[0].Sender != bridge.SenderSeller {
		t.Errorf("listing after the send: got %+v, want the reply (ID %s) as a seller message", msgs, sent.ID)
	}
	if err := e.Client.MarkRead(ctx, e.Store, conv, sent2.ID); err != nil {
		t.Errorf("MarkRead: %v", err)
	}
	if c := e.Sim.Conversations(e.Store.ShopID)[0]; c.Unread != 0 || c.LastReadMessageID != string(sent2.ID) {
		t.Errorf("after MarkRead the simulator has %+v", c)
	}
}

func testSellerCentre(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	first := say(t, e, buyer(1), "hello?")
	m, err := e.Sim.SellerCentreSays(e.Store.ShopID, buyer(1), "answered from Seller Centre")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := e.Client.ListMessages(testCtx(t), e.Store, conversationOf(t, e, buyer(1)), bridge.MessageID(first.ID), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || string(msgs[0].ID) != m.ID || msgs[0].Sender != bridge.SenderSeller || msgs[0].Text != m.Text {
		t.Errorf("got %+v, want the Seller Centre message as a seller message", msgs)
	}
}

func testMessageKinds(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	want := map[string]bridge.MessageKind{
		"text": bridge.KindText, "image": bridge.KindImage, "video": bridge.KindVideo, "sticker": bridge.KindSticker,
		"item": bridge.KindItem, "order": bridge.KindOrder, "voucher": bridge.KindVoucher,
	}
	for _, typ := range simulator.MessageTypes {
		if _, err := e.Sim.BuyerSends(e.Store.ShopID, buyer(1), typ, nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := e.Client.ListMessages(testCtx(t), e.Store, conversationOf(t, e, buyer(1)), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(simulator.MessageTypes) {
		t.Fatalf("got %d messages, want %d (none dropped)", len(msgs), len(simulator.MessageTypes))
	}
	for i, typ := range simulator.MessageTypes {
		m := msgs[i]
		k, known := want[typ]
		switch {
		case known && m.Kind != k:
			t.Errorf("%s: kind %q, want %q", typ, m.Kind, k)
		case !known && (m.Kind != bridge.KindUnsupported || m.UnsupportedType != typ):
			t.Errorf("%s: kind %q type %q, want unsupported %q", typ, m.Kind, m.UnsupportedType, typ)
		case (typ == "image" || typ == "video") && m.URL == "":
			t.Errorf("%s: no URL", typ)
		case (typ == "item" && (m.Card == nil || m.Card.ItemID == "")) || (typ == "order" && (m.Card == nil || m.Card.OrderID == "")) ||
			(typ == "voucher" && (m.Card == nil || m.Card.Voucher == "")):
			t.Errorf("%s: card %+v lacks its ID", typ, m.Card)
		case typ == "text" && m.Text == "":
			t.Errorf("text: no text")
		}
		if m.Sender != bridge.SenderBuyer {
			t.Errorf("%s: sender %q, want buyer", typ, m.Sender)
		}
	}
}

func lastSaved(t *testing.T, e *Env) bridge.Tokens {
	t.Helper()
	saves := e.Tokens.Saves()
	if len(saves) == 0 {
		t.Fatal("no tokens were saved")
	}
	return saves[len(saves)-1]
}

func testRefreshesAnExpiredToken(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	say(t, e, buyer(1), "hi")
	before, _ := e.Sim.Tokens(e.Store.ShopID)
	if err := e.Sim.ExpireAccessToken(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	convs, err := e.Client.ListConversations(testCtx(t), e.Store, time.Time{})
	if err != nil || len(convs) != 1 {
		t.Fatalf("after the token expired: %d conversations, error %v; want 1 and no error", len(convs), err)
	}
	after, _ := e.Sim.Tokens(e.Store.ShopID)
	if after.Refreshes != 1 || after.RefreshToken == before.RefreshToken {
		t.Fatalf("simulator saw %d refreshes, want 1", after.Refreshes)
	}
	if s := lastSaved(t, e); s.RefreshToken != after.RefreshToken || s.AccessToken != after.AccessToken {
		t.Errorf("the saved tokens are not the new pair (refresh token persisted: %v)", s.RefreshToken == after.RefreshToken)
	}
}

func testRefreshesBeforeExpiry(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	if _, err := e.Client.ListConversations(ctx, e.Store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	tok, _ := e.Sim.Tokens(e.Store.ShopID)
	e.Clock.Set(tok.AccessExpiresAt.Add(time.Second))
	e.Sim.ResetCalls()
	if _, err := e.Client.ListConversations(ctx, e.Store, time.Time{}); err != nil {
		t.Fatalf("after the access token's lifetime: %v", err)
	}
	after, _ := e.Sim.Tokens(e.Store.ShopID)
	if after.Refreshes != 1 {
		t.Errorf("got %d refreshes, want 1", after.Refreshes)
	}
	if e.Sim.TotalCalls() != 2 {
		t.Errorf("want one refresh and one list call (no refused call first), got %v", e.Sim.Calls())
	}
	if lastSaved(t, e).RefreshToken != after.RefreshToken {
		t.Error("the new refresh token was not saved")
	}
}

func testConcurrentCallsRefreshOnce(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	conv := conversationOf(t, e, buyer(1))
	if err := e.Sim.ExpireAccessToken(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.Client.ListMessages(ctx, e.Store, conv, "", 10)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent call: %v", err)
		}
	}
	if tok, _ := e.Sim.Tokens(e.Store.ShopID); tok.Refreshes != 1 {
		t.Errorf("8 concurrent calls with an expired token made %d refreshes, want 1 (a second would spend a used refresh token)", tok.Refreshes)
	}
}

func testNewTokenUnusedUntilSaved(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	if err := e.Sim.ExpireAccessToken(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	e.Tokens.FailSaves(true)
	e.Sim.ResetCalls()
	_, err := e.Client.ListConversations(ctx, e.Store, time.Time{})
	if err == nil {
		t.Fatal("a call succeeded although the new refresh token could not be saved")
	}
	if k := kindOf(err); k != bridge.KindTransient {
		t.Errorf("unsaved tokens: kind %s, want transient", k)
	}
	tok, _ := e.Sim.Tokens(e.Store.ShopID)
	if tok.Refreshes != 1 {
		t.Fatalf("got %d refreshes, want 1", tok.Refreshes)
	}
	listCalls := e.Sim.Calls()
	e.Tokens.FailSaves(false)
	if _, err := e.Client.ListConversations(ctx, e.Store, time.Time{}); err != nil {
		t.Fatalf("once saving works again: %v", err)
	}
	if tok2, _ := e.Sim.Tokens(e.Store.ShopID); tok2.Refreshes != 1 {
		t.Errorf("the kept pair was not reused: %d refreshes", tok2.Refreshes)
	}
	if lastSaved(t, e).RefreshToken != tok.RefreshToken {
		t.Error("the new refresh token was not saved")
	}
	// Before the save, only the refresh (and possibly the refused call) reached the API.
	for path, n := range listCalls {
		if strings.Contains(path, "conversation_list") && n > 1 {
			t.Errorf("the list API was called %d times before the tokens were saved", n)
		}
	}
}

func testRevokedStoreIsAuthError(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if err := e.Sim.RevokeTokens(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	_, err := e.Client.ListConversations(testCtx(t), e.Store, time.Time{})
	if kindOf(err) != bridge.KindAuth {
		t.Errorf("revoked store: got %v, want an auth error", err)
	}
}

func testBadSignatureIsPermanent(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{WrongKey: true})
	_, err := e.Client.ListConversations(testCtx(t), e.Store, time.Time{})
	if kindOf(err) != bridge.KindPermanent || platformErr(t, err).Code == "" {
		t.Errorf("wrong key: got %v, want a permanent error with the platform's code", err)
	}
}

func testRateLimitsAreClassified(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	setFault(t, e, simulator.Fault{Kind: simulator.FaultErrorRateLimit})
	_, err := e.Client.ListConversations(ctx, e.Store, time.Time{})
	if pe := platformErr(t, err); pe.Kind != bridge.KindRateLimited || pe.RetryAfter <= 0 || pe.Code == "" {
		t.Errorf("rate-limit envelope: got %+v, want rate-limited with a wait and the code", pe)
	}
	e.Sim.ClearFaults()
	setFault(t, e, simulator.Fault{Kind: simulator.FaultHTTP429, RetryAfter: 7 * time.Second})
	_, err = e.Client.ListConversations(ctx, e.Store, time.Time{})
	if pe := platformErr(t, err); pe.Kind != bridge.KindRateLimited || pe.RetryAfter != 7*time.Second {
		t.Errorf("HTTP 429: got %+v, want rate-limited after 7s", pe)
	}
}

func testServerErrorsRetriedForReads(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	e.Pump(t)
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	for _, kind := range []simulator.FaultKind{simulator.FaultErrorServer, simulator.FaultHTTP5xx} {
		setFault(t, e, simulator.Fault{Kind: kind, Count: 1})
		e.Sim.ResetCalls()
		convs, err := e.Client.ListConversations(ctx, e.Store, time.Time{})
		if err != nil || len(convs) != 1 {
			t.Errorf("%s once: got %d conversations, %v; want the retry to succeed", kind, len(convs), err)
		}
		if e.Sim.TotalCalls() != 2 {
			t.Errorf("%s once: %d calls, want 2", kind, e.Sim.TotalCalls())
		}
		setFault(t, e, simulator.Fault{Kind: kind})
		_, err = e.Client.ListConversations(ctx, e.Store, time.Time{})
		if kindOf(err) != bridge.KindTransient {
			t.Errorf("%s for good: got %v, want transient", kind, err)
		}
		e.Sim.ClearFaults()
	}
}

func sellerAPIMessages(e *Env) int {
	n := 0
	for _, m := range e.Sim.Messages(e.Store.ShopID) {
		if m.From == simulator.FromSellerAPI {
			n++
		}
	}
	return n
}

func testSendIsNotRetried(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	e.Pump(t)
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	conv := bridge.Conversation{ID: conversationOf(t, e, buyer(1)), BuyerID: buyer(1)}
	for _, kind := range []simulator.FaultKind{simulator.FaultErrorServer, simulator.FaultHTTP5xx} {
		setFault(t, e, simulator.Fault{Kind: kind, Path: "send", Count: 1})
		e.Sim.ResetCalls()
		_, err := e.Client.SendText(ctx, e.Store, conv, "reply")
		if err == nil || kindOf(err) != bridge.KindTransient || platformErr(t, err).NotDelivered {
			t.Errorf("%s on send: got %v, want transient, possibly delivered", kind, err)
		}
		if e.Sim.TotalCalls() != 1 {
			t.Errorf("%s on send: %d calls %v, want exactly 1 (sends are not retried)", kind, e.Sim.TotalCalls(), e.Sim.Calls())
		}
	}
	if n := sellerAPIMessages(e); n != 0 {
		t.Errorf("the simulator holds %d replies, want 0", n)
	}
	if _, err := e.Client.SendText(ctx, e.Store, conv, "reply"); err != nil {
		t.Errorf("send after the faults: %v", err)
	}
	if n := sellerAPIMessages(e); n != 1 {
		t.Errorf("the simulator holds %d replies, want exactly 1", n)
	}
}

func testOutageIsTransient(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	e.Pump(t)
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	conv := bridge.Conversation{ID: conversationOf(t, e, buyer(1)), BuyerID: buyer(1)}
	setFault(t, e, simulator.Fault{Kind: simulator.FaultRefuse})
	_, err := e.Client.ListConversations(ctx, e.Store, time.Time{})
	if kindOf(err) != bridge.KindTransient {
		t.Errorf("outage: got %v, want transient", err)
	}
	_, err = e.Client.SendText(ctx, e.Store, conv, "reply")
	if err == nil || kindOf(err) != bridge.KindTransient || !platformErr(t, err).NotDelivered {
		t.Errorf("send during an outage: got %v, want transient and certainly not delivered", err)
	}
	e.Sim.ClearFaults()
	if _, err := e.Client.ListConversations(ctx, e.Store, time.Time{}); err != nil {
		t.Errorf("after the outage: %v", err)
	}
	if _, err := e.Client.SendText(ctx, e.Store, conv, "reply"); err != nil {
		t.Errorf("send after the outage: %v", err)
	}
	if n := sellerAPIMessages(e); n != 1 {
		t.Errorf("the simulator holds %d replies, want exactly 1", n)
	}
}

func testHangTimesOut(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{Timeout: 300 * time.Millisecond})
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	conv := bridge.Conversation{ID: conversationOf(t, e, buyer(1)), BuyerID: buyer(1)}
	setFault(t, e, simulator.Fault{Kind: simulator.FaultHang, Path: "send"})
	e.Sim.ResetCalls()
	_, err := e.Client.SendText(ctx, e.Store, conv, "reply")
	if err == nil || kindOf(err) != bridge.KindTransient || platformErr(t, err).NotDelivered {
		t.Errorf("hanging send: got %v, want transient, possibly delivered", err)
	}
	if e.Sim.TotalCalls() != 1 {
		t.Errorf("hanging send was tried %d times, want 1", e.Sim.TotalCalls())
	}
	e.Sim.ClearFaults()
}

func postPush(e *Env, body []byte, header, value string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, e.PushURL, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(header, value)
	}
	rec := httptest.NewRecorder()
	e.Push.ServeHTTP(rec, req)
	return rec
}

func hinted(e *Env) bool {
	for _, h := range e.Hints.Drain() {
		if h.ShopID == e.Store.ShopID && h.Platform == e.Client.Platform() {
			return true
		}
	}
	return false
}

func testPushVerification(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if e.Push == nil {
		t.Skip("the platform has no push endpoint")
	}
	body := e.PushBody(e.Clock.Now())
	h, sig := e.SignPush(body)
	if rec := postPush(e, body, h, sig); rec.Code/100 != 2 || rec.Body.Len() != 0 || !hinted(e) {
		t.Errorf("right signature: status %d, body %q, hinted %v; want 2xx, empty, hinted", rec.Code, rec.Body.String(), hinted(e))
	}
	if rec := postPush(e, body, h, sig); rec.Code/100 != 2 || hinted(e) {
		t.Errorf("repeated push: status %d; want 2xx and no second hint", rec.Code)
	}
	other := e.PushBody(e.Clock.Now().Add(-time.Second))
	cases := []struct {
		name         string
		body         []byte
		header, sign string
	}{
		{"wrong signature", other, h, strings.Repeat("0", len(sig))},
		{"signature of another body", other, h, sig},
		{"missing signature", other, "", ""},
	}
	for _, c := range cases {
		if rec := postPush(e, c.body, c.header, c.sign); rec.Code != http.StatusUnauthorized || hinted(e) {
			t.Errorf("%s: status %d; want 401 and no hint", c.name, rec.Code)
		}
	}
	stale := e.PushBody(e.Clock.Now().Add(-24 * time.Hour))
	sh, ssig := e.SignPush(stale)
	if rec := postPush(e, stale, sh, ssig); rec.Code != http.StatusUnauthorized || hinted(e) {
		t.Errorf("replayed day-old push: status %d; want 401 and no hint", rec.Code)
	}
	if rec := postPush(e, nil, "", ""); rec.Code/100 != 2 {
		t.Errorf("empty verification push: status %d; want 2xx", rec.Code)
	}
}

// waitFor waits (in real time, bounded) for an asynchronous condition.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func testSimulatorPushReachesClient(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if e.Push == nil {
		t.Skip("the platform has no push endpoint")
	}
	e.Sim.SetPushCallback(e.PushURL)
	say(t, e, buyer(1), "hello")
	select {
	case <-e.Hints.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("no hint after the simulator pushed a buyer message")
	}
	if !hinted(e) {
		t.Error("the hint is not for the store's shop")
	}
	if lost := e.Sim.LostPushes(); len(lost) != 0 {
		t.Errorf("the client refused the simulator's push: %d lost", len(lost))
	}
}

func testLostPushesRecovered(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if e.RecoverLostPushes == nil {
		t.Skip("the platform has no lost-push API")
	}
	ctx := testCtx(t)
	e.Sim.SetPushCallback(e.PushURL)
	setFault(t, e, simulator.Fault{Kind: simulator.FaultDropPushes})
	say(t, e, buyer(1), "this push gets lost")
	waitFor(t, "the lost push", func() bool { return len(e.Sim.LostPushes()) == 1 })
	if hinted(e) {
		t.Fatal("a dropped push produced a hint")
	}
	if err := e.RecoverLostPushes(ctx); err != nil {
		t.Fatalf("RecoverLostPushes: %v", err)
	}
	if !hinted(e) {
		t.Error("the recovered push produced no hint")
	}
	if lost := e.Sim.LostPushes(); !lost[0].Consumed {
		t.Error("the recovered push was not confirmed consumed")
	}
	if err := e.RecoverLostPushes(ctx); err != nil || hinted(e) {
		t.Errorf("second recovery: err %v, hinted %v; want nothing left", err, hinted(e))
	}
}
