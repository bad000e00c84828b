package tiktok_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

// shopID is the simulated TikTok shop (TikTok shop IDs are 19 digits).
const shopID = "7494049642642441621"

// env is a client wired to a fresh, started simulator holding one TikTok
// shop, with the client's routes (webhook, authorization redirect) on a
// local server.
type env struct {
	clock   *bridgetest.Clock
	sim     *simulator.Simulator
	client  *tiktok.Client
	cfg     tiktok.Config
	store   bridge.Store
	tokens  *platformtest.MemTokens
	hints   *bridge.Hints
	pushes  *bridge.Pushes
	mux     *http.ServeMux
	srv     *httptest.Server
	initial bridge.Tokens
	current atomic.Pointer[tiktok.Client]
	// written counts the messages the benchmarks' writers sent.
	written int
}

type envOption func(*tiktok.Config, *simulator.TikTokConfig)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 17})
	simCfg := simulator.TikTokConfig{}
	cfg := tiktok.Config{
		HTTP: httpx.Config{Timeout: 5 * time.Second, RetryMax: 2, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond, RateLimit: -1},
	}
	for _, o := range opts {
		o(&cfg, &simCfg)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	simCfg.RedirectURL = srv.URL + tiktok.DefaultAuthRedirectPath
	sim.ConfigureTikTok(simCfg)
	shop := simulator.Shop{ShopID: shopID, Site: "MY", Name: "TT Shop", Platform: bridge.PlatformTikTok}
	if err := sim.AddShop(shop); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	app := sim.TikTok()
	if cfg.AppKey == "" {
		cfg.AppKey = app.AppKey
	}
	if cfg.AppSecret == "" {
		cfg.AppSecret = app.AppSecret
	}
	cfg.BaseURL, cfg.AuthURL, cfg.AuthorizeURL, cfg.ServiceID = sim.URL(), sim.URL(), sim.URL()+"/open/authorize", app.ServiceID
	tok, err := sim.Tokens(shopID)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		clock: clock, sim: sim, cfg: cfg, mux: mux, srv: srv,
		store:   bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformTikTok, ShopID: shopID, Name: shop.Name, Site: shop.Site},
		tokens:  platformtest.NewMemTokens(),
		hints:   bridge.NewHints(),
		pushes:  bridge.NewPushes(),
		initial: bridge.Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, AccessExpiresAt: tok.AccessExpiresAt, RefreshExpiresAt: tok.RefreshExpiresAt},
	}
	e.client = e.newClient(t, e.tokens)
	// The routes reach whichever client the env holds (tests swap it).
	e.current.Store(e.client)
	mux.Handle(tiktok.DefaultWebhookPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.current.Load().WebhookHandler().ServeHTTP(w, r)
	}))
	mux.Handle(tiktok.DefaultAuthRedirectPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.current.Load().AuthRedirectHandler().ServeHTTP(w, r)
	}))
	return e
}

// use makes c the client behind the env's routes.
func (e *env) use(c *tiktok.Client) {
	e.client = c
	e.current.Store(c)
}

// newClient builds a client on tokens with the env's config and deps.
func (e *env) newClient(t testing.TB, tokens bridge.TokenStore) *tiktok.Client {
	t.Helper()
	c, err := tiktok.New(e.cfg, tiktok.Deps{
		Tokens:        tokens,
		InitialTokens: map[bridge.StoreID]bridge.Tokens{e.store.ID: e.initial},
		Pushes:        e.pushes, Hints: e.hints, Stores: []bridge.Store{e.store},
		Clock: e.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// webhookURL is where the client receives webhooks.
func (e *env) webhookURL() string { return e.srv.URL + tiktok.DefaultWebhookPath }

// buyer is the i-th test buyer.
func buyer(i int) string { return fmt.Sprint(600_000_000 + i) }

func (e *env) say(t testing.TB, buyerID, text string) simulator.Message {
	t.Helper()
	m, err := e.sim.BuyerSays(shopID, buyerID, text)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (e *env) conversationOf(t testing.TB, buyerID string) bridge.ConversationID {
	t.Helper()
	for _, c := range e.sim.Conversations(shopID) {
		if c.BuyerID == buyerID {
			return bridge.ConversationID(c.ID)
		}
	}
	t.Fatalf("no conversation with buyer %s", buyerID)
	return ""
}

// pump advances the fake clock to the next timer whenever something waits
// on it (backoffs), until the test ends.
func (e *env) pump(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for e.clock.BlockUntil(ctx, 1) == nil {
			if d, ok := e.clock.NextTimer(); ok {
				e.clock.Advance(d)
			}
		}
	}()
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func kindOf(err error) bridge.ErrorKind {
	if err == nil {
		return 0
	}
	return bridge.Classify(err)
}

// calls is how many times the simulator served call ("METHOD pattern").
func (e *env) calls(call string) int { return e.sim.Calls()[call] }

const (
	callConvs   = "GET /customer_service/202309/conversations"
	callMsgs    = "GET /customer_service/202309/conversations/{conversation_id}/messages"
	callSend    = "POST /customer_service/202309/conversations/{conversation_id}/messages"
	callRead    = "POST /customer_service/202309/conversations/{conversation_id}/messages/read"
	callShops   = "GET /authorization/202309/shops"
	callRefresh = "GET /api/v2/token/refresh"
)

type (
	tiktokConfig    = tiktok.Config
	simTikTokConfig = simulator.TikTokConfig
)

// newEnvSharing is a second client on e's simulator and tokens, with
// nothing cached.
func newEnvSharing(t testing.TB, e *env) *tiktok.Client { return e.newClient(t, e.tokens) }

func newMemTokens() *platformtest.MemTokens { return platformtest.NewMemTokens() }
