package lazada

import (
	"net/http"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

func TestClassify(t *testing.T) {
	c := &Client{clock: bridgetest.NewClock(time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)), cfg: Config{RateLimitWait: time.Second}}
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
		{"success", 200, nil, `{"code":"0","data":{},"request_id":"r"}`, 0, "", 0},
		{"IM success", 200, nil, `{"code":"0","data":{},"success":true,"err_code":"0","err_message":""}`, 0, "", 0},
		{"numeric code 0", 200, nil, `{"code":0,"data":{}}`, 0, "", 0},
		{"token body (no data)", 200, nil, `{"access_token":"a","code":"0"}`, 0, "", 0},
		{"IM business failure under code 0", 200, nil, `{"code":"0","success":false,"err_code":"-22","err_message":"only orders of the last 30 days"}`, bridge.KindPermanent, "-22", 0},
		{"success false without err_code", 200, nil, `{"code":"0","success":"false"}`, bridge.KindPermanent, "success_false", 0},
		{"expired access token: refresh", 200, nil, `{"type":"ISV","code":"IllegalAccessToken","message":"The specified access token is invalid or expired","request_id":"r"}`, bridge.KindAuth, "IllegalAccessToken", 0},
		{"refused refresh: re-authorize", 200, nil, `{"type":"ISV","code":"IllegalRefreshToken","message":"invalid"}`, bridge.KindAuth, "IllegalRefreshToken", 0},
		{"service-market app cannot refresh", 200, nil, `{"type":"ISV","code":"AUTH_TYPE_UNSUPPORTED"}`, bridge.KindAuth, "AUTH_TYPE_UNSUPPORTED", 0},
		{"bad code", 200, nil, `{"type":"ISV","code":"InvalidCode"}`, bridge.KindAuth, "InvalidCode", 0},
		{"ApiCallLimit: the ban it names", 200, nil, `{"type":"ISP","code":"ApiCallLimit","message":"Api access frequency exceeds the limit. this ban will last 3 seconds"}`, bridge.KindRateLimited, "ApiCallLimit", 3 * time.Second},
		{"ApiCallLimit without a ban", 200, nil, `{"type":"ISV","code":"ApiCallLimit","message":"slow down"}`, bridge.KindRateLimited, "ApiCallLimit", time.Second},
		{"ApiCallLimit with Retry-After", 429, ra, `{"code":"ApiCallLimit"}`, bridge.KindRateLimited, "ApiCallLimit", 12 * time.Second},
		{"wrong signature", 200, nil, `{"type":"ISV","code":"IncompleteSignature","message":"The request signature does not conform"}`, bridge.KindPermanent, "IncompleteSignature", 0},
		{"missing parameter", 200, nil, `{"type":"ISV","code":"MissingParameter"}`, bridge.KindPermanent, "MissingParameter", 0},
		{"timestamp drift is retried re-signed", 200, nil, `{"type":"ISV","code":"InvalidTimestamp"}`, bridge.KindTransient, "InvalidTimestamp", 0},
		{"ISP: retry later", 200, nil, `{"type":"ISP","code":"ServiceUnavailable"}`, bridge.KindTransient, "ServiceUnavailable", 0},
		{"SYSTEM: retry later", 200, nil, `{"type":"SYSTEM","code":"Unknown"}`, bridge.KindTransient, "Unknown", 0},
		{"other ISV: permanent", 200, nil, `{"type":"ISV","code":"InsufficientPermission"}`, bridge.KindPermanent, "InsufficientPermission", 0},
		{"no type, 5xx", 502, nil, `{"code":"Brand.New"}`, bridge.KindTransient, "Brand.New", 0},
		{"no type, 4xx", 400, nil, `{"code":"Brand.New"}`, bridge.KindPermanent, "Brand.New", 0},
		{"gateway 503 page", 503, nil, `<html>503</html>`, bridge.KindTransient, "http_503", 0},
		{"bare 429", 429, ra, `Too Many Requests`, bridge.KindRateLimited, "http_429", 12 * time.Second},
		{"bare 404", 404, nil, ``, bridge.KindPermanent, "http_404", 0},
		{"200 that is not JSON", 200, nil, `<html>proxy</html>`, bridge.KindTransient, "bad_response", 0},
		{"200 with a JSON array", 200, nil, `[1,2]`, bridge.KindTransient, "bad_response", 0},
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
}
