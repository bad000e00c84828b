package shopee

import (
	"net/http"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

func TestClassify(t *testing.T) {
	now := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC) // 23:00 UTC+8
	c := &Client{clock: bridgetest.NewClock(now), cfg: Config{RateLimitWait: 5 * time.Second}}
	ra := http.Header{"Retry-After": {"12"}}
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		kind   bridge.ErrorKind
		code   string
		wait   time.Duration
	}{
		{"success", 200, nil, `{"request_id":"r","error":"","response":{}}`, 0, "", 0},
		{"rate limit envelope", 200, nil, `{"error":"error_rate_limit","message":"Too many requests","request_id":"r"}`, bridge.KindRateLimited, "error_rate_limit", 5 * time.Second},
		{"rate limit with Retry-After", 429, ra, `{"error":"error_rate_limit"}`, bridge.KindRateLimited, "error_rate_limit", 12 * time.Second},
		{"daily limit waits for 00:00 UTC+8", 403, nil, `{"error":"error_limit"}`, bridge.KindRateLimited, "error_limit", time.Hour},
		{"server error", 500, nil, `{"error":"error_server","message":"System error"}`, bridge.KindTransient, "error_server", 0},
		{"system_busy (SDK only)", 200, nil, `{"error":"system_busy"}`, bridge.KindTransient, "system_busy", 0},
		{"invalid access token", 403, nil, `{"error":"error_auth","message":"Invalid access_token."}`, bridge.KindAuth, "error_auth", 0},
		{"Shopee's typo", 403, nil, `{"error":"invalid_acceess_token","message":"Invalid access_token."}`, bridge.KindAuth, "invalid_acceess_token", 0},
		{"no permission", 403, nil, `{"error":"error_auth","message":"No permission to current api."}`, bridge.KindPermanent, "error_auth", 0},
		{"system error under error_auth", 200, nil, `{"error":"error_auth","message":"System error, please try again later."}`, bridge.KindTransient, "error_auth", 0},
		{"banned shop needs the operator", 403, nil, `{"error":"shop_banned"}`, bridge.KindAuth, "shop_banned", 0},
		{"wrong sign", 403, nil, `{"error":"error_sign","message":"Wrong sign."}`, bridge.KindPermanent, "error_sign", 0},
		{"bad param", 400, nil, `{"error":"error_param","message":"There is no access_token in query."}`, bridge.KindPermanent, "error_param", 0},
		{"expired timestamp is retried re-signed", 400, nil, `{"error":"error_param","message":"Timestamp is expired."}`, bridge.KindTransient, "error_param", 0},
		{"unknown code with 5xx", 502, nil, `{"error":"error_brand_new"}`, bridge.KindTransient, "error_brand_new", 0},
		{"unknown code with 4xx", 400, nil, `{"error":"error_brand_new"}`, bridge.KindPermanent, "error_brand_new", 0},
		{"gateway 503 page", 503, nil, `<html>503</html>`, bridge.KindTransient, "http_503", 0},
		{"bare 429", 429, ra, `Too Many Requests`, bridge.KindRateLimited, "http_429", 12 * time.Second},
		{"bare 404", 404, nil, ``, bridge.KindPermanent, "http_404", 0},
		{"200 that is not JSON", 200, nil, `<html>proxy</html>`, bridge.KindTransient, "bad_response", 0},
		{"error envelope on 200 keeps request id", 200, nil, `{"error":"error_param","request_id":"abc"}`, bridge.KindPermanent, "error_param", 0},
	}
	for _, tc := range cases {
		pe := c.classify(tc.status, tc.header, []byte(tc.body))
		if tc.kind == 0 {
			if pe != nil {
				t.Errorf("%s: got %+v, want success", tc.name, pe)
			}
			continue
		}
		if pe == nil {
			t.Errorf("%s: got success, want %s", tc.name, tc.kind)
			continue
		}
		if pe.Kind != tc.kind || pe.Code != tc.code || pe.RetryAfter != tc.wait {
			t.Errorf("%s: got kind %s code %q wait %s, want %s %q %s", tc.name, pe.Kind, pe.Code, pe.RetryAfter, tc.kind, tc.code, tc.wait)
		}
	}
	if pe := c.classify(200, nil, []byte(`{"error":"error_param","request_id":"abc"}`)); pe.RequestID != "abc" {
		t.Errorf("request id lost: %+v", pe)
	}
}

func TestConfigValidate(t *testing.T) {
	var ok Config
	ok.PartnerID, ok.PartnerKey = 1, "k"
	ok.SetDefaults()
	if errs := ok.Validate(); len(errs) != 0 {
		t.Fatalf("defaults with credentials are invalid: %q", errs)
	}
	bad := ok
	bad.PartnerID, bad.PartnerKey = 0, "${SHOPEE_KEY}"
	bad.BaseURL = "partner.shopeemobile.com"
	bad.PushPath = "push"
	bad.PushCallbackURL = "/relative"
	bad.ConversationPageSize = 26
	bad.HTTP.Timeout = -1
	errs := bad.Validate()
	if len(errs) != 7 {
		t.Fatalf("got %d problems, want 7, one per field: %q", len(errs), errs)
	}
	for _, e := range errs {
		if len(e) < 8 || e[:7] != "shopee." {
			t.Errorf("problem %q does not name its field", e)
		}
	}
}
