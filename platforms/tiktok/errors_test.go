package tiktok

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

func newTestClient(t *testing.T, clock bridge.Clock) *Client {
	t.Helper()
	c, err := New(Config{AppKey: "k", AppSecret: "s"}, Deps{Tokens: memTokens{}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type memTokens struct{}

func (memTokens) LoadTokens(_ context.Context, _ bridge.StoreID) (bridge.Tokens, error) {
	return bridge.Tokens{}, bridge.ErrNotFound
}
func (memTokens) SaveTokens(_ context.Context, _ bridge.StoreID, _ bridge.Tokens) error { return nil }

// TestErrorClassification is the classification table: what each TikTok
// answer means for the engine.
func TestErrorClassification(t *testing.T) {
	now := time.Date(2025, 6, 2, 21, 30, 0, 0, time.UTC)
	c := newTestClient(t, bridgetest.NewClock(now))
	untilMidnightUTC := 2*time.Hour + 30*time.Minute
	cases := []struct {
		name   string
		op     string
		status int
		header http.Header
		body   string
		kind   bridge.ErrorKind
		after  time.Duration // RetryAfter, for rate limits
		reason string        // part of the message
	}{
		{"105002 expired token: refresh then retry once", "", 200, nil, `{"code":105002,"message":"Expired credentials."}`, bridge.KindAuth, 0, "Expired"},
		{"36009002 too many requests with HTTP 429", "", 429, http.Header{"Retry-After": {"3"}}, `{"code":36009002,"message":"Too many requests."}`, bridge.KindRateLimited, 3 * time.Second, ""},
		{"36009002 without Retry-After: rate_limit_wait", "", 429, nil, `{"code":36009002,"message":"Too many requests."}`, bridge.KindRateLimited, DefaultRateLimitWait, ""},
		{"bare HTTP 429", "", 429, http.Header{"Retry-After": {"7"}}, `Too Many Requests`, bridge.KindRateLimited, 7 * time.Second, ""},
		{"45101004 daily quota: until 00:00 UTC", "", 200, nil, `{"code":45101004,"message":"The query quota has been reached (10000 request per day). Please try again tomorrow."}`, bridge.KindRateLimited, untilMidnightUTC, "daily customer-service quota"},
		{"45111012 coupon card QPS", "", 200, nil, `{"code":45111012,"message":"QPS limit 0.5"}`, bridge.KindRateLimited, 2 * time.Second, ""},
		{"45109001 conversation rules: permanent with the reason", "send message", 200, nil, `{"code":45109001,"message":"Unable to send messages due to conversation rules."}`, bridge.KindPermanent, 0, "conversation rules"},
		{"45101006 sensitive content", "send message", 200, nil, `{"code":45101006,"message":"You cannot send the message containing sensitive content."}`, bridge.KindPermanent, 0, "rephrase"},
		{"45102007 no permission", "", 200, nil, `{"code":45102007,"message":"No permission to access this conversation."}`, bridge.KindPermanent, 0, "no permission"},
		{"45101001 internal error on a read", "list messages", 200, nil, `{"code":45101001,"message":"Internal error. Please try again later."}`, bridge.KindTransient, 0, ""},
		{"45101001 invalid parameter on send", "send message", 200, nil, `{"code":45101001,"message":"Invalid parameter. Please check the parameters."}`, bridge.KindPermanent, 0, "Invalid parameter"},
		{"36009003 internal error", "", 200, nil, `{"code":36009003,"message":"Internal error. Please try again."}`, bridge.KindTransient, 0, ""},
		{"36009007 request timeout", "", 200, nil, `{"code":36009007,"message":"Request timeout."}`, bridge.KindTransient, 0, ""},
		{"HTTP 503 overload", "", 503, nil, `<html>503</html>`, bridge.KindTransient, 0, ""},
		{"HTTP 503 with an unknown code", "", 503, nil, `{"code":99999999,"message":"busy"}`, bridge.KindTransient, 0, ""},
		{"105005 missing scope: auth (authorize again)", "", 200, nil, `{"code":105005,"message":"Access denied."}`, bridge.KindAuth, 0, "seller.customer_service"},
		{"101000 token/shop mismatch: auth (after a cipher refetch)", "", 200, nil, `{"code":101000,"message":"Invalid query or header."}`, bridge.KindAuth, 0, "authorize the store again"},
		{"106001 invalid sign: permanent (check app_secret)", "", 200, nil, `{"code":106001,"message":"Invalid credentials. The sign query parameter is invalid."}`, bridge.KindPermanent, 0, "app_secret"},
		{"36009004 invalid x-tts-access-token: auth", "", 200, nil, `{"code":36009004,"message":"Invalid credentials. The x-tts-access-token header is invalid."}`, bridge.KindAuth, 0, ""},
		{"36009004 invalid app_key: permanent", "", 200, nil, `{"code":36009004,"message":"Invalid credentials. Invalid app_key query parameter."}`, bridge.KindPermanent, 0, "app_key"},
		{"36009004 timestamp out of window: transient (re-signed retry)", "", 200, nil, `{"code":36009004,"message":"Invalid timestamp. The value of the timestamp query parameter must not be earlier than 5 minutes before the current time."}`, bridge.KindTransient, 0, ""},
		{"106013 shop_cipher missing: permanent (after a refetch)", "", 200, nil, `{"code":106013,"message":"Missing identifier."}`, bridge.KindPermanent, 0, "shop_cipher"},
		{"36009033 IP not allow-listed", "", 200, nil, `{"code":36009033,"message":"Access denied."}`, bridge.KindPermanent, 0, "allow list"},
		{"unknown code with HTTP 200: permanent", "", 200, nil, `{"code":12345678,"message":"something"}`, bridge.KindPermanent, 0, "something"},
		{"2xx that is not an envelope: transient", "", 200, nil, `<html>proxy</html>`, bridge.KindTransient, 0, ""},
		{"HTTP 404 page: permanent", "", 404, nil, `not found`, bridge.KindPermanent, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pe := c.classify(tc.op)(tc.status, tc.header, []byte(tc.body))
			if pe == nil {
				t.Fatal("no error")
			}
			if pe.Kind != tc.kind {
				t.Errorf("kind %s, want %s (%v)", pe.Kind, tc.kind, pe)
			}
			if tc.kind == bridge.KindRateLimited && pe.RetryAfter != tc.after {
				t.Errorf("RetryAfter %s, want %s", pe.RetryAfter, tc.after)
			}
			if !strings.Contains(pe.Message, tc.reason) {
				t.Errorf("message %q does not say %q", pe.Message, tc.reason)
			}
		})
	}
	if pe := c.classify("")(200, nil, []byte(`{"code":0,"message":"Success","data":{}}`)); pe != nil {
		t.Errorf("code 0 classified as %v", pe)
	}
}

func TestQuotaResetOffset(t *testing.T) {
	now := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC) // 23:00 at UTC+8
	for _, c := range []struct {
		offset time.Duration
		want   time.Time
	}{
		{0, time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)},
		{8 * time.Hour, time.Date(2025, 6, 2, 16, 0, 0, 0, time.UTC)},
		{-7 * time.Hour, time.Date(2025, 6, 3, 7, 0, 0, 0, time.UTC)},
	} {
		if got := quotaReset(now, c.offset); !got.Equal(c.want) {
			t.Errorf("offset %s: reset %s, want %s", c.offset, got.UTC(), c.want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	var c Config
	c.SetDefaults()
	errs := c.Validate()
	joined := strings.Join(errs, "\n")
	for _, want := range []string{"tiktok.app_key", "tiktok.app_secret"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %s in\n%s", want, joined)
		}
	}
	c = Config{AppKey: "k", AppSecret: "${SECRET}", PollInterval: 10 * time.Second, ConversationPageSize: 21, MessagePageSize: 11,
		MaxTextLength: 2500, WebhookPath: "hook", WebhookDeadline: 3 * time.Second, QuotaResetUTCOffset: 15 * time.Hour}
	c.SetDefaults()
	errs = c.Validate()
	if len(errs) != 8 {
		t.Errorf("%d problems, want 8 (one line each):\n%s", len(errs), strings.Join(errs, "\n"))
	}
	for _, e := range errs {
		if !strings.HasPrefix(e, "tiktok.") || strings.Contains(e, "\n") {
			t.Errorf("bad line %q", e)
		}
	}
	c = Config{AppKey: "k", AppSecret: "s", PollInterval: 30 * time.Second, DailyQuota: 1000}
	c.SetDefaults()
	if errs := c.Validate(); len(errs) != 1 || !strings.Contains(errs[0], fmt.Sprint(2880)) {
		t.Errorf("a 30s poll with a 1,000-call quota: %v, want one line with the 2880 idle calls", errs)
	}
	c = Config{AppKey: "k", AppSecret: "s"}
	c.SetDefaults()
	if errs := c.Validate(); len(errs) != 0 {
		t.Errorf("defaults invalid: %v", errs)
	}
	if c.PollInterval != 5*time.Minute || c.ConversationPageSize != 20 || c.MessagePageSize != 10 || c.MaxTextLength != 2000 {
		t.Errorf("defaults %+v", c)
	}
}
