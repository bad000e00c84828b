package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

// authMarketplace is the scripted marketplace with an authorization flow:
// it mints codes, exchanges them for tokens and refreshes them, saving
// through the TokenStore as a real client does.
type authMarketplace struct {
	*bridgetest.Marketplace
	tokens   bridge.TokenStore
	clock    bridge.Clock
	lifetime time.Duration

	mu         sync.Mutex
	seq        int
	codes      map[string]string // code → shop ID
	exchanges  int
	refreshes  int
	refreshErr error
	urlErr     error
}

var _ bridge.Authorizer = (*authMarketplace)(nil)

const fakeSign = "SIGN-5ec7e7-do-not-log"

func newAuthMarketplace(clock bridge.Clock, tokens bridge.TokenStore) *authMarketplace {
	return &authMarketplace{
		Marketplace: bridgetest.NewMarketplace(bridge.PlatformShopee, clock), tokens: tokens, clock: clock,
		lifetime: 4 * time.Hour, codes: map[string]string{},
	}
}

func (m *authMarketplace) AuthorizationURL(store bridge.Store, redirect string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.urlErr != nil {
		return "", m.urlErr
	}
	return "https://partner.example/api/v2/shop/auth_partner?" + url.Values{"redirect": {redirect}, "sign": {fakeSign}}.Encode(), nil
}

// Code mints an authorization code for a shop, as the platform's redirect carries.
func (m *authMarketplace) Code(shopID string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	code := fmt.Sprintf("code-%d", m.seq)
	m.codes[code] = shopID
	return code
}

func (m *authMarketplace) issueLocked(ctx context.Context, store bridge.Store) (bridge.Tokens, error) {
	m.seq++
	now := m.clock.Now()
	t := bridge.Tokens{
		AccessToken: fmt.Sprintf("ACCESS-SECRET-%d", m.seq), RefreshToken: fmt.Sprintf("REFRESH-SECRET-%d", m.seq),
		AccessExpiresAt: now.Add(m.lifetime), RefreshExpiresAt: now.Add(30 * 24 * time.Hour), UpdatedAt: now,
	}
	return t, m.tokens.SaveTokens(ctx, store.ID, t)
}

func (m *authMarketplace) ExchangeCode(ctx context.Context, store bridge.Store, code string) (bridge.Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exchanges++
	shop, ok := m.codes[code]
	delete(m.codes, code)
	if !ok || shop != store.ShopID {
		return bridge.Tokens{}, bridge.AuthError("shopee", "exchange code", "the authorization code was refused")
	}
	return m.issueLocked(ctx, store)
}

func (m *authMarketplace) RefreshTokens(ctx context.Context, store bridge.Store) (bridge.Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshes++
	if m.refreshErr != nil {
		return bridge.Tokens{}, m.refreshErr
	}
	return m.issueLocked(ctx, store)
}

func (m *authMarketplace) counts() (exchanges, refreshes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.exchanges, m.refreshes
}

func (m *authMarketplace) failRefresh(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshErr = err
}

var (
	authStore   = bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"}
	noAuthStore = bridge.Store{ID: "lazada-sg", Platform: bridge.PlatformLazada, ShopID: "2002", Name: "SG Shop", Site: "SG"}
)

// authFixture is an engine (not started: commands are called directly)
// with the authorization flow, over SQLite, a fake chat and a fake clock.
type authFixture struct {
	t     *testing.T
	clock *bridgetest.Clock
	state bridge.State
	chat  *bridgetest.Chat
	mp    *authMarketplace
	eng   *engine.Engine
	auth  *auth.Flow
	mux   *http.ServeMux
	logs  *bridgetest.Buffer
}

const publicURL = "https://bridge.example.com"

// newAuthFixture builds the fixture; opts change the engine's deps.
func newAuthFixture(t *testing.T, cfg auth.Config, opts ...func(*engine.Deps)) *authFixture {
	t.Helper()
	st := bridgetest.NewMemState(nil)
	t.Cleanup(func() { st.Close() })
	f := &authFixture{t: t, clock: bridgetest.NewClock(t0), state: st, chat: bridgetest.NewChat(), mux: http.NewServeMux(), logs: &bridgetest.Buffer{}}
	f.mp = newAuthMarketplace(f.clock, st)
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	deps := engine.Deps{
		State: st, Chat: f.chat, Clock: f.clock, Logger: log, Stores: []bridge.Store{authStore, noAuthStore},
		Marketplaces: []bridge.Marketplace{f.mp, bridgetest.NewMarketplace(bridge.PlatformLazada, f.clock)},
	}
	for _, o := range opts {
		o(&deps)
	}
	f.eng = engine.New(testConfig(), deps)
	if cfg.PublicURL == "" {
		cfg.PublicURL = publicURL
	}
	f.auth = enableAuth(t, f.eng, deps, cfg)
	f.auth.RegisterRoutes(f.mux)
	return f
}

// enableAuth registers the authorization flow with an engine built from
// deps, as cmd does.
func enableAuth(t testing.TB, e *engine.Engine, deps engine.Deps, cfg auth.Config) *auth.Flow {
	t.Helper()
	a := auth.New(cfg, auth.Deps{
		State: deps.State, Chat: deps.Chat, Marketplaces: deps.Marketplaces, Stores: e.Stores,
		Clock: deps.Clock, Logger: deps.Logger, Authorized: e.StoreAuthorized,
	})
	if err := e.Register(a); err != nil {
		t.Fatalf("register the authorization flow: %v", err)
	}
	return a
}

func (f *authFixture) command(text string, admin bool) bridge.CommandResponse {
	return f.eng.Command(context.Background(), bridge.CommandRequest{Surface: "fake", UserID: "U1", UserName: "alice", Admin: admin, Text: text})
}

// link runs `store update` and returns the callback URL the platform
// would redirect to (without code and shop_id yet).
func (f *authFixture) link(store bridge.StoreID) *url.URL {
	f.t.Helper()
	resp := f.command("store update "+string(store), true)
	if resp.Error {
		f.t.Fatalf("store update: %s", resp.Text)
	}
	var link string
	for _, w := range strings.Fields(resp.Text) {
		if strings.HasPrefix(w, "https://partner.example/") {
			link = w
		}
	}
	if link == "" {
		f.t.Fatalf("store update answered without a link: %q", resp.Text)
	}
	u, err := url.Parse(link)
	if err != nil {
		f.t.Fatal(err)
	}
	redirect, err := url.Parse(u.Query().Get("redirect"))
	if err != nil {
		f.t.Fatal(err)
	}
	return redirect
}

// redirect is the platform sending the shop owner back with a code.
func withCode(cb *url.URL, code, shopID string) string {
	u := *cb
	q := u.Query()
	q.Set("code", code)
	q.Set("shop_id", shopID)
	u.RawQuery = q.Encode()
	return u.String()
}

// get calls the bridge's listener as the shop owner's browser.
func (f *authFixture) get(raw string) (int, string) {
	f.t.Helper()
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, raw, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func (f *authFixture) alertTitles() []string {
	var out []string
	for _, a := range f.chat.Alerts() {
		out = append(out, a.Last().Title)
	}
	return out
}

// assertNoSecrets fails if a token, the link's signature or a state token
// reached the logs, the chat or the audit.
func (f *authFixture) assertNoSecrets(extra ...string) {
	f.t.Helper()
	var all strings.Builder
	all.WriteString(f.logs.String())
	for _, a := range f.chat.Alerts() {
		for _, v := range a.Versions {
			all.WriteString(v.Title + v.Text)
		}
	}
	for _, n := range f.chat.Notices() {
		all.WriteString(n.Text)
	}
	audit, _ := f.state.Audit(context.Background(), 100)
	for _, a := range audit {
		all.WriteString(a.Command + a.Result)
	}
	text := all.String()
	for _, secret := range append([]string{"ACCESS-SECRET", "REFRESH-SECRET", fakeSign}, extra...) {
		if secret != "" && strings.Contains(text, secret) {
			f.t.Fatalf("secret %q leaked into logs, chat or audit", secret)
		}
	}
}
