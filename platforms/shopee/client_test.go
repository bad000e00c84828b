package shopee_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// rig is a simulator with one shop and a client without initial tokens.
type rig struct {
	clock  *bridgetest.Clock
	sim    *simulator.Simulator
	client *shopee.Client
	tokens *platformtest.MemTokens
	hints  *bridge.Hints
	store  bridge.Store
	logs   *bytes.Buffer
}

func newRig(t *testing.T, site string, initial bool) *rig {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 3})
	shop := simulator.Shop{ShopID: "2002", Site: site, Name: "Rig"}
	if err := sim.AddShop(shop); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	store := bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformShopee, ShopID: shop.ShopID, Name: shop.Name, Site: site}
	r := &rig{clock: clock, sim: sim, tokens: platformtest.NewMemTokens(), hints: bridge.NewHints(), store: store, logs: &bytes.Buffer{}}
	deps := shopee.Deps{Tokens: r.tokens, Hints: r.hints, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if initial {
		tok, _ := sim.Tokens(shop.ShopID)
		deps.InitialTokens = map[bridge.StoreID]bridge.Tokens{store.ID: {AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}}
	}
	client, err := shopee.New(shopee.Config{
		PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL(),
		PushCallbackURL: "https://bridge.example" + shopee.DefaultPushPath,
		HTTP:            httpx.Config{RetryMax: -1, RateLimit: -1},
	}, deps)
	if err != nil {
		t.Fatal(err)
	}
	r.client = client
	return r
}

func TestTWStoreCannotSend(t *testing.T) {
	r := newRig(t, "TW", true)
	if _, err := r.sim.BuyerSays(r.store.ShopID, "555", "hi"); err != nil {
		t.Fatal(err)
	}
	r.sim.ResetCalls()
	_, err := r.client.SendText(context.Background(), r.store, bridge.Conversation{ID: "1", BuyerID: "555"}, "hello")
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindPermanent || !strings.Contains(pe.Message, "Shopee does not allow sending messages in the TW region") {
		t.Fatalf("got %v, want the permanent TW error", err)
	}
	if r.sim.TotalCalls() != 0 {
		t.Errorf("the client called the API %v; it must refuse first", r.sim.Calls())
	}
}

func TestAuthorizationFlow(t *testing.T) {
	r := newRig(t, "MY", false)
	ctx := context.Background()
	_, err := r.client.ListConversations(ctx, r.store, time.Time{})
	if bridge.Classify(err) != bridge.KindAuth {
		t.Fatalf("without tokens: got %v, want an auth error", err)
	}
	const redirect = "https://bridge.example/auth/shopee/callback"
	link, err := r.client.AuthorizationURL(r.store, redirect)
	if err != nil {
		t.Fatal(err)
	}
	// The shop owner logs in and picks the shop (the simulator's shop_id shortcut).
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(link + "&shop_id=" + r.store.ShopID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(back.String(), redirect) {
		t.Fatalf("auth_partner answered %d %q, want a redirect to the callback", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := back.Query().Get("code")
	if back.Query().Get("shop_id") != r.store.ShopID || code == "" {
		t.Fatalf("callback %s lacks the code or shop", back)
	}
	tok, err := r.client.ExchangeCode(ctx, r.store, code)
	if err != nil {
		t.Fatalf("ExchangeCode: %v", err)
	}
	cur, _ := r.sim.Tokens(r.store.ShopID)
	saved, err := r.tokens.LoadTokens(ctx, r.store.ID)
	if err != nil || saved.RefreshToken != cur.RefreshToken || tok.AccessToken != cur.AccessToken {
		t.Fatalf("the new tokens were not saved (%v)", err)
	}
	if _, err := r.client.ListConversations(ctx, r.store, time.Time{}); err != nil {
		t.Errorf("after authorizing: %v", err)
	}
	if _, err := r.client.ExchangeCode(ctx, r.store, code); bridge.Classify(err) != bridge.KindAuth {
		t.Errorf("reusing the single-use code: got %v, want an auth error", err)
	}
	// A forced refresh (bridge.Authorizer) spends the refresh token and saves the new one.
	tok2, err := r.client.RefreshTokens(ctx, r.store)
	if cur2, _ := r.sim.Tokens(r.store.ShopID); err != nil || tok2.RefreshToken != cur2.RefreshToken || cur2.Refreshes != 1 {
		t.Errorf("RefreshTokens: %v", err)
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	r := newRig(t, "MY", true)
	ctx := context.Background()
	var errs []error
	first, _ := r.sim.Tokens(r.store.ShopID)
	if _, err := r.sim.BuyerSays(r.store.ShopID, "555", "hi"); err != nil {
		t.Fatal(err)
	}
	_, err := r.client.ListConversations(ctx, r.store, time.Time{})
	errs = append(errs, err)
	r.sim.ExpireAccessToken(r.store.ShopID)
	_, err = r.client.ListConversations(ctx, r.store, time.Time{})
	errs = append(errs, err)
	second, _ := r.sim.Tokens(r.store.ShopID)
	r.sim.RevokeTokens(r.store.ShopID)
	r.sim.ExpireAccessToken(r.store.ShopID)
	_, err = r.client.ListConversations(ctx, r.store, time.Time{})
	if bridge.Classify(err) != bridge.KindAuth {
		t.Errorf("revoked: got %v, want auth", err)
	}
	errs = append(errs, err)
	r.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse})
	_, err = r.client.ListConversations(ctx, r.store, time.Time{})
	errs = append(errs, err)
	var text strings.Builder
	text.Write(r.logs.Bytes())
	for _, e := range errs {
		if e != nil {
			text.WriteString(e.Error() + "\n" + bridge.ReasonOf(e) + "\n")
		}
	}
	for name, secret := range map[string]string{
		"partner key": r.sim.PartnerKey(), "first access token": first.AccessToken, "first refresh token": first.RefreshToken,
		"second access token": second.AccessToken, "second refresh token": second.RefreshToken, "a signature": "sign=",
	} {
		if strings.Contains(text.String(), secret) {
			t.Errorf("%s leaked into logs or errors:\n%s", name, text.String())
		}
	}
	if !strings.Contains(r.logs.String(), "access token refreshed") {
		t.Errorf("expected the refresh to be logged; log:\n%s", r.logs.String())
	}
}

func TestRunLostPushRecovery(t *testing.T) {
	r := newRig(t, "MY", true)
	r.sim.SetPushCallback("http://127.0.0.1:1/unreachable")
	r.sim.SetFault(simulator.Fault{Kind: simulator.FaultDropPushes})
	if _, err := r.sim.BuyerSays(r.store.ShopID, "555", "lost"); err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "the push to be lost", func() bool { return len(r.sim.LostPushes()) == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.client.RunLostPushRecovery(ctx) }()
	select {
	case <-r.hints.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("no hint from the first recovery")
	}
	if h := r.hints.Drain(); len(h) != 1 || h[0].ShopID != r.store.ShopID {
		t.Fatalf("hints %+v", h)
	}
	// The next recovery runs after lost_push_interval on the clock.
	if _, err := r.sim.BuyerSays(r.store.ShopID, "555", "lost again"); err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "the second push to be lost", func() bool { return len(r.sim.LostPushes()) == 2 })
	if err := r.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(shopee.DefaultLostPushInterval)
	select {
	case <-r.hints.Wake():
	case <-time.After(10 * time.Second):
		t.Fatal("no hint from the second recovery")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunLostPushRecovery: %v", err)
	}
}
