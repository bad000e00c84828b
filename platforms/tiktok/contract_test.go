package tiktok_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/simulator/simcontract"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

// TestContract runs the marketplace contract on the TikTok Shop client and
// the simulator's TikTok dialect. TikTok Shop is polled (bridge.PollPolicy:
// conversations and messages may be listed, as a safety net) and its
// type-14 webhooks carry each new message, recorded through bridge.Pushes:
// so it runs the polling contract with a Recorder on the client's Pushes,
// and every message must reach the bridge both by webhook and by listing.
// It is not bridge.PushDriven: the push-first cases (no list calls, the
// history import) do not apply.
func TestContract(t *testing.T) {
	platformtest.Run(t, newContractEnv)
}

// tiktokDialect is the contract suite's view of the simulator's TikTok
// dialect (simcontract.Dialect, with platformtest.Exceptions).
type tiktokDialect struct{ sim *simulator.Simulator }

// tiktokBuyerKinds are the TikTok types a buyer sends [DOC TT-CS] and what
// the client decodes each as. ALLOCATED_SERVICE, NOTIFICATION and
// BUYER_ENTER_FROM_* (the rest of simulator.TikTokMessageTypes) are
// TikTok's events, shown as the system's whoever TikTok names as the
// sender: TestSystemAndRobotMessagesAreShownAsSuch covers them.
var tiktokBuyerKinds = []platformtest.MessageType{
	{Type: "TEXT", Kind: bridge.KindText},
	{Type: "IMAGE", Kind: bridge.KindImage},
	{Type: "VIDEO", Kind: bridge.KindVideo},
	{Type: "EMOTICONS", Kind: bridge.KindSticker},
	{Type: "PRODUCT_CARD", Kind: bridge.KindItem},
	{Type: "ORDER_CARD", Kind: bridge.KindOrder},
	{Type: "RETURN_REFUND_CARD", Kind: bridge.KindRefund},
	{Type: "COUPON_CARD", Kind: bridge.KindVoucher},
	{Type: "OTHER", Kind: bridge.KindUnsupported, UnsupportedType: "OTHER"},
}

func (d tiktokDialect) MessageTypes() []platformtest.MessageType {
	for _, mt := range tiktokBuyerKinds {
		known := false
		for _, typ := range simulator.TikTokMessageTypes {
			known = known || typ == mt.Type
		}
		if !known {
			panic("tiktok contract: the simulator has no type " + mt.Type)
		}
	}
	return tiktokBuyerKinds
}

func (d tiktokDialect) BuyerSends(shopID, buyerID, typ string, n int) (simulator.Message, error) {
	return d.sim.AddTikTokMessage(shopID, buyerID, simulator.FromBuyer, typ, simulator.TikTokSampleContent(typ, n), true)
}

func (d tiktokDialect) SellerSays(shopID, buyerID, text string) (simulator.Message, error) {
	return d.sim.SellerCentreSays(shopID, buyerID, text)
}

// Path names an API by a part of its URL path (faults) that is also part of
// its key in Simulator.Calls ("METHOD pattern"). Send Message shares its
// URL path with Get Conversation Messages (POST and GET of
// /conversations/{id}/messages): the cases that fault sends call nothing
// else under it.
func (d tiktokDialect) Path(api platformtest.API) string {
	switch api {
	case platformtest.APISend:
		return "/messages"
	case platformtest.APIListConversations:
		return "/customer_service/202309/conversations"
	case platformtest.APIListMessages:
		return "/messages"
	case platformtest.APIRefresh:
		return "/api/v2/token/refresh"
	}
	panic(fmt.Sprintf("tiktok contract: no API %q", api))
}

func (d tiktokDialect) SetPushCallback(url string) { d.sim.SetTikTokWebhookURL(url) }

// Skip: where TikTok Shop's webhooks depart, as documented, from the
// contract's push checks.
func (d tiktokDialect) Skip(check platformtest.Check) string {
	switch check {
	case platformtest.CheckStalePushRefused:
		return "TikTok Shop delivers a webhook again until it is answered 200 (2 min, 30 min, 3 h, 12 h), so one older than " +
			"webhook_max_age (24 h) is acknowledged 200 and ignored rather than refused (webhook.go); that it has no effect is still checked"
	case platformtest.CheckEmptyPushAccepted:
		return "TikTok Shop sends no empty URL-verification webhook: an unsigned request is refused with 401"
	}
	return ""
}

// newContractEnv wires a fresh simulator (one TikTok shop, started on
// loopback) to a client configured from it, its webhook endpoint on a local
// server the simulator delivers to from the start, recording into Pushes.
func newContractEnv(t testing.TB, o platformtest.Options) *platformtest.Env {
	t.Helper()
	clock := bridgetest.NewClock(platformtest.Start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 17})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	webhookURL := srv.URL + tiktok.DefaultWebhookPath
	sim.ConfigureTikTok(simulator.TikTokConfig{WebhookURL: webhookURL, RedirectURL: srv.URL + tiktok.DefaultAuthRedirectPath})
	shop := simulator.Shop{ShopID: shopID, Site: "MY", Name: "TT Shop", Platform: bridge.PlatformTikTok}
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
	app := sim.TikTok()
	cfg := tiktok.Config{
		AppKey: app.AppKey, AppSecret: app.AppSecret, ServiceID: app.ServiceID,
		BaseURL: sim.URL(), AuthURL: sim.URL(), AuthorizeURL: sim.URL() + "/open/authorize",
		HTTP: httpx.Config{Timeout: timeout, RetryMax: 2, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond, RateLimit: -1},
	}
	if o.WrongKey {
		cfg.AppSecret = "not-the-app-secret"
	}
	tok, err := sim.Tokens(shopID)
	if err != nil {
		t.Fatal(err)
	}
	store := bridge.Store{ID: simulator.StoreID(shop), Platform: bridge.PlatformTikTok, ShopID: shopID, Name: shop.Name, Site: shop.Site}
	tokens := platformtest.NewMemTokens()
	hints := bridge.NewHints()
	pushes := bridge.NewPushes()
	client, err := tiktok.New(cfg, tiktok.Deps{
		Tokens: tokens,
		InitialTokens: map[bridge.StoreID]bridge.Tokens{store.ID: {AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
			AccessExpiresAt: tok.AccessExpiresAt, RefreshExpiresAt: tok.RefreshExpiresAt}},
		Pushes: pushes, Hints: hints, Stores: []bridge.Store{store}, Clock: realDeadlines{clock},
	})
	if err != nil {
		t.Fatal(err)
	}
	client.RegisterRoutes(mux)
	return &platformtest.Env{
		Client: client, Backend: simcontract.New(sim, tiktokDialect{sim}), Store: store, Tokens: tokens, Clock: clock, Hints: hints,
		Push: client.WebhookHandler(), PushURL: webhookURL,
		SignPush: func(body []byte) (string, string) {
			return "Authorization", simulator.TikTokWebhookSignature(app.AppKey, app.AppSecret, body)
		},
		PushBody: func(at time.Time) []byte { return webhookBody(at) },
		Pushes:   pushes,
		// The recording engine's state: SQLite in memory.
		OpenState: func(context.Context) (bridge.State, error) { return bridgetest.NewMemState(nil), nil },
		Quiesce:   func() { cancel(); sim.Close(); srv.Close() },
	}
}

// webhookBody is a type-14 webhook of a buyer's text in a conversation the
// simulator does not hold, sent at at: its notification and message IDs
// follow at, so two bodies of different times are different webhooks.
func webhookBody(at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": 14, "tts_notification_id": fmt.Sprint(7300000000000000000 + at.UnixNano()%1_000_000_000_000), "shop_id": shopID,
		"timestamp": at.Unix(),
		"data": map[string]any{
			"content": `{"content":"hello"}`, "conversation_id": "7494560109732334001", "create_time": at.Unix(),
			"is_visible": true, "message_id": fmt.Sprint(7494560109732000000 + at.UnixNano()%1_000_000_000), "index": "1", "type": "TEXT",
			"sender": map[string]any{"im_user_id": "7494560109700000099", "role": "BUYER", "nickname": "Test Buyer"},
		},
	})
	return b
}

// realDeadlines is the env's fake clock, except for AfterFunc, which runs
// in real time: the client uses it for the webhook deadline only, and the
// suite's Env.Pump moves the fake clock to its next timer whenever
// anything waits on it, which would expire a webhook's 2.5 s while it is
// being recorded. The deadline itself is TestWebhookIsRefusedRatherThanAnsweredLate's.
type realDeadlines struct{ *bridgetest.Clock }

func (c realDeadlines) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
