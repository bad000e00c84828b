package platformtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// The cases both contracts share. Where the polling contract reads with
// ListConversations (or ListMessages), the push-first one reads with the
// health check and sees messages arrive in its Recorder.

// read makes the contract's plain authorized call: ListConversations for a
// polled platform (returning how many conversations it listed), the health
// check for a push-driven one (returning -1).
func read(ctx context.Context, e *Env) (int, error) {
	if e.PushFirst() {
		return -1, e.Client.(bridge.PushDriven).CheckHealth(ctx, e.Store)
	}
	convs, err := e.Client.ListConversations(ctx, e.Store, time.Time{})
	return len(convs), err
}

// recorded waits until the Recorder holds message id and returns it.
func recorded(t *testing.T, e *Env, id string) bridge.Message {
	t.Helper()
	var m bridge.Message
	e.Recorder.WaitFor(t, "message "+id+" recorded from its push", func() bool {
		var ok bool
		m, ok = e.Recorder.Message(bridge.MessageID(id))
		return ok
	})
	return m
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
	// Without the buyer ID the client looks the conversation up (if it needs to).
	sent2, err := e.Client.SendText(ctx, e.Store, bridge.Conversation{ID: conv}, "anything else?")
	if err != nil {
		t.Fatalf("SendText without buyer ID: %v", err)
	}
	var held []Message
	for _, m := range e.Backend.Messages(e.Store.ShopID) {
		if m.From == FromSellerAPI {
			held = append(held, m)
		}
	}
	if len(held) != 2 || held[0].ID != string(sent.ID) || held[1].ID != string(sent2.ID) || held[0].Text != "yes, 3 left" {
		t.Fatalf("the backend holds %+v, want the two replies with IDs %s, %s", held, sent.ID, sent2.ID)
	}
	if sent.Sender != bridge.SenderSeller || sent.Conversation != conv || sent.Text != "yes, 3 left" {
		t.Errorf("SendText returned %+v", sent)
	}
	if e.Recorder != nil {
		// The platform pushes the seller's own messages back: the echo
		// carries the ID SendText returned.
		for _, s := range []bridge.Message{sent, sent2} {
			if m := recorded(t, e, string(s.ID)); m.Sender != bridge.SenderSeller || m.Conversation != conv || m.Text != s.Text {
				t.Errorf("the pushed echo of %s is %+v, want the seller's %q", s.ID, m, s.Text)
			}
		}
	}
	if !e.PushFirst() {
		msgs, err := e.Client.ListMessages(ctx, e.Store, conv, bridge.MessageID(first.ID), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].ID != sent.ID || msgs[0].Sender != bridge.SenderSeller {
			t.Errorf("listing after the send: got %+v, want the reply (ID %s) as a seller message", msgs, sent.ID)
		}
	}
	if err := e.Client.MarkRead(ctx, e.Store, conv, sent2.ID); err != nil {
		t.Errorf("MarkRead: %v", err)
	}
	if c := e.Backend.Conversations(e.Store.ShopID)[0]; c.Unread != 0 || c.LastReadMessageID != string(sent2.ID) {
		t.Errorf("after MarkRead the backend has %+v", c)
	}
}

func testSellerCentre(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	first := say(t, e, buyer(1), "hello?")
	m, err := e.Backend.SellerSays(e.Store.ShopID, buyer(1), "answered from Seller Centre")
	if err != nil {
		t.Fatal(err)
	}
	if e.Recorder != nil {
		recorded(t, e, first.ID)
		if got := recorded(t, e, m.ID); got.Sender != bridge.SenderSeller || got.Text != m.Text {
			t.Errorf("pushed: got %+v, want the Seller Centre message as a seller message", got)
		}
	}
	if !e.PushFirst() {
		msgs, err := e.Client.ListMessages(testCtx(t), e.Store, conversationOf(t, e, buyer(1)), bridge.MessageID(first.ID), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || string(msgs[0].ID) != m.ID || msgs[0].Sender != bridge.SenderSeller || msgs[0].Text != m.Text {
			t.Errorf("listed: got %+v, want the Seller Centre message as a seller message", msgs)
		}
	}
}

func testMessageKinds(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	types := e.Backend.MessageTypes()
	var sent []Message
	for _, mt := range types {
		m, err := e.Backend.BuyerSends(e.Store.ShopID, buyer(1), mt.Type, 1)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	// Every type must decode alike whichever way it reached the bridge:
	// pushed (push-first, and polled platforms whose pushes carry messages)
	// and listed (polled platforms).
	ways := map[string][]bridge.Message{}
	if e.Recorder != nil {
		for _, m := range sent {
			ways["pushed"] = append(ways["pushed"], recorded(t, e, m.ID))
		}
	}
	if !e.PushFirst() {
		msgs, err := e.Client.ListMessages(testCtx(t), e.Store, conversationOf(t, e, buyer(1)), "", 100)
		if err != nil {
			t.Fatal(err)
		}
		ways["listed"] = msgs
	}
	for way, msgs := range ways {
		checkKinds(t, way, types, msgs)
	}
}

// checkKinds checks that msgs (as they reached the bridge one way) are
// the dialect's types, in order, each decoded as its kind.
func checkKinds(t *testing.T, way string, types []MessageType, msgs []bridge.Message) {
	t.Helper()
	if len(msgs) != len(types) {
		t.Fatalf("%s: got %d messages, want %d (none dropped)", way, len(msgs), len(types))
	}
	for i, mt := range types {
		m, typ := msgs[i], way+" "+mt.Type
		switch {
		case m.Kind != mt.Kind:
			t.Errorf("%s: kind %q, want %q", typ, m.Kind, mt.Kind)
		case m.Kind == bridge.KindUnsupported && m.UnsupportedType != mt.UnsupportedType:
			t.Errorf("%s: unsupported type %q, want %q", typ, m.UnsupportedType, mt.UnsupportedType)
		case (m.Kind == bridge.KindImage || m.Kind == bridge.KindVideo) && m.URL == "":
			t.Errorf("%s: no URL", typ)
		case (m.Kind == bridge.KindItem && (m.Card == nil || m.Card.ItemID == "")) ||
			((m.Kind == bridge.KindOrder || m.Kind == bridge.KindRefund) && (m.Card == nil || m.Card.OrderID == "")) ||
			(m.Kind == bridge.KindVoucher && (m.Card == nil || m.Card.Voucher == "")):
			t.Errorf("%s: card %+v lacks its ID", typ, m.Card)
		case m.Kind == bridge.KindText && m.Text == "":
			t.Errorf("%s: no text", typ)
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
	before, _ := e.Backend.Tokens(e.Store.ShopID)
	if err := e.Backend.ExpireAccessToken(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	n, err := read(testCtx(t), e)
	if err != nil || (n >= 0 && n != 1) {
		t.Fatalf("after the token expired: %d conversations, error %v; want 1 and no error", n, err)
	}
	after, _ := e.Backend.Tokens(e.Store.ShopID)
	if after.Refreshes != 1 || after.RefreshToken == before.RefreshToken {
		t.Fatalf("the backend saw %d refreshes, want 1", after.Refreshes)
	}
	if s := lastSaved(t, e); s.RefreshToken != after.RefreshToken || s.AccessToken != after.AccessToken {
		t.Errorf("the saved tokens are not the new pair (refresh token persisted: %v)", s.RefreshToken == after.RefreshToken)
	}
}

func testRefreshesBeforeExpiry(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	if _, err := read(ctx, e); err != nil {
		t.Fatal(err)
	}
	tok, _ := e.Backend.Tokens(e.Store.ShopID)
	e.Clock.Set(tok.AccessExpiresAt.Add(time.Second))
	e.Backend.ResetCalls()
	if _, err := read(ctx, e); err != nil {
		t.Fatalf("after the access token's lifetime: %v", err)
	}
	after, _ := e.Backend.Tokens(e.Store.ShopID)
	if after.Refreshes != 1 {
		t.Errorf("got %d refreshes, want 1", after.Refreshes)
	}
	if e.Backend.TotalCalls() != 2 {
		t.Errorf("want one refresh and one read call (no refused call first), got %v", e.Backend.Calls())
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
	if err := e.Backend.ExpireAccessToken(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if e.PushFirst() {
				_, err = read(ctx, e)
			} else {
				_, err = e.Client.ListMessages(ctx, e.Store, conv, "", 10)
			}
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
	if tok, _ := e.Backend.Tokens(e.Store.ShopID); tok.Refreshes != 1 {
		t.Errorf("8 concurrent calls with an expired token made %d refreshes, want 1 (a second would spend a used refresh token)", tok.Refreshes)
	}
}

func testNewTokenUnusedUntilSaved(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	if err := e.Backend.ExpireAccessToken(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	e.Tokens.FailSaves(true)
	e.Backend.ResetCalls()
	_, err := read(ctx, e)
	if err == nil {
		t.Fatal("a call succeeded although the new refresh token could not be saved")
	}
	if k := kindOf(err); k != bridge.KindTransient {
		t.Errorf("unsaved tokens: kind %s, want transient", k)
	}
	tok, _ := e.Backend.Tokens(e.Store.ShopID)
	if tok.Refreshes != 1 {
		t.Fatalf("got %d refreshes, want 1", tok.Refreshes)
	}
	calls := e.Backend.Calls()
	e.Tokens.FailSaves(false)
	if _, err := read(ctx, e); err != nil {
		t.Fatalf("once saving works again: %v", err)
	}
	if tok2, _ := e.Backend.Tokens(e.Store.ShopID); tok2.Refreshes != 1 {
		t.Errorf("the kept pair was not reused: %d refreshes", tok2.Refreshes)
	}
	if lastSaved(t, e).RefreshToken != tok.RefreshToken {
		t.Error("the new refresh token was not saved")
	}
	// Before the save, only the refresh (and possibly the refused call) reached the API.
	readAPI := APIListConversations
	if e.PushFirst() {
		readAPI = APIHealth
	}
	for path, n := range calls {
		if strings.Contains(path, e.Backend.Path(readAPI)) && n > 1 {
			t.Errorf("the read API was called %d times before the tokens were saved", n)
		}
	}
}

func testRevokedStoreIsAuthError(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if err := e.Backend.RevokeTokens(e.Store.ShopID); err != nil {
		t.Fatal(err)
	}
	_, err := read(testCtx(t), e)
	if kindOf(err) != bridge.KindAuth {
		t.Errorf("revoked store: got %v, want an auth error", err)
	}
}

func testBadSignatureIsPermanent(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{WrongKey: true})
	_, err := read(testCtx(t), e)
	if kindOf(err) != bridge.KindPermanent || platformErr(t, err).Code == "" {
		t.Errorf("wrong key: got %v, want a permanent error with the platform's code", err)
	}
}

func testRateLimitsAreClassified(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	setFault(t, e, Fault{Kind: FaultRateLimit})
	_, err := read(ctx, e)
	if pe := platformErr(t, err); pe.Kind != bridge.KindRateLimited || pe.RetryAfter <= 0 || pe.Code == "" {
		t.Errorf("rate-limit envelope: got %+v, want rate-limited with a wait and the code", pe)
	}
	e.Backend.ClearFaults()
	setFault(t, e, Fault{Kind: FaultHTTP429, RetryAfter: 7 * time.Second})
	_, err = read(ctx, e)
	if pe := platformErr(t, err); pe.Kind != bridge.KindRateLimited || pe.RetryAfter != 7*time.Second {
		t.Errorf("HTTP 429: got %+v, want rate-limited after 7s", pe)
	}
}

func testServerErrorsRetriedForReads(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	e.Pump(t)
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	for _, kind := range []FaultKind{FaultServerError, FaultHTTP5xx} {
		setFault(t, e, Fault{Kind: kind, Count: 1})
		e.Backend.ResetCalls()
		n, err := read(ctx, e)
		if err != nil || (n >= 0 && n != 1) {
			t.Errorf("%s once: got %d conversations, %v; want the retry to succeed", kind, n, err)
		}
		if e.Backend.TotalCalls() != 2 {
			t.Errorf("%s once: %d calls, want 2", kind, e.Backend.TotalCalls())
		}
		setFault(t, e, Fault{Kind: kind})
		_, err = read(ctx, e)
		if kindOf(err) != bridge.KindTransient {
			t.Errorf("%s for good: got %v, want transient", kind, err)
		}
		e.Backend.ClearFaults()
	}
}

func sellerAPIMessages(e *Env) int {
	n := 0
	for _, m := range e.Backend.Messages(e.Store.ShopID) {
		if m.From == FromSellerAPI {
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
	for _, kind := range []FaultKind{FaultServerError, FaultHTTP5xx} {
		setFault(t, e, Fault{Kind: kind, API: APISend, Count: 1})
		e.Backend.ResetCalls()
		_, err := e.Client.SendText(ctx, e.Store, conv, "reply")
		if err == nil || kindOf(err) != bridge.KindTransient || platformErr(t, err).NotDelivered {
			t.Errorf("%s on send: got %v, want transient, possibly delivered", kind, err)
		}
		if e.Backend.TotalCalls() != 1 {
			t.Errorf("%s on send: %d calls %v, want exactly 1 (sends are not retried)", kind, e.Backend.TotalCalls(), e.Backend.Calls())
		}
	}
	if n := sellerAPIMessages(e); n != 0 {
		t.Errorf("the backend holds %d replies, want 0", n)
	}
	if _, err := e.Client.SendText(ctx, e.Store, conv, "reply"); err != nil {
		t.Errorf("send after the faults: %v", err)
	}
	if n := sellerAPIMessages(e); n != 1 {
		t.Errorf("the backend holds %d replies, want exactly 1", n)
	}
}

func testOutageIsTransient(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	e.Pump(t)
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	conv := bridge.Conversation{ID: conversationOf(t, e, buyer(1)), BuyerID: buyer(1)}
	setFault(t, e, Fault{Kind: FaultRefuse})
	_, err := read(ctx, e)
	if kindOf(err) != bridge.KindTransient {
		t.Errorf("outage: got %v, want transient", err)
	}
	_, err = e.Client.SendText(ctx, e.Store, conv, "reply")
	if err == nil || kindOf(err) != bridge.KindTransient || !platformErr(t, err).NotDelivered {
		t.Errorf("send during an outage: got %v, want transient and certainly not delivered", err)
	}
	e.Backend.ClearFaults()
	if _, err := read(ctx, e); err != nil {
		t.Errorf("after the outage: %v", err)
	}
	if _, err := e.Client.SendText(ctx, e.Store, conv, "reply"); err != nil {
		t.Errorf("send after the outage: %v", err)
	}
	if n := sellerAPIMessages(e); n != 1 {
		t.Errorf("the backend holds %d replies, want exactly 1", n)
	}
}

func testHangTimesOut(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{Timeout: 300 * time.Millisecond})
	ctx := testCtx(t)
	say(t, e, buyer(1), "hi")
	conv := bridge.Conversation{ID: conversationOf(t, e, buyer(1)), BuyerID: buyer(1)}
	setFault(t, e, Fault{Kind: FaultHang, API: APISend})
	e.Backend.ResetCalls()
	_, err := e.Client.SendText(ctx, e.Store, conv, "reply")
	if err == nil || kindOf(err) != bridge.KindTransient || platformErr(t, err).NotDelivered {
		t.Errorf("hanging send: got %v, want transient, possibly delivered", err)
	}
	if e.Backend.TotalCalls() != 1 {
		t.Errorf("hanging send was tried %d times, want 1", e.Backend.TotalCalls())
	}
	e.Backend.ClearFaults()
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

// pushEffect reports whether a push had its effect since the last call:
// a hint (polling contract) or a newly recorded message (push-first).
type pushEffect func() bool

func effectOf(e *Env) pushEffect {
	if e.Recorder == nil {
		return func() bool { return hinted(e) }
	}
	n := e.Recorder.Count()
	return func() bool {
		now := e.Recorder.Count()
		grew := now > n
		n = now
		return grew
	}
}

func testPushVerification(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if e.Push == nil {
		t.Skip("the platform has no push endpoint")
	}
	effect := effectOf(e)
	body := e.PushBody(e.Clock.Now())
	h, sig := e.SignPush(body)
	if rec := postPush(e, body, h, sig); rec.Code/100 != 2 || rec.Body.Len() != 0 || !effect() {
		t.Errorf("right signature: status %d, body %q; want 2xx, empty, and a hint or a recorded message", rec.Code, rec.Body.String())
	}
	if rec := postPush(e, body, h, sig); rec.Code/100 != 2 || effect() {
		t.Errorf("repeated push: status %d; want 2xx and nothing new", rec.Code)
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
		if rec := postPush(e, c.body, c.header, c.sign); rec.Code != http.StatusUnauthorized || effect() {
			t.Errorf("%s: status %d; want 401 and no effect", c.name, rec.Code)
		}
	}
	// Two days old: beyond every platform's replay window (Shopee 10 min,
	// Lazada 7 h, TikTok Shop 24 h).
	stale := e.PushBody(e.Clock.Now().Add(-48 * time.Hour))
	sh, ssig := e.SignPush(stale)
	rec := postPush(e, stale, sh, ssig)
	if effect() {
		t.Errorf("replayed push two days old: status %d and it had an effect; want none", rec.Code)
	}
	if why := e.skip(CheckStalePushRefused); why != "" {
		t.Logf("skipped %q: %s", CheckStalePushRefused, why)
	} else if rec.Code != http.StatusUnauthorized {
		t.Errorf("replayed push two days old: status %d; want 401", rec.Code)
	}
	if why := e.skip(CheckEmptyPushAccepted); why != "" {
		t.Logf("skipped %q: %s", CheckEmptyPushAccepted, why)
	} else if rec := postPush(e, nil, "", ""); rec.Code/100 != 2 {
		t.Errorf("empty verification push: status %d; want 2xx", rec.Code)
	}
}

// waitFor waits (in real time, bounded) for an asynchronous condition.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	bridgetest.Eventually(t, what, cond)
}

func testSimulatorPushReachesClient(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if e.Push == nil {
		t.Skip("the platform has no push endpoint")
	}
	if e.Recorder != nil {
		m := say(t, e, buyer(1), "hello")
		if got := recorded(t, e, m.ID); got.Sender != bridge.SenderBuyer || got.Text != "hello" {
			t.Errorf("recorded %+v, want the buyer's hello", got)
		}
		return
	}
	e.Backend.SetPushCallback(e.PushURL)
	say(t, e, buyer(1), "hello")
	select {
	case <-e.Hints.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("no hint after the backend pushed a buyer message")
	}
	if !hinted(e) {
		t.Error("the hint is not for the store's shop")
	}
	if lost := e.Backend.LostPushes(); len(lost) != 0 {
		t.Errorf("the client refused the backend's push: %d lost", len(lost))
	}
}

func testLostPushesRecovered(t *testing.T, newEnv Factory) {
	e := newEnv(t, Options{})
	if e.RecoverLostPushes == nil {
		t.Skip("the platform has no lost-push API")
	}
	ctx := testCtx(t)
	e.Backend.SetPushCallback(e.PushURL)
	setFault(t, e, Fault{Kind: FaultDropPushes})
	say(t, e, buyer(1), "this push gets lost")
	waitFor(t, "the lost push", func() bool { return len(e.Backend.LostPushes()) == 1 })
	if hinted(e) {
		t.Fatal("a dropped push produced a hint")
	}
	if err := e.RecoverLostPushes(ctx); err != nil {
		t.Fatalf("RecoverLostPushes: %v", err)
	}
	if !hinted(e) {
		t.Error("the recovered push produced no hint")
	}
	if lost := e.Backend.LostPushes(); !lost[0].Consumed {
		t.Error("the recovered push was not confirmed consumed")
	}
	if err := e.RecoverLostPushes(ctx); err != nil || hinted(e) {
		t.Errorf("second recovery: err %v, hinted %v; want nothing left", err, hinted(e))
	}
}
