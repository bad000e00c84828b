package lazada_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// e2e is the whole path over real HTTP: simulator → signed pushes → Lazada
// client → bridge.Pushes → engine → SQLite → fake chat, and the engine's
// own calls (health checks, the history import) back through the client,
// on one fake clock.
type e2e struct {
	clock   *bridgetest.Clock
	sim     *simulator.Simulator
	client  *lazada.Client
	chat    *bridgetest.Chat
	eng     *engine.Engine
	store   bridge.Store
	pushURL string
}

func newE2E(t testing.TB) *e2e {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 11})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	sim.ConfigureLazada(simulator.LazadaConfig{PushTimeout: 5 * time.Second})
	shop := simulator.Shop{ShopID: "4004", Site: "TH", Name: "E2E", Platform: bridge.PlatformLazada}
	if err := sim.AddShop(shop); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "e2e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformLazada, ShopID: shop.ShopID, Name: shop.Name, Site: shop.Site}
	tok, _ := sim.Tokens(shop.ShopID)
	pushes, hints := bridge.NewPushes(), bridge.NewHints()
	cfg := simConfig(sim)
	// The engine retries on its own; no in-client backoff on the fake clock.
	cfg.HTTP = httpx.Config{RetryMax: -1, RateLimit: -1, Timeout: 5 * time.Second}
	client, err := lazada.New(cfg, lazada.Deps{
		Tokens: db, Pushes: pushes, Hints: hints, Clock: clock, Stores: []bridge.Store{store},
		InitialTokens: map[bridge.StoreID]bridge.Tokens{store.ID: {AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
			AccessExpiresAt: tok.AccessExpiresAt, RefreshExpiresAt: tok.RefreshExpiresAt}},
	})
	if err != nil {
		t.Fatal(err)
	}
	client.RegisterRoutes(mux)
	chat := bridgetest.NewChat()
	eng := engine.New(engine.Config{PollJitter: 0.0001}, engine.Deps{
		State: db, Chat: chat, Marketplaces: []bridge.Marketplace{client}, Stores: []bridge.Store{store},
		Clock: clock, Hints: hints, Pushes: pushes,
	})
	r := &e2e{clock: clock, sim: sim, client: client, chat: chat, eng: eng, store: store, pushURL: srv.URL + lazada.DefaultPushPath}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		eng.Stop(sctx)
	})
	// Runs first: no push is half recorded when the engine stops.
	t.Cleanup(func() { cancel(); sim.Close(); srv.Close() })
	return r
}

func (r *e2e) start(t testing.TB) {
	t.Helper()
	if err := r.eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-r.chat.Ready()
	r.sim.SetLazadaPushCallback(r.pushURL)
}

// minutes lets n minutes pass on the fake clock, one at a time, each time
// waiting until the engine's health check of that minute has run.
func (r *e2e) minutes(t testing.TB, n int) {
	t.Helper()
	for range n {
		before := r.sim.Calls()["/seller/get"]
		r.clock.Advance(time.Minute)
		bridgetest.Eventually(t, "the minute's health check", func() bool {
			if r.sim.Calls()["/seller/get"] > before {
				return true
			}
			// The syncer parked its timer after the advance: nudge it.
			if d, ok := r.clock.NextTimer(); ok && d <= time.Minute && d > 0 && r.clock.Waiters() > 0 {
				r.clock.Advance(d)
			}
			return false
		})
	}
}

func (r *e2e) posted(t testing.TB) {
	t.Helper()
	bridgetest.Eventually(t, "pushes delivered", func() bool { return r.sim.LazadaPushStats().InFlight == 0 })
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (r *e2e) listCalls() int {
	c := r.sim.Calls()
	return c["/im/session/list"] + c["/im/message/list"]
}

// A Lazada store under the real engine: health checks every minute, the
// one history import after ImportDelay (the only IM list calls), every
// buyer message pushed, recorded and posted once, and at idle no IM list
// call at all, hour after hour.
func TestE2EIdleStoreMakesNoListCalls(t *testing.T) {
	r := newE2E(t)
	// Before the bridge: two conversations, one still waiting for an answer.
	r.sim.BuyerSays(r.store.ShopID, buyer(1), "answered question")
	r.sim.SellerCentreSays(r.store.ShopID, buyer(1), "answered")
	r.clock.Advance(time.Minute)
	waiting, _ := r.sim.BuyerSays(r.store.ShopID, buyer(2), "still waiting")
	r.start(t)
	r.minutes(t, 5)
	if n := r.listCalls(); n != 0 {
		t.Fatalf("%d IM list calls before the history import", n)
	}
	live, _ := r.sim.BuyerSays(r.store.ShopID, buyer(3), "a live message")
	r.posted(t)
	if r.chat.PostedIDs()[bridge.MessageID(live.ID)] != 1 {
		t.Fatal("the pushed message was not posted exactly once")
	}
	r.minutes(t, 10) // the import is due 12 minutes after the start
	imported := r.listCalls()
	if imported == 0 || imported > 4 {
		t.Fatalf("the history import made %d IM list calls, want 1 session page and a message page per session (≤ 4)", imported)
	}
	r.posted(t)
	posted := r.chat.PostedIDs()
	if posted[bridge.MessageID(waiting.ID)] != 1 {
		t.Errorf("the unanswered conversation was not imported into a thread: %v", posted)
	}
	// Three idle hours.
	health := r.sim.Calls()["/seller/get"]
	r.minutes(t, 180)
	calls := r.sim.Calls()
	if n := r.listCalls() - imported; n != 0 {
		t.Errorf("%d IM list calls in 3 idle hours, want 0 (calls: %v)", n, calls)
	}
	if n := calls["/seller/get"] - health; n < 180 {
		t.Errorf("%d health checks in 3 hours, want one a minute", n)
	}
	if p := r.sim.LazadaPolling(r.store.ShopID); p.WouldRevoke != 0 {
		t.Errorf("the simulator would revoke the app: %+v", p)
	}
	if r.client.ListCalls(r.store.ID) != imported {
		t.Errorf("the client counted %d list calls, the simulator served %d", r.client.ListCalls(r.store.ID), imported)
	}
	t.Logf("3 idle hours: %d /seller/get, 0 IM list calls; the one-off import: %d list calls", calls["/seller/get"]-health, imported)
}

// Agents' replies through the real engine: sent once, their push echo is
// recognised (not posted back), a Seller Centre message is shown; to a
// buyer quiet for a day the 6th reply fails, before any API call, with
// Lazada's rule as the reason.
func TestE2ERepliesAndTheQuietBuyerRule(t *testing.T) {
	r := newE2E(t)
	r.start(t)
	ctx := context.Background()
	m, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "does it come in red?")
	r.posted(t)
	th, ok := r.chat.ThreadOf(r.store.ID, bridge.ConversationID(m.ConversationID))
	if !ok {
		t.Fatal("no thread for the buyer's message")
	}
	reply := func(text string) bridge.Reply {
		t.Helper()
		ref, err := r.chat.AgentSays(ctx, th.Ref, "agent-1", text)
		if err != nil {
			t.Fatal(err)
		}
		var st bridge.Reply
		bridgetest.Eventually(t, "the reply to end", func() bool {
			var ok bool
			st, ok = r.chat.LastStatus(ref)
			return ok && st.Status.Final()
		}, r.chat.Changed)
		r.posted(t)
		return st
	}
	if st := reply("Yes, in red and blue."); st.Status != bridge.ReplySent {
		t.Fatalf("first reply: %+v", st)
	}
	sc, _ := r.sim.SellerCentreSays(r.store.ShopID, buyer(1), "From Seller Centre")
	r.posted(t)
	posted := r.chat.PostedIDs()
	for _, h := range r.sim.Messages(r.store.ShopID) {
		switch {
		case h.From == simulator.FromSellerAPI && posted[bridge.MessageID(h.ID)] != 0:
			t.Errorf("the bridge's own reply %s was echoed into the thread", h.ID)
		case h.ID == sc.ID && posted[bridge.MessageID(h.ID)] != 1:
			t.Error("the Seller Centre message was not shown in the thread")
		}
	}
	// A day of silence: three more replies reach the buyer (5 since the buyer's message)…
	r.clock.Advance(25 * time.Hour)
	for i := range 3 {
		if st := reply("Following up " + string(rune('A'+i))); st.Status != bridge.ReplySent {
			t.Fatalf("follow-up %d: %+v", i+1, st)
		}
	}
	// …the 6th is refused before any call.
	r.sim.ResetCalls()
	st := reply("Are you still there?")
	if st.Status != bridge.ReplyFailed || !containsAll(st.Reason, "at most 5 messages", "not replied within a day") {
		t.Errorf("6th message to a quiet buyer: %s %q", st.Status, st.Reason)
	}
	if n := r.sim.Calls()["/im/message/send"]; n != 0 {
		t.Errorf("the refused reply made %d send calls", n)
	}
	// The buyer writes again: replies flow again.
	r.sim.BuyerSays(r.store.ShopID, buyer(1), "yes, I'm here")
	r.posted(t)
	if st := reply("Great!"); st.Status != bridge.ReplySent {
		t.Errorf("after the buyer wrote again: %+v", st)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
