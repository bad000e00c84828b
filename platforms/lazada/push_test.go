package lazada_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

func post(r *rig, body []byte, method, sig string) int {
	req := httptest.NewRequest(method, r.pushURL, strings.NewReader(string(body)))
	if sig != "" {
		req.Header.Set("Authorization", sig)
	}
	w := httptest.NewRecorder()
	r.client.PushHandler().ServeHTTP(w, req)
	return w.Code
}

func sign(r *rig, body []byte) string {
	return simulator.LazadaPushSignature(r.cfg.AppKey, r.cfg.AppSecret, body)
}

func envelope(seller string, typ int, at time.Time, data string) []byte {
	return []byte(fmt.Sprintf(`{"seller_id":%q,"message_type":%d,"timestamp":%d,"data":%s}`, seller, typ, at.UnixMilli(), data))
}

// The push endpoint's answers: verified in constant time, 401 for anything
// unsigned, wrong or replayed, 200 for every verified push (and for the
// console's empty verification call).
func TestPushAnswers(t *testing.T) {
	r := newRig(t)
	now := r.clock.Now()
	im := simulator.LazadaIMPushBody(r.store.ShopID, "s1", buyer(1), "m1", "hi", now)
	if code := post(r, im, http.MethodGet, sign(r, im)); code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", code)
	}
	if code := post(r, im, http.MethodPost, ""); code != http.StatusUnauthorized {
		t.Errorf("unsigned: %d", code)
	}
	if code := post(r, im, http.MethodPost, strings.Repeat("ab", 32)); code != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d", code)
	}
	// Signed with the secret over the body only (no app_key prefix).
	if code := post(r, im, http.MethodPost, simulator.LazadaPushSignature("", r.cfg.AppSecret, im)); code != http.StatusUnauthorized {
		t.Errorf("signature without the app_key: %d", code)
	}
	if got := r.rec.all(); len(got) != 0 || r.rec.seenCount() != 0 {
		t.Fatalf("refused pushes reached the bridge: %+v", got)
	}
	if code := post(r, im, http.MethodPost, strings.ToUpper(sign(r, im))); code != http.StatusOK {
		t.Errorf("right signature (upper-case hex): %d", code)
	}
	if got := r.rec.all(); len(got) != 1 || got[0].msg.ID != "m1" || got[0].shopID != r.store.ShopID || got[0].msg.Text != "hi" {
		t.Fatalf("recorded %+v, want m1", got)
	}
	old := simulator.LazadaIMPushBody(r.store.ShopID, "s1", buyer(1), "m0", "replayed", now.Add(-8*time.Hour))
	if code := post(r, old, http.MethodPost, sign(r, old)); code != http.StatusUnauthorized {
		t.Errorf("8-hour-old push: %d, want 401", code)
	}
	ahead := simulator.LazadaIMPushBody(r.store.ShopID, "s1", buyer(1), "m9", "from next year", now.Add(365*24*time.Hour))
	if code := post(r, ahead, http.MethodPost, sign(r, ahead)); code != http.StatusUnauthorized {
		t.Errorf("push dated a year ahead: %d, want 401", code)
	}
	skewed := simulator.LazadaIMPushBody(r.store.ShopID, "s1", buyer(1), "m3", "a clock 2 minutes fast", now.Add(2*time.Minute))
	if code := post(r, skewed, http.MethodPost, sign(r, skewed)); code != http.StatusOK {
		t.Errorf("push 2 minutes ahead: %d, want 200", code)
	}
	recent := simulator.LazadaIMPushBody(r.store.ShopID, "s1", buyer(1), "m2", "redelivered", now.Add(-6*time.Hour))
	if code := post(r, recent, http.MethodPost, sign(r, recent)); code != http.StatusOK {
		t.Errorf("6-hour-old push (Lazada's last redelivery): %d, want 200", code)
	}
	update := envelope(r.store.ShopID, 19, now, `{"sync_type":"SESSION_UPDATE","session_id":"s1","unread_count":0,"site_id":"SG"}`)
	if code := post(r, update, http.MethodPost, sign(r, update)); code != http.StatusOK {
		t.Errorf("session update: %d", code)
	}
	if h := r.hints.Drain(); len(h) != 1 || h[0].ShopID != r.store.ShopID || h[0].Platform != bridge.PlatformLazada {
		t.Errorf("session update hints %+v", h)
	}
	for _, body := range [][]byte{
		envelope(r.store.ShopID, 8, now, `{}`),                           // authorization expiring
		envelope(r.store.ShopID, 0, now, `{"order_id":"1"}`),             // an order push
		envelope(r.store.ShopID, 2, now, `{"session_id":"s1"}`),          // an IM push without a message
		envelope(r.store.ShopID, 2, now, `"{\"message_id\":1}"`),         // data as a string, still no session
		[]byte(`{"seller_id":"2002", "message_type":0, "data":{...}..}`), // not JSON
	} {
		if code := post(r, body, http.MethodPost, sign(r, body)); code != http.StatusOK {
			t.Errorf("%s: %d, want 200", body, code)
		}
	}
	if code := post(r, nil, http.MethodPost, ""); code != http.StatusOK {
		t.Errorf("empty verification call: %d", code)
	}
	if n := r.rec.seenCount(); n != 8 {
		t.Errorf("Seen %d times, want once per verified push that names its seller (8)", n)
	}
	if n := len(r.rec.all()); n != 3 {
		t.Errorf("%d messages recorded, want 3", n)
	}
}

// A push for a session the bridge does not know: /im/session/get first,
// for the buyer's name; later pushes of the session do not ask again.
func TestUnknownSessionLooksUpTheBuyer(t *testing.T) {
	r := newRig(t)
	if err := r.sim.AddBuyer(simulator.Buyer{ID: buyer(1), Name: "Siti"}); err != nil {
		t.Fatal(err)
	}
	first, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "hello")
	r.delivered(t)
	second, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "anyone?")
	r.delivered(t)
	got := r.rec.all()
	if len(got) != 2 || string(got[0].msg.ID) != first.ID || string(got[1].msg.ID) != second.ID {
		t.Fatalf("recorded %+v", got)
	}
	if got[0].conv.BuyerName != "Siti" || got[0].conv.BuyerID != buyer(1) || got[0].conv.ID != bridge.ConversationID(first.ConversationID) {
		t.Errorf("first push recorded conversation %+v, want Siti's", got[0].conv)
	}
	if n := r.sim.Calls()["/im/session/get"]; n != 1 {
		t.Errorf("/im/session/get called %d times, want once (for the unknown session)", n)
	}
	if r.listCalls() != 0 {
		t.Errorf("IM lists called: %v", r.sim.Calls())
	}
}

// A failed lookup does not hold the message back: it is recorded without
// the name, and the next push of the session asks again.
func TestSessionLookupFailureStillRecords(t *testing.T) {
	r := newRig(t)
	if _, err := r.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Path: "/im/session/get", Count: 1}); err != nil {
		t.Fatal(err)
	}
	r.sim.BuyerSays(r.store.ShopID, buyer(1), "hello")
	r.delivered(t)
	r.sim.BuyerSays(r.store.ShopID, buyer(1), "hello again")
	r.delivered(t)
	got := r.rec.all()
	if len(got) != 2 || got[0].conv.BuyerName != "" || got[1].conv.BuyerName != "buyer"+buyer(1) {
		t.Fatalf("recorded %+v; want the first without a name, the second with it", got)
	}
	if n := r.sim.Calls()["/im/session/get"]; n != 2 {
		t.Errorf("/im/session/get called %d times, want 2", n)
	}
	if st := r.sim.LazadaPushStats(); st.Delivered != 2 || st.Failed != 0 {
		t.Errorf("push stats %+v, want both delivered at once", st)
	}
}

// A push that cannot be recorded within the deadline is refused (503), not
// answered late; Lazada delivers it again 30 minutes later.
func TestPushNotRecordedInTimeIsRefusedAndDeliveredAgain(t *testing.T) {
	r := newRigWith(t, rigOptions{initial: true, mutate: func(c *lazada.Config) { c.PushDeadline = 50 * time.Millisecond }})
	r.rec.set(func(f *fakeRecorder) { f.known[bridge.ConversationID("x")] = true; f.block = true })
	start := time.Now()
	m, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "slow bridge")
	bridgetest.Eventually(t, "the push refused", func() bool { return r.sim.LazadaPushStats().Failed == 1 })
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refusal took %s", d)
	}
	if st := r.sim.LazadaPushStats(); st.Delivered != 0 || st.Waiting != 1 {
		t.Fatalf("stats %+v, want one push waiting for its redelivery", st)
	}
	r.rec.set(func(f *fakeRecorder) { f.block = false })
	r.clock.Advance(30 * time.Minute)
	bridgetest.Eventually(t, "the push delivered again", func() bool { return r.sim.LazadaPushStats().Delivered == 1 })
	if got := r.rec.byID(m.ID); len(got) != 1 {
		t.Errorf("recorded %d times, want once", len(got))
	}
	if st := r.sim.LazadaPushStats(); st.Redelivered != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A recording failure is a 503 (delivered again); a shop no store has is
// acknowledged (delivering it again cannot help); no Pushes at all is a 503.
func TestPushRecordFailures(t *testing.T) {
	r := newRig(t)
	body := simulator.LazadaIMPushBody(r.store.ShopID, "s1", buyer(1), "m1", "hi", r.clock.Now())
	r.rec.set(func(f *fakeRecorder) { f.known["s1"] = true; f.fail = errors.New("disk full") })
	if code := post(r, body, http.MethodPost, sign(r, body)); code != http.StatusServiceUnavailable {
		t.Errorf("recording failed: %d, want 503", code)
	}
	r.rec.set(func(f *fakeRecorder) { f.fail = fmt.Errorf("lazada shop 7: %w", bridge.ErrUnknownShop) })
	if code := post(r, body, http.MethodPost, sign(r, body)); code != http.StatusOK {
		t.Errorf("unknown shop: %d, want 200", code)
	}
	bare := newRigWith(t, rigOptions{initial: true, noPushes: true})
	if code := post(bare, body, http.MethodPost, sign(bare, body)); code != http.StatusServiceUnavailable {
		t.Errorf("no Pushes: %d, want 503", code)
	}
}

// A recall arrives as the same message again with status 1: it is recorded
// again, marked recalled, with the system message that says so.
func TestRecallIsRecordedAgainAsRecalled(t *testing.T) {
	r := newRig(t)
	m, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "oops, wrong shop")
	r.delivered(t)
	if err := r.sim.LazadaRecall(r.store.ShopID, m.ID); err != nil {
		t.Fatal(err)
	}
	r.delivered(t)
	versions := r.rec.byID(m.ID)
	if len(versions) != 2 || versions[0].msg.Recalled || !versions[1].msg.Recalled || versions[1].msg.Text != m.Text {
		t.Fatalf("versions %+v, want the message, then the same message recalled", versions)
	}
	all := r.rec.all()
	last := all[len(all)-1].msg
	if last.Sender != bridge.SenderSystem || !strings.Contains(last.Text, "recalled") {
		t.Errorf("last recorded %+v, want the system message about the recall", last)
	}
}

// Lazada's extras: a cross-border text keeps the original and Lazada's
// translation, auto-replies and safety-blocked messages are marked, system
// messages are the system's.
func TestPushedMessageExtras(t *testing.T) {
	r := newRig(t)
	sends := []simulator.LazadaMessage{
		{Type: "text", Text: "สวัสดีครับ", Translation: "Hello"},
		{Type: "text", Text: "Thanks, we reply within the hour", From: simulator.FromSellerAPI, AutoReply: true},
		{Type: "auto_reply", Text: "We are away", From: simulator.FromSellerCentre},
		{Type: "text", Text: "pay me outside Lazada", ProcessMsg: "This message may violate Lazada's policy"},
		{Type: "system", Text: "The order was shipped", From: simulator.FromSellerCentre},
	}
	for _, s := range sends {
		if _, err := r.sim.LazadaSends(r.store.ShopID, buyer(1), s); err != nil {
			t.Fatal(err)
		}
	}
	r.delivered(t)
	got := r.rec.all()
	if len(got) != len(sends) {
		t.Fatalf("recorded %d, want %d", len(got), len(sends))
	}
	if m := got[0].msg; m.Text != "สวัสดีครับ" || m.Translation != "Hello" || m.Sender != bridge.SenderBuyer {
		t.Errorf("cross-border: %+v", m)
	}
	if m := got[1].msg; !m.AutoReply || m.Sender != bridge.SenderSeller || m.Kind != bridge.KindText {
		t.Errorf("auto reply flag: %+v", m)
	}
	if m := got[2].msg; !m.AutoReply || m.Text != "We are away" || m.Kind != bridge.KindText {
		t.Errorf("auto reply template: %+v", m)
	}
	if m := got[3].msg; !strings.Contains(m.SafetyNote, "only you can see it") || !strings.Contains(m.SafetyNote, "may violate") {
		t.Errorf("safety note: %+v", m)
	}
	if m := got[4].msg; m.Sender != bridge.SenderSystem || m.Text != "The order was shipped" {
		t.Errorf("system message: %+v", m)
	}
}
