package lazada

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

func TestConfigValidate(t *testing.T) {
	var c Config
	c.SetDefaults()
	c.AppKey, c.AppSecret = "100123", "secret"
	if errs := c.Validate(); len(errs) != 0 {
		t.Fatalf("a minimal config: %v", errs)
	}
	bad := Config{AppSecret: "${LAZADA_APP_SECRET}", GatewayURL: "api.lazada.sg", Gateways: map[string]string{"TW": "https://x", "sg": "ftp://x"},
		PushPath: "push", PushDeadline: 600 * time.Millisecond, MaxListCallsPerHour: -2, PageSize: 50, TokenRefreshMargin: -time.Second, MaxTextLength: -1}
	bad.SetDefaults()
	errs := bad.Validate()
	for _, want := range []string{"lazada.app_key", "lazada.app_secret: contains an unresolved", "lazada.gateway_url", "lazada.gateways.TW: unknown site",
		"lazada.gateways.sg: \"ftp://x\"", "lazada.push_path", "lazada.push_deadline", "lazada.max_list_calls_per_hour", "lazada.page_size",
		"lazada.token_refresh_margin", "lazada.max_text_length"} {
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, want) }) {
			t.Errorf("no line for %q in:\n%s", want, strings.Join(errs, "\n"))
		}
	}
	for _, e := range errs {
		if !strings.HasPrefix(e, "lazada.") || strings.Contains(e, "\n") {
			t.Errorf("line %q", e)
		}
	}
}

func TestGatewayPerSite(t *testing.T) {
	c := Config{Gateways: map[string]string{"my": "https://sandbox.example/rest"}}
	for site, want := range map[string]string{
		"SG": "https://api.lazada.sg/rest", "sg": "https://api.lazada.sg/rest", "TH": "https://api.lazada.co.th/rest",
		"VN": "https://api.lazada.vn/rest", "PH": "https://api.lazada.com.ph/rest", "ID": "https://api.lazada.co.id/rest",
		"MY": "https://sandbox.example/rest", "TW": "",
	} {
		if got := c.gateway(site); got != want {
			t.Errorf("site %s: %q, want %q", site, got, want)
		}
	}
	c.GatewayURL = "http://127.0.0.1:9/rest"
	if got := c.gateway("TH"); got != c.GatewayURL {
		t.Errorf("gateway_url overrides every site: %q", got)
	}
}

func TestValidateStore(t *testing.T) {
	if errs := ValidateStore(bridge.Store{ID: "lz", ShopID: "100123", Site: "th"}); len(errs) != 0 {
		t.Errorf("valid store: %v", errs)
	}
	errs := ValidateStore(bridge.Store{ID: "lz", ShopID: "shop-1", Site: "TW"})
	if len(errs) != 2 || !strings.HasPrefix(errs[0], "stores.lz.shop_id") || !strings.HasPrefix(errs[1], "stores.lz.site") {
		t.Errorf("bad store: %v", errs)
	}
}
