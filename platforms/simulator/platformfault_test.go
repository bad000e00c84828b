package simulator_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// mixedFixture is a started simulator with a Shopee shop (1001), a Lazada
// one (5005) and a TikTok one (7007).
func mixedFixture(t *testing.T) (*fixture, *lzFixture) {
	t.Helper()
	clock := bridgetest.NewClock(start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 9})
	for _, s := range []simulator.Shop{
		{ShopID: "1001", Site: "MY", Name: "SP"},
		{ShopID: "5005", Site: "SG", Name: "LZ", Platform: bridge.PlatformLazada},
		{ShopID: "7007", Site: "TH", Name: "TT", Platform: bridge.PlatformTikTok},
	} {
		if err := sim.AddShop(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	return &fixture{t: t, clock: clock, sim: sim}, &lzFixture{t: t, clock: clock, sim: sim, cfg: sim.LazadaConfig()}
}

// lazadaSellerGet makes a signed /seller/get and returns the HTTP status
// (0 when the connection failed) and the body.
func lazadaSellerGet(f *lzFixture) (int, string) {
	q := url.Values{"app_key": {f.cfg.AppKey}, "sign_method": {"sha256"}, "timestamp": {strconv.FormatInt(f.clock.Now().UnixMilli(), 10)},
		"access_token": {f.token()}}
	q.Set("sign", simulator.LazadaSign(f.cfg.AppSecret, "/seller/get", q))
	resp, err := http.Get(f.sim.URL() + "/rest/seller/get?" + q.Encode())
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A fault with a Platform is an outage of that marketplace only: the other
// dialects on the same listener keep answering.
func TestFaultScopedToOnePlatform(t *testing.T) {
	sp, lz := mixedFixture(t)
	shopeeOK := func() bool {
		r := sp.do(call{path: listPath, shop: "1001", query: url.Values{"direction": {"older"}, "type": {"all"}, "page_size": {"10"}}})
		return r.status == http.StatusOK && r.code() == ""
	}
	if status, body := lazadaSellerGet(lz); status != http.StatusOK || !strings.Contains(body, `"code":"0"`) || !shopeeOK() {
		t.Fatalf("before the fault: lazada %d %s", status, body)
	}
	id, err := sp.sim.SetFault(simulator.Fault{Kind: simulator.FaultHTTP5xx, Platform: bridge.PlatformLazada})
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := lazadaSellerGet(lz); status != http.StatusServiceUnavailable {
		t.Errorf("lazada during its 5xx fault: %d, want 503", status)
	}
	if !shopeeOK() {
		t.Error("shopee failed during a lazada-only fault")
	}
	sp.sim.ClearFault(id)

	// A refuse scoped to Lazada closes Lazada's connections, not the listener.
	if _, err := sp.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse, Platform: bridge.PlatformLazada}); err != nil {
		t.Fatal(err)
	}
	if status, body := lazadaSellerGet(lz); status != 0 {
		t.Errorf("lazada during its refuse fault: %d %s, want the connection closed", status, body)
	}
	if !shopeeOK() {
		t.Error("shopee failed during a lazada-only refuse fault")
	}
	sp.sim.ClearFaults()
	if status, _ := lazadaSellerGet(lz); status != http.StatusOK {
		t.Errorf("lazada after the fault: %d", status)
	}
	if _, err := sp.sim.SetFault(simulator.Fault{Kind: simulator.FaultHang, Platform: "ebay"}); err == nil {
		t.Error("a fault for an unknown platform was accepted")
	}
}

// The store config covers every dialect with shops, and the Lazada control
// endpoints answer.
func TestStoreConfigAndLazadaControl(t *testing.T) {
	sp, _ := mixedFixture(t)
	sim := sp.sim
	y := sim.StoreConfigYAML()
	for _, want := range []string{
		"partner_key: " + sim.PartnerKey(),
		"lazada:", "gateway_url: " + sim.URL() + "/rest", "app_secret: " + sim.LazadaConfig().AppSecret,
		"tiktok:", "service_id: " + `"` + sim.TikTok().ServiceID + `"`, "authorize_url: " + sim.URL() + "/open/authorize",
		"platform: lazada", "shop_id: \"5005\"", "platform: tiktok", "id: tiktok-th-7007",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("store config lacks %q:\n%s", want, y)
		}
	}
	ctl := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, sim.URL()+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	steps := []struct {
		method, path, body string
		status             int
		contains           string
	}{
		{"GET", "/_sim/lazada/config", "", 200, `"app_key":"` + sim.LazadaConfig().AppKey},
		{"POST", "/_sim/lazada/messages", `{"shop_id":"5005","buyer_id":"42","type":"text","text":"halo","translation":"hello"}`, 201, "halo"},
		{"POST", "/_sim/lazada/messages", `{"shop_id":"1001","buyer_id":"42","type":"text","text":"x"}`, 400, "no Lazada shop"},
		{"GET", "/_sim/lazada/push_stats", "", 200, `"sent":`},
		{"GET", "/_sim/lazada/polling?shop_id=5005", "", 200, `"list_calls":0`},
		{"POST", "/_sim/lazada/push_callback", `{"url":"http://127.0.0.1:1/push/lazada"}`, 204, ""},
		{"POST", "/_sim/lazada/restore_permission", "", 204, ""},
		{"GET", "/_sim/lazada/app.yaml", "", 200, "gateway_url: " + sim.URL() + "/rest"},
		{"POST", "/_sim/faults", `{"kind":"http_5xx","platform":"tiktok","for":"1s"}`, 201, ""},
		{"GET", "/_sim/faults", "", 200, `"platform":"tiktok"`},
		{"GET", "/_sim/", "", 200, "/_sim/lazada/push_stats"},
	}
	for _, s := range steps {
		status, body := ctl(s.method, s.path, s.body)
		if status != s.status || !strings.Contains(body, s.contains) {
			t.Errorf("%s %s: %d %s, want %d containing %q", s.method, s.path, status, body, s.status, s.contains)
		}
	}
}
