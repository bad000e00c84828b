package lazada_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/simulator/simcontract"
)

// TestContract runs the push-first marketplace contract on the Lazada
// client and the simulator's Lazada dialect.
func TestContract(t *testing.T) {
	platformtest.Run(t, newEnv)
}

// lazadaDialect is the contract suite's view of the simulator's Lazada
// dialect (simcontract.Dialect).
type lazadaDialect struct{ sim *simulator.Simulator }

var lazadaKinds = map[string]platformtest.MessageType{
	"text":         {Kind: bridge.KindText},
	"image":        {Kind: bridge.KindImage},
	"emoji":        {Kind: bridge.KindSticker},
	"video":        {Kind: bridge.KindVideo},
	"item":         {Kind: bridge.KindItem},
	"order":        {Kind: bridge.KindOrder},
	"voucher":      {Kind: bridge.KindVoucher},
	"refund":       {Kind: bridge.KindRefund},
	"auto_reply":   {Kind: bridge.KindText},
	"follow_store": {Kind: bridge.KindUnsupported, UnsupportedType: "10010"},
}

func (d lazadaDialect) MessageTypes() []platformtest.MessageType {
	var out []platformtest.MessageType
	for _, typ := range simulator.LazadaMessageTypes {
		mt, ok := lazadaKinds[typ]
		if !ok {
			panic("lazada contract: no kind for simulator type " + typ)
		}
		mt.Type = typ
		out = append(out, mt)
	}
	return out
}

func (d lazadaDialect) BuyerSends(shopID, buyerID, typ string, n int) (simulator.Message, error) {
	return d.sim.LazadaSends(shopID, buyerID, simulator.LazadaMessage{Type: typ, Content: simulator.LazadaSampleContent(typ, n)})
}

func (d lazadaDialect) SellerSays(shopID, buyerID, text string) (simulator.Message, error) {
	return d.sim.SellerCentreSays(shopID, buyerID, text)
}

func (d lazadaDialect) Path(api platformtest.API) string {
	switch api {
	case platformtest.APISend:
		return "/im/message/send"
	case platformtest.APIListConversations:
		return "/im/session/list"
	case platformtest.APIListMessages:
		return "/im/message/list"
	case platformtest.APIHealth:
		return "/seller/get"
	case platformtest.APIRefresh:
		return "/auth/token/refresh"
	}
	panic(fmt.Sprintf("lazada contract: no API %q", api))
}

func (d lazadaDialect) SetPushCallback(url string) { d.sim.SetLazadaPushCallback(url) }

// newEnv wires a fresh simulator (one SG seller, started on loopback) to a
// client configured from it, pushing to the client's endpoint on a local
// server from the start.
func newEnv(t testing.TB, o platformtest.Options) *platformtest.Env {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 7})
	mux := http.NewServeMux()
	pushSrv := httptest.NewServer(mux)
	t.Cleanup(pushSrv.Close)
	pushURL := pushSrv.URL + lazada.DefaultPushPath
	// A generous push timeout: under -race a push's first /im/session/get
	// and SQLite write can take longer than Lazada's 500 ms.
	sim.ConfigureLazada(simulator.LazadaConfig{PushCallbackURL: pushURL, PushTimeout: 5 * time.Second})
	shop := simulator.Shop{ShopID: "1001", Site: "SG", Name: "Test Seller", Platform: bridge.PlatformLazada}
	if err := sim.AddShop(shop); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })

	timeout := o.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	cfg := simConfig(sim)
	cfg.PushDeadline = 450 * time.Millisecond
	cfg.HTTP = httpx.Config{Timeout: timeout, RetryMax: 2, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond, RateLimit: -1}
	if o.WrongKey {
		cfg.AppSecret = "not-the-app-secret"
	}
	tok, err := sim.Tokens(shop.ShopID)
	if err != nil {
		t.Fatal(err)
	}
	store := bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformLazada, ShopID: shop.ShopID, Name: shop.Name, Site: shop.Site}
	tokens := platformtest.NewMemTokens()
	hints := bridge.NewHints()
	pushes := bridge.NewPushes()
	client, err := lazada.New(cfg, lazada.Deps{
		Tokens: tokens,
		InitialTokens: map[bridge.StoreID]bridge.Tokens{store.ID: {AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
			AccessExpiresAt: tok.AccessExpiresAt, RefreshExpiresAt: tok.RefreshExpiresAt}},
		Pushes: pushes, Stores: []bridge.Store{store}, Hints: hints, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	client.RegisterRoutes(mux)
	lc := sim.LazadaConfig()
	return &platformtest.Env{
		Client: client, Backend: simcontract.New(sim, lazadaDialect{sim}), Store: store, Tokens: tokens, Clock: clock, Hints: hints,
		Push: client.PushHandler(), PushURL: pushURL,
		SignPush: func(body []byte) (string, string) {
			return "Authorization", simulator.LazadaPushSignature(lc.AppKey, lc.AppSecret, body)
		},
		PushBody: func(at time.Time) []byte {
			return simulator.LazadaIMPushBody(shop.ShopID, "4611686018427399999", buyer(99), fmt.Sprintf("lz%d", at.UnixNano()), "hello", at)
		},
		Pushes:    pushes,
		OpenState: openState,
		PushRetry: lc.PushRetryInterval,
		Quiesce:   func() { cancel(); sim.Close(); pushSrv.Close() },
	}
}

// openState opens the state of platformtest's recording engine: SQLite in
// memory.
func openState(context.Context) (bridge.State, error) { return bridgetest.NewMemState(nil), nil }
