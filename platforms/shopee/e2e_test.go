package shopee_test

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
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// e2e is the whole inbound and outbound path over real HTTP: simulator →
// Shopee client → engine → SQLite state → fake chat, on one fake clock.
type e2e struct {
	clock   *bridgetest.Clock
	sim     *simulator.Simulator
	client  *shopee.Client
	db      *sqlite.DB
	chat    *bridgetest.Chat
	eng     *engine.Engine
	hints   *bridge.Hints
	store   bridge.Store
	initial bridge.Tokens
	pushURL string
	mux     *http.ServeMux
}

func newE2E(t testing.TB) *e2e {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 21})
	shop := simulator.Shop{ShopID: "3003", Site: "MY", Name: "E2E"}
	if err := sim.AddShop(shop); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "e2e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tok, _ := sim.Tokens(shop.ShopID)
	r := &e2e{
		clock: clock, sim: sim, db: db, hints: bridge.NewHints(), mux: http.NewServeMux(),
		store:   bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformShopee, ShopID: shop.ShopID, Name: shop.Name, Site: shop.Site},
		initial: bridge.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, AccessExpiresAt: tok.AccessExpiresAt},
	}
	srv := httptest.NewServer(r.mux)
	t.Cleanup(srv.Close)
	r.pushURL = srv.URL + shopee.DefaultPushPath
	r.start(t)
	return r
}

// start builds a client (initial tokens from the "config") and an engine on
// the same database and chat, as a (re)started process does.
func (r *e2e) start(t testing.TB) {
	t.Helper()
	client, err := shopee.New(shopee.Config{
		PartnerID: r.sim.PartnerID(), PartnerKey: r.sim.PartnerKey(), BaseURL: r.sim.URL(), PushCallbackURL: r.pushURL,
		// The engine retries reads itself; no in-client backoff on the fake clock.
		HTTP: httpx.Config{RetryMax: -1, RateLimit: -1, Timeout: 5 * time.Second},
	}, shopee.Deps{
		Tokens: r.db, InitialTokens: map[bridge.StoreID]bridge.Tokens{r.store.ID: r.initial},
		Hints: r.hints, Clock: r.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.client == nil {
		client.RegisterRoutes(r.mux)
	}
	r.client = client
	if r.chat == nil {
		r.chat = bridgetest.NewChat()
	} else {
		r.chat = r.chat.Reopen()
	}
	r.eng = engine.New(engine.Config{PollInterval: time.Hour, PollJitter: 0.0001}, engine.Deps{
		State: r.db, Chat: r.chat, Marketplaces: []bridge.Marketplace{client}, Stores: []bridge.Store{r.store},
		Clock: r.clock, Hints: r.hints,
	})
	if err := r.eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-r.chat.Ready()
	eng := r.eng
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eng.Stop(ctx)
	})
	r.sync(t) // the first start: nothing to import yet
}

func (r *e2e) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.eng.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func (r *e2e) sync(t testing.TB) int {
	t.Helper()
	n, err := r.eng.SyncNow(context.Background(), r.store.ID)
	if err != nil {
		t.Fatalf("SyncNow: %v", err)
	}
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		t.Fatalf("posting: %v", err)
	}
	return n
}

// write has buyers write n messages over convs conversations (some non-text).
func (r *e2e) write(t testing.TB, convs, n int) {
	t.Helper()
	for i := range n {
		buyer := simulator.ScriptBuyerID(0, i%convs)
		var err error
		if i%7 == 6 {
			_, err = r.sim.BuyerSends(r.store.ShopID, buyer, simulator.MessageTypes[1+i%(len(simulator.MessageTypes)-1)], nil)
		} else {
			_, err = r.sim.BuyerSays(r.store.ShopID, buyer, "question "+buyer)
		}
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 2 {
			r.clock.Advance(time.Second)
		}
	}
}

// checkExactlyOnce asserts that every buyer message the simulator holds is in
// a thread exactly once, with one thread per conversation.
func (r *e2e) checkExactlyOnce(t *testing.T) {
	t.Helper()
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		t.Fatalf("WaitPosted: %v", err)
	}
	posted := r.chat.PostedIDs()
	buyers := 0
	for _, m := range r.sim.Messages(r.store.ShopID) {
		if m.From != simulator.FromBuyer {
			continue
		}
		buyers++
		if n := posted[bridge.MessageID(m.ID)]; n != 1 {
			t.Errorf("buyer message %s (%s %q) is in its thread %d times, want exactly once", m.ID, m.Type, m.Text, n)
		}
	}
	if buyers == 0 {
		t.Fatal("the simulator holds no buyer messages")
	}
	if got, want := len(r.chat.Threads()), len(r.sim.Conversations(r.store.ShopID)); got != want {
		t.Errorf("%d threads for %d conversations", got, want)
	}
}

func TestE2EBuyerMessagesReachThreadsExactlyOnce(t *testing.T) {
	r := newE2E(t)
	for range 4 {
		r.write(t, 5, 12)
		r.sync(t)
		r.sync(t) // a repeated sync posts nothing twice
	}
	r.checkExactlyOnce(t)
	// A restart on the same database re-posts nothing.
	r.stop(t)
	r.start(t)
	r.write(t, 5, 6)
	r.sync(t)
	r.checkExactlyOnce(t)
}

func TestE2EReplyReachesTheBuyerExactlyOnce(t *testing.T) {
	r := newE2E(t)
	r.write(t, 1, 2)
	r.sync(t)
	threads := r.chat.Threads()
	if len(threads) != 1 {
		t.Fatalf("%d threads, want 1", len(threads))
	}
	ctx := context.Background()
	ref, err := r.chat.AgentSays(ctx, threads[0].Ref, "agent-1", "It ships tomorrow.")
	if err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "the reply to be sent", func() bool {
		st, ok := r.chat.LastStatus(ref)
		return ok && st.Status == bridge.ReplySent
	}, r.chat.Changed)
	// The surface delivers the same message again (a retry): still one send.
	if err := r.chat.Redeliver(ctx, threads[0].Ref, ref, "agent-1", "It ships tomorrow."); err != nil {
		t.Fatal(err)
	}
	r.sync(t)
	var replies []simulator.Message
	for _, m := range r.sim.Messages(r.store.ShopID) {
		if m.From == simulator.FromSellerAPI {
			replies = append(replies, m)
		}
	}
	if len(replies) != 1 || replies[0].Text != "It ships tomorrow." {
		t.Fatalf("the simulator holds %d replies %+v, want exactly one", len(replies), replies)
	}
	if r.chat.PostedIDs()[bridge.MessageID(replies[0].ID)] != 0 {
		t.Error("the bridge's own reply was echoed into the thread")
	}
	// A reply typed in Seller Centre is shown, as a seller message.
	sc, err := r.sim.SellerCentreSays(r.store.ShopID, simulator.ScriptBuyerID(0, 0), "From Seller Centre")
	if err != nil {
		t.Fatal(err)
	}
	r.sync(t)
	if r.chat.PostedIDs()[bridge.MessageID(sc.ID)] != 1 {
		t.Error("the Seller Centre message was not shown in the thread")
	}
}

func TestE2ETokenExpiryMidRun(t *testing.T) {
	r := newE2E(t)
	r.write(t, 3, 6)
	r.sync(t)
	r.sim.ExpireAccessToken(r.store.ShopID)
	r.write(t, 3, 6)
	r.sync(t)
	cur, _ := r.sim.Tokens(r.store.ShopID)
	if cur.Refreshes != 1 {
		t.Fatalf("%d refreshes, want 1", cur.Refreshes)
	}
	saved, err := r.db.LoadTokens(context.Background(), r.store.ID)
	if err != nil || saved.RefreshToken != cur.RefreshToken {
		t.Fatalf("the new refresh token is not in the state (%v)", err)
	}
	// The access token's lifetime passes on the clock: refreshed ahead of time.
	r.clock.Set(cur.AccessExpiresAt)
	r.write(t, 3, 6)
	r.sync(t)
	// A restart with the (now spent) config tokens uses the saved ones.
	r.stop(t)
	r.start(t)
	r.write(t, 3, 6)
	r.sync(t)
	r.checkExactlyOnce(t)
	if cur, _ := r.sim.Tokens(r.store.ShopID); cur.Refreshes != 2 {
		t.Errorf("%d refreshes, want 2 (the restart must not refresh with spent config tokens)", cur.Refreshes)
	}
}

// advanceUntil moves the fake clock from timer to timer until cond holds.
func (r *e2e) advanceUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		// At most a second at a time: requests in flight are signed with
		// the clock, and a jump of minutes would expire their timestamps.
		if d, ok := r.clock.NextTimer(); ok {
			r.clock.Advance(min(max(d, 0), time.Second))
		}
		select {
		case <-r.chat.Changed():
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestE2EOutageRecoveryLosesNothing(t *testing.T) {
	r := newE2E(t)
	r.write(t, 4, 8)
	r.sync(t)
	if _, err := r.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse}); err != nil {
		t.Fatal(err)
	}
	r.write(t, 4, 12) // buyers keep writing during the outage
	for range 3 {
		if _, err := r.eng.SyncNow(context.Background(), r.store.ID); err == nil {
			t.Fatal("a sync succeeded during the outage")
		}
	}
	alerts := r.chat.Alerts()
	if len(alerts) != 1 || alerts[0].Last().Title != bridge.TextInterrupted {
		t.Fatalf("alerts %+v, want one %q", alerts, bridge.TextInterrupted)
	}
	r.sim.ClearFaults()
	r.advanceUntil(t, "the alert says restored", func() bool {
		return strings.HasPrefix(r.chat.Alerts()[0].Last().Title, "Network restored")
	})
	if title := r.chat.Alerts()[0].Last().Title; !strings.Contains(title, "12 messages caught up") {
		t.Errorf("alert %q (%s), want 12 messages caught up", title, r.chat.Alerts()[0].Last().Text)
	}
	r.checkExactlyOnce(t)
}

func TestE2EPushWakesTheEngine(t *testing.T) {
	r := newE2E(t)
	r.sim.SetPushCallback(r.pushURL)
	m, err := r.sim.BuyerSays(r.store.ShopID, simulator.ScriptBuyerID(0, 1), "pushed, not polled")
	if err != nil {
		t.Fatal(err)
	}
	// No SyncNow and no clock movement: the push alone brings it in.
	bridgetest.Eventually(t, "the pushed message in its thread", func() bool {
		return r.chat.PostedIDs()[bridge.MessageID(m.ID)] == 1
	}, r.chat.Changed)
	if lost := r.sim.LostPushes(); len(lost) != 0 {
		t.Errorf("%d pushes lost", len(lost))
	}
}
