package lazada_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
)

// The whole authorization: link → the seller picks the shop → code →
// /auth/token/create → saved tokens with absolute expiries; a refresh
// renews the access token but keeps the refresh token's expiry.
func TestTokenCreateAndRefreshKeepsRefreshExpiry(t *testing.T) {
	r := newRigWith(t, rigOptions{})
	ctx := ctxT(t)
	if err := r.client.CheckHealth(ctx, r.store); bridge.Classify(err) != bridge.KindAuth {
		t.Fatalf("without tokens: %v, want an auth error", err)
	}
	const redirect = "https://bridge.example/auth/lazada/callback?store=lazada-sg-2002&state=xyz"
	link, err := r.client.AuthorizationURL(r.store, redirect)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	q := u.Query()
	if q.Get("response_type") != "code" || q.Get("force_auth") != "true" || q.Get("client_id") != r.cfg.AppKey ||
		q.Get("redirect_uri") != redirect || q.Get("country") != "sg" || !strings.HasSuffix(u.Path, "/oauth/authorize") {
		t.Fatalf("authorization link %s", link)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(link + "&seller_id=" + r.store.ShopID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || back.Query().Get("code") == "" || back.Query().Get("state") != "xyz" {
		t.Fatalf("authorize answered %d %q, want a redirect to the callback with a code", resp.StatusCode, resp.Header.Get("Location"))
	}
	start := r.clock.Now()
	tok, err := r.client.ExchangeCode(ctx, r.store, back.Query().Get("code"))
	if err != nil {
		t.Fatalf("ExchangeCode: %v", err)
	}
	simTok, _ := r.sim.Tokens(r.store.ShopID)
	wantRefreshExp := start.Add(180 * 24 * time.Hour)
	if tok.AccessToken != simTok.AccessToken || !tok.AccessExpiresAt.Equal(start.Add(30*24*time.Hour)) || !tok.RefreshExpiresAt.Equal(wantRefreshExp) {
		t.Fatalf("tokens %+v: want the simulator's, access for 30 days and refresh for 180 (relative seconds made absolute)", tok)
	}
	if saved, _ := r.tokens.LoadTokens(ctx, r.store.ID); saved.RefreshToken != simTok.RefreshToken {
		t.Fatal("the first tokens were not saved")
	}
	// The code is single-use.
	if _, err := r.client.ExchangeCode(ctx, r.store, back.Query().Get("code")); bridge.Classify(err) != bridge.KindAuth {
		t.Errorf("a used code: %v, want an auth error", err)
	}
	// 40 days later the access token has expired: the next call refreshes first.
	r.clock.Advance(40 * 24 * time.Hour)
	r.sim.ResetCalls()
	if err := r.client.CheckHealth(ctx, r.store); err != nil {
		t.Fatalf("after 40 days: %v", err)
	}
	if c := r.sim.Calls(); c["/auth/token/refresh"] != 1 || c["/seller/get"] != 1 {
		t.Errorf("calls %v, want one refresh then the call", c)
	}
	saved, _ := r.tokens.LoadTokens(ctx, r.store.ID)
	now := r.clock.Now()
	if !saved.AccessExpiresAt.Equal(now.Add(30*24*time.Hour)) || !saved.RefreshExpiresAt.Equal(wantRefreshExp) {
		t.Errorf("after the refresh: access until %s, refresh until %s; want 30 more days and the first grant's %s",
			saved.AccessExpiresAt, saved.RefreshExpiresAt, wantRefreshExp)
	}
	// A refresh token past its expiry is not sent: re-authorize.
	r.clock.Set(wantRefreshExp.Add(time.Hour))
	r.sim.ResetCalls()
	_, err = r.client.RefreshTokens(ctx, r.store)
	if bridge.Classify(err) != bridge.KindAuth || !strings.Contains(err.Error(), "re-authorize") || r.sim.TotalCalls() != 0 {
		t.Errorf("expired refresh token: %v after %v calls, want an auth error without a call", err, r.sim.Calls())
	}
}

// A refresh response that reports a full refresh lifetime again does not
// move the saved expiry later; an earlier one is believed.
func TestRefreshNeverExtendsTheRefreshExpiry(t *testing.T) {
	var refreshExpiresIn atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.URL.Path != "/rest/auth/token/refresh" || r.Form.Get("refresh_token") == "" || r.Form.Get("sign") == "" {
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"new-access","refresh_token":"new-refresh","expires_in":"604800","refresh_expires_in":` +
			strconv.FormatInt(refreshExpiresIn.Load(), 10) + `,"account_platform":"seller_center","country_user_info_list":[],"code":"0","request_id":"r1"}`))
	}))
	t.Cleanup(srv.Close)
	clock := bridgetest.NewClock(platformtest.Start)
	tokens := platformtest.NewMemTokens()
	store := bridge.Store{ID: "lazada-sg-1", Platform: bridge.PlatformLazada, ShopID: "1", Site: "SG"}
	first := platformtest.Start.Add(10 * 24 * time.Hour)
	c, err := lazada.New(lazada.Config{AppKey: "k", AppSecret: "s", GatewayURL: srv.URL + "/rest", AuthURL: srv.URL + "/rest",
		HTTP: httpx.Config{RetryMax: -1, RateLimit: -1}}, lazada.Deps{Tokens: tokens, Clock: clock,
		InitialTokens: map[bridge.StoreID]bridge.Tokens{store.ID: {AccessToken: "a", RefreshToken: "r", RefreshExpiresAt: first}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	refreshExpiresIn.Store(180 * 24 * 3600)
	tok, err := c.RefreshTokens(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.RefreshExpiresAt.Equal(first) || tok.RefreshToken != "new-refresh" || !tok.AccessExpiresAt.Equal(clock.Now().Add(7*24*time.Hour)) {
		t.Errorf("after a refresh claiming 180 days: %+v; want the refresh expiry kept at %s", tok, first)
	}
	refreshExpiresIn.Store(24 * 3600)
	tok, err = c.RefreshTokens(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(24 * time.Hour); !tok.RefreshExpiresAt.Equal(want) {
		t.Errorf("a refresh naming an earlier expiry: %s, want %s", tok.RefreshExpiresAt, want)
	}
}

// A refused refresh means the store needs re-authorizing.
func TestRefusedRefreshIsAuth(t *testing.T) {
	r := newRig(t)
	if err := r.sim.RevokeTokens(r.store.ShopID); err != nil {
		t.Fatal(err)
	}
	_, err := r.client.RefreshTokens(ctxT(t), r.store)
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindAuth || pe.Code != "IllegalRefreshToken" || !strings.Contains(pe.Message, "re-authorize") {
		t.Errorf("refused refresh: %v, want auth IllegalRefreshToken asking to re-authorize", err)
	}
}

// A code that authorized another seller is refused before anything is saved.
func TestExchangeCodeOfAnotherSeller(t *testing.T) {
	r := newRigWith(t, rigOptions{})
	other := r.store
	other.ShopID, other.ID = "9999", "lazada-sg-9999"
	code, _ := r.sim.AuthorizationCode(r.store.ShopID)
	_, err := r.client.ExchangeCode(ctxT(t), other, code)
	if bridge.Classify(err) != bridge.KindPermanent || !strings.Contains(err.Error(), "not seller 9999") {
		t.Errorf("got %v, want a permanent error naming the sellers", err)
	}
	if len(r.tokens.Saves()) != 0 {
		t.Error("tokens of another seller were saved")
	}
}
