package shopee_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/simulator/simcontract"
)

func TestContract(t *testing.T) {
	platformtest.Run(t, newEnv)
}

// newEnv wires a fresh simulator (one MY shop, started on loopback) to a
// client configured from it, with its push endpoint on a local server.
func newEnv(t testing.TB, o platformtest.Options) *platformtest.Env {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 7})
	shop := simulator.Shop{ShopID: "1001", Site: "MY", Name: "Test Shop"}
	if err := sim.AddShop(shop); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })

	mux := http.NewServeMux()
	pushSrv := httptest.NewServer(mux)
	t.Cleanup(pushSrv.Close)

	key := sim.PartnerKey()
	if o.WrongKey {
		key = "not-the-partner-key"
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	cfg := shopee.Config{
		PartnerID:       sim.PartnerID(),
		PartnerKey:      key,
		BaseURL:         sim.URL(),
		PushCallbackURL: pushSrv.URL + shopee.DefaultPushPath,
		HTTP: httpx.Config{Timeout: timeout, RetryMax: 2, RetryWaitMin: 10 * time.Millisecond,
			RetryWaitMax: 100 * time.Millisecond, RateLimit: -1},
	}
	tok, err := sim.Tokens(shop.ShopID)
	if err != nil {
		t.Fatal(err)
	}
	store := bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformShopee, ShopID: shop.ShopID, Name: shop.Name, Site: shop.Site}
	tokens := platformtest.NewMemTokens()
	hints := bridge.NewHints()
	client, err := shopee.New(cfg, shopee.Deps{
		Tokens:        tokens,
		InitialTokens: map[bridge.StoreID]bridge.Tokens{store.ID: {AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, AccessExpiresAt: tok.AccessExpiresAt}},
		Hints:         hints,
		Clock:         clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	client.RegisterRoutes(mux)
	return &platformtest.Env{
		Client: client, Backend: simcontract.New(sim, simcontract.ShopeeDialect{Sim: sim}), Store: store, Tokens: tokens, Clock: clock, Hints: hints,
		Push:    client.PushHandler(),
		PushURL: cfg.PushCallbackURL,
		SignPush: func(body []byte) (string, string) {
			return "Authorization", simulator.PushSignature(sim.PartnerKey(), cfg.PushCallbackURL, body)
		},
		PushBody: func(at time.Time) []byte {
			return simulator.WebchatPushBody(shop.ShopID, "4611686018427387904", at)
		},
		RecoverLostPushes: client.RecoverLostPushes,
	}
}
