package tiktok_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// e2e is the real engine on the TikTok client: simulator → client (polls
// and webhooks) → engine.Engine → SQLite (:memory:) → fake chat, on one
// fake clock. The engine attaches itself to the env's bridge.Pushes.
type e2e struct {
	*env
	db   *sqlite.DB
	chat *bridgetest.Chat
	eng  *engine.Engine
	mp   *countingMarketplace
}

// countingMarketplace counts the engine's completed ListConversations
// calls (its polls), whether or not they reached the simulator, and those
// that were rate-limited.
type countingMarketplace struct {
	*tiktok.Client
	lists   atomic.Int32
	limited atomic.Int32
}

func (c *countingMarketplace) ListConversations(ctx context.Context, s bridge.Store, since time.Time) ([]bridge.Conversation, error) {
	convs, err := c.Client.ListConversations(ctx, s, since)
	if bridge.Classify(err) == bridge.KindRateLimited && err != nil {
		c.limited.Add(1)
	}
	c.lists.Add(1)
	return convs, err
}

func newE2E(t testing.TB, opts ...envOption) *e2e {
	t.Helper()
	e := newEnv(t, opts...)
	db, err := sqlite.Open(context.Background(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.use(e.newClient(t, db))
	r := &e2e{env: e, db: db, chat: bridgetest.NewChat(), mp: &countingMarketplace{Client: e.client}}
	r.eng = engine.New(engine.Config{PollJitter: 0.0001}, engine.Deps{
		State: db, Chat: r.chat, Marketplaces: []bridge.Marketplace{r.mp}, Stores: []bridge.Store{e.store},
		Clock: e.clock, Hints: e.hints, Pushes: e.pushes,
	})
	if err := r.eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-r.chat.Ready()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.eng.Stop(ctx)
	})
	r.sync(t) // the first start: nothing to import
	return r
}

func (r *e2e) sync(t testing.TB) int {
	t.Helper()
	n, err := r.eng.SyncNow(context.Background(), r.store.ID)
	if err != nil {
		t.Fatalf("SyncNow: %v", err)
	}
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// advanceUntil moves the fake clock a second at a time, at most limit in
// all, until cond holds (the engine reacts in its own goroutines). Once the
// clock has moved limit, it waits in real time only (a loaded machine, -race)
// for what the engine started to finish.
func (r *e2e) advanceUntil(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for moved := time.Duration(0); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s on the clock", what, limit)
		}
		if moved < limit {
			r.clock.Advance(time.Second)
			moved += time.Second
		}
		select {
		case <-r.chat.Changed():
		case <-time.After(time.Millisecond):
		}
	}
}

func (r *e2e) posted(id string) int { return r.chat.PostedIDs()[bridge.MessageID(id)] }

func (r *e2e) waitPosted(t testing.TB, id string) {
	t.Helper()
	bridgetest.Eventually(t, "message "+id+" in its thread", func() bool { return r.posted(id) == 1 }, r.chat.Changed)
}

func (r *e2e) waitWebhooksDone(t testing.TB) {
	t.Helper()
	bridgetest.Eventually(t, "every webhook answered", func() bool {
		for _, w := range r.sim.TikTokWebhooks() {
			if w.Attempts == 0 && !w.Dropped {
				return false
			}
		}
		return true
	}, r.sim.TikTokWebhooksChanged)
}

func TestWebhookMessagesAreRecordedThroughPushes(t *testing.T) {
	r := newE2E(t)
	r.sim.SetTikTokWebhookURL(r.webhookURL())
	r.sim.ResetCalls()
	polls := r.mp.lists.Load()
	m := r.say(t, buyer(1), "is this in stock?")
	// No clock movement: the webhooks alone bring it in (type 14 carries
	// the message; type 13, a new conversation, also hints one poll).
	r.waitPosted(t, m.ID)
	th, ok := r.chat.ThreadOf(r.store.ID, bridge.ConversationID(m.ConversationID))
	if !ok || th.Header.BuyerName == "" {
		t.Errorf("thread %+v: the new conversation's buyer is unknown", th)
	}
	r.waitWebhooksDone(t)
	if n := r.mp.lists.Load() - polls; n > 1 {
		t.Errorf("the engine polled %d times for one new conversation, want at most the type-13 hint's", n)
	}
	// The next message of a known conversation costs no call at all. The
	// type-13 hint's poll runs in the engine's own time: wait until it has
	// started, and let a manual sync (the syncer runs one at a time) see it
	// finished, so that its calls are not counted below.
	r.waitWebhooksDone(t)
	bridgetest.Eventually(t, "the type-13 hint's poll", func() bool { return r.mp.lists.Load() > polls })
	r.sync(t)
	polls = r.mp.lists.Load()
	r.sim.ResetCalls()
	m2 := r.say(t, buyer(1), "and in blue?")
	r.waitPosted(t, m2.ID)
	if n := r.sim.TotalCalls(); n != 0 || r.mp.lists.Load() != polls {
		t.Errorf("calls for a webhook of a known conversation: %v, polls %d", r.sim.Calls(), r.mp.lists.Load()-polls)
	}
	// Invisible messages are acknowledged and never shown.
	hidden, err := r.sim.AddTikTokMessage(shopID, buyer(1), simulator.FromSystem, "NOTIFICATION", map[string]any{"content": "Rate us"}, false)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := r.sim.AddTikTokMessage(shopID, buyer(1), simulator.FromSystem, "NOTIFICATION", map[string]any{"content": "Order shipped"}, true)
	if err != nil {
		t.Fatal(err)
	}
	r.waitPosted(t, shown.ID)
	r.waitWebhooksDone(t)
	for _, w := range r.sim.TikTokWebhooks() {
		if !w.Delivered {
			t.Errorf("webhook %+v not acknowledged with 200", w)
		}
	}
	if r.posted(hidden.ID) != 0 {
		t.Error("an is_visible=false message was shown")
	}
	// A poll after all this finds nothing new and shows nothing twice.
	r.sync(t)
	if r.posted(hidden.ID) != 0 || r.posted(m.ID) != 1 || r.posted(m2.ID) != 1 || r.posted(shown.ID) != 1 {
		t.Errorf("after a poll: posted %v", r.chat.PostedIDs())
	}
}

func TestOwnRepliesComeBackByWebhookAndAreNotEchoed(t *testing.T) {
	r := newE2E(t)
	r.sim.SetTikTokWebhookURL(r.webhookURL())
	m := r.say(t, buyer(2), "when does it ship?")
	r.waitPosted(t, m.ID)
	th, _ := r.chat.ThreadOf(r.store.ID, bridge.ConversationID(m.ConversationID))
	ref, err := r.chat.AgentSays(context.Background(), th.Ref, "agent-1", "Tomorrow.")
	if err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "the reply sent", func() bool {
		st, ok := r.chat.LastStatus(ref)
		return ok && st.Status == bridge.ReplySent
	}, r.chat.Changed)
	r.waitWebhooksDone(t)
	var reply simulator.Message
	for _, sm := range r.sim.Messages(shopID) {
		if sm.From == simulator.FromSellerAPI {
			reply = sm
		}
	}
	if reply.Text != "Tomorrow." {
		t.Fatalf("the simulator holds %+v", r.sim.Messages(shopID))
	}
	// Seller Centre's messages are shown, the bridge's own are not.
	sc, err := r.sim.SellerCentreSays(shopID, buyer(2), "Agent Ann here")
	if err != nil {
		t.Fatal(err)
	}
	r.waitPosted(t, sc.ID)
	r.sync(t)
	if r.posted(reply.ID) != 0 {
		t.Error("the bridge's own reply was echoed into the thread")
	}
}

func TestWebhookVerification(t *testing.T) {
	r := newE2E(t)
	m := r.say(t, buyer(3), "hello") // held by the simulator; no webhook URL yet
	app := r.sim.TikTok()
	body := func(id string, at time.Time) []byte {
		b, _ := json.Marshal(map[string]any{
			"type": 14, "tts_notification_id": id, "shop_id": shopID, "timestamp": at.Unix(),
			"data": map[string]any{
				"content": `{"content":"hello"}`, "conversation_id": m.ConversationID, "create_time": m.CreatedAt.Unix(),
				"is_visible": true, "message_id": m.ID, "index": "1", "type": "TEXT",
				"sender": map[string]any{"im_user_id": "70" + buyer(3), "role": "BUYER"},
			},
		})
		return b
	}
	post := func(b []byte, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, r.webhookURL(), bytes.NewReader(b))
		if sig != "" {
			req.Header.Set("Authorization", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := body("7300000000000000001", r.clock.Now())
	sign := func(b []byte) string { return simulator.TikTokWebhookSignature(app.AppKey, app.AppSecret, b) }
	if s := post(good, ""); s != http.StatusUnauthorized {
		t.Errorf("missing signature: %d", s)
	}
	if s := post(good, tiktok.WebhookSignature(app.AppKey, "wrong secret", good)); s != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d", s)
	}
	if s := post(good, sign([]byte(`{"type":14}`))); s != http.StatusUnauthorized {
		t.Errorf("another body's signature: %d", s)
	}
	if r.posted(m.ID) != 0 {
		t.Fatal("a refused webhook was recorded")
	}
	if s := post(good, sign(good)); s != http.StatusOK {
		t.Fatalf("right signature: %d", s)
	}
	// 200 was answered after the message was stored: it is in the queue.
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.posted(m.ID) != 1 {
		t.Fatal("the verified webhook's message is not in its thread")
	}
	// Replayed (same notification) and duplicated (a new notification of
	// the same message): acknowledged, shown once.
	if s := post(good, sign(good)); s != http.StatusOK {
		t.Errorf("replay: %d", s)
	}
	dup := body("7300000000000000002", r.clock.Now())
	if s := post(dup, sign(dup)); s != http.StatusOK {
		t.Errorf("duplicate: %d", s)
	}
	// Older than webhook_max_age: acknowledged and ignored.
	m2 := r.say(t, buyer(3), "later")
	old, _ := json.Marshal(map[string]any{"type": 14, "tts_notification_id": "7300000000000000003", "shop_id": shopID,
		"timestamp": r.clock.Now().Add(-25 * time.Hour).Unix(), "data": map[string]any{"message_id": m2.ID, "conversation_id": m2.ConversationID,
			"type": "TEXT", "content": `{"content":"later"}`, "sender": map[string]any{"role": "BUYER"}}})
	if s := post(old, sign(old)); s != http.StatusOK {
		t.Errorf("stale webhook: %d", s)
	}
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.posted(m.ID) != 1 || r.posted(m2.ID) != 0 {
		t.Errorf("posted %v: want the first message once and the stale webhook ignored", r.chat.PostedIDs())
	}
	// Type 13: acknowledged, and a hint wakes the syncer.
	r.hints.Drain()
	nc, _ := json.Marshal(map[string]any{"type": 13, "tts_notification_id": "7300000000000000004", "shop_id": shopID,
		"timestamp": r.clock.Now().Unix(), "data": map[string]any{"conversation_id": m.ConversationID, "create_time": 1}})
	before := r.mp.lists.Load()
	if s := post(nc, sign(nc)); s != http.StatusOK {
		t.Errorf("type 13: %d", s)
	}
	bridgetest.Eventually(t, "the hint's poll", func() bool { return r.mp.lists.Load() > before })
}

// TestWebhookIsRefusedRatherThanAnsweredLate: when the message cannot be
// recorded within webhook_deadline (the engine is not running), the
// webhook is refused with 503 so TikTok delivers it again.
func TestWebhookIsRefusedRatherThanAnsweredLate(t *testing.T) {
	e := newEnv(t) // nothing attached to e.pushes
	m := e.say(t, buyer(4), "hello")
	app := e.sim.TikTok()
	b, _ := json.Marshal(map[string]any{"type": 14, "tts_notification_id": "7300000000000000009", "shop_id": shopID, "timestamp": e.clock.Now().Unix(),
		"data": map[string]any{"message_id": m.ID, "conversation_id": m.ConversationID, "type": "TEXT", "content": `{"content":"hello"}`,
			"is_visible": true, "sender": map[string]any{"role": "BUYER"}}})
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, e.webhookURL(), bytes.NewReader(b))
		req.Header.Set("Authorization", simulator.TikTokWebhookSignature(app.AppKey, app.AppSecret, b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	if err := e.clock.BlockUntil(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	select {
	case s := <-status:
		t.Fatalf("answered %d before the deadline", s)
	case <-time.After(50 * time.Millisecond):
	}
	e.clock.Advance(500 * time.Millisecond)
	if s := <-status; s != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", s)
	}
}

// TestSafetyNetPollCatchesLostWebhooks: webhooks that never come are made
// up for by the poll every poll_interval (5 minutes), exactly once.
func TestSafetyNetPollCatchesLostWebhooks(t *testing.T) {
	r := newE2E(t)
	r.sim.SetTikTokWebhookURL(r.webhookURL())
	if _, err := r.sim.SetFault(simulator.Fault{Kind: simulator.FaultDropPushes}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 12 {
		ids = append(ids, r.say(t, buyer(10+i%4), "lost webhook").ID)
	}
	polls := r.mp.lists.Load()
	r.clock.Advance(4 * time.Minute)
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.mp.lists.Load() != polls || r.posted(ids[0]) != 0 {
		t.Fatal("polled before poll_interval")
	}
	r.advanceUntil(t, "the safety-net poll", 3*time.Minute, func() bool {
		for _, id := range ids {
			if r.posted(id) != 1 {
				return false
			}
		}
		return true
	})
	r.sim.ClearFaults()
	r.sync(t)
	for _, id := range ids {
		if n := r.posted(id); n != 1 {
			t.Errorf("message %s posted %d times", id, n)
		}
	}
}

// TestDailyQuotaPausesTheStoreUntilTheReset: the engine honours the
// RetryAfter of 45101004 (no poll until 00:00 UTC) and the client makes no
// call to TikTok meanwhile, while webhooks keep bringing messages in.
func TestDailyQuotaPausesTheStoreUntilTheReset(t *testing.T) {
	r := newE2E(t)
	r.sim.SetTikTokWebhookURL(r.webhookURL())
	first := r.say(t, buyer(20), "hello")
	r.waitPosted(t, first.ID)
	r.waitWebhooksDone(t)
	r.sim.SetTikTokQuotaUsed(shopID, r.sim.TikTok().DailyQuota)
	// The next poll (within poll_interval) is refused with 45101004.
	r.advanceUntil(t, "the refused poll", 7*time.Minute, func() bool { return r.mp.limited.Load() == 1 })
	polls := r.mp.lists.Load()
	reset := time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)
	r.sim.ResetCalls()
	m := r.say(t, buyer(20), "still there?")
	r.waitPosted(t, m.ID) // webhooks cost no quota
	for r.clock.Now().Before(reset.Add(-10 * time.Minute)) {
		r.clock.Advance(10 * time.Minute)
		if err := r.eng.WaitPosted(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.mp.lists.Load(); n != polls {
		t.Fatalf("%d polls while the quota was used up, want none after the refused one", n-polls)
	}
	// A new conversation's type-13 hint does not wake the paused syncer;
	// its message still arrives by webhook.
	m2 := r.say(t, buyer(21), "new here")
	r.waitPosted(t, m2.ID)
	if n := r.mp.lists.Load(); n != polls {
		t.Fatalf("%d polls after a hint while the quota was used up, want none", n-polls)
	}
	if n := r.sim.TotalCalls(); n != 0 {
		t.Fatalf("calls to TikTok while the quota was used up: %v", r.sim.Calls())
	}
	r.advanceUntil(t, "the poll after the reset", 11*time.Minute, func() bool { return r.sim.Calls()[callConvs] > 0 })
	if !r.clock.Now().After(reset.Add(-time.Second)) {
		t.Errorf("polled at %s, before the reset", r.clock.Now())
	}
	// One alert says the store is paused (not an outage), and it is edited
	// to resumed once the quota resets.
	bridgetest.Eventually(t, "the pause alert resolved", func() bool {
		a := r.chat.Alerts()
		return len(a) == 1 && a[0].Last().Severity == bridge.SeverityResolved
	}, r.chat.Changed)
	if a := r.chat.Alerts(); !strings.HasPrefix(a[0].Versions[0].Title, "Store paused until") {
		t.Errorf("alert %q, want the store paused (a used-up quota is not an outage)", a[0].Versions[0].Title)
	}
}

// TestRepliesTikTokRefusesAreVisibleToTheAgent: the 2,500-character reply
// and the conversation that cannot take replies fail visibly, with their
// reasons, and nothing reaches the buyer.
func TestRepliesTikTokRefusesAreVisibleToTheAgent(t *testing.T) {
	r := newE2E(t)
	r.sim.SetTikTokWebhookURL(r.webhookURL())
	m := r.say(t, buyer(30), "details please")
	r.waitPosted(t, m.ID)
	th, _ := r.chat.ThreadOf(r.store.ID, bridge.ConversationID(m.ConversationID))
	failed := func(text, reason string) {
		t.Helper()
		ref, err := r.chat.AgentSays(context.Background(), th.Ref, "agent-1", text)
		if err != nil {
			t.Fatal(err)
		}
		bridgetest.Eventually(t, "the reply failed", func() bool {
			st, ok := r.chat.LastStatus(ref)
			return ok && st.Status == bridge.ReplyFailed
		}, r.chat.Changed)
		if st, _ := r.chat.LastStatus(ref); !strings.Contains(st.Reason, reason) {
			t.Errorf("reason %q, want it to say %q", st.Reason, reason)
		}
	}
	failed(strings.Repeat("x", 2500), "2,500 characters")
	r.sim.SetTikTokCanSend(m.ConversationID, false)
	r.sync(t) // the poll lists can_send_message=false
	failed("hello?", "can_send_message is false")
	for _, sm := range r.sim.Messages(shopID) {
		if sm.From == simulator.FromSellerAPI {
			t.Errorf("a refused reply reached the buyer: %q", sm.Text)
		}
	}
}

func TestAuthorizationRedirectReachesTheCallback(t *testing.T) {
	e := newEnv(t)
	got := make(chan url.Values, 1)
	e.mux.HandleFunc(bridge.CallbackPath(bridge.PlatformTikTok), func(w http.ResponseWriter, r *http.Request) { got <- r.URL.Query() })
	link, err := e.client.AuthorizationURL(e.store, e.srv.URL+bridge.CallbackPath(bridge.PlatformTikTok)+"?store="+string(e.store.ID)+"&state=s3cr3t")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(link + "&shop_id=" + shopID) // the simulator's page redirects at once with shop_id
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	q := <-got
	if q.Get("store") != string(e.store.ID) || q.Get("state") != "s3cr3t" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	if _, err := e.client.ExchangeCode(ctxT(t), e.store, q.Get("code")); err != nil {
		t.Fatalf("exchanging the redirected code: %v", err)
	}
}
