package simulator_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

const ttShop = "7494049642642441621"

type ttFixture struct {
	t     *testing.T
	clock *bridgetest.Clock
	sim   *simulator.Simulator
	app   simulator.TikTokConfig
}

func newTTFixture(t *testing.T, cfg simulator.TikTokConfig) *ttFixture {
	t.Helper()
	clock := bridgetest.NewClock(start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 5})
	sim.ConfigureTikTok(cfg)
	if err := sim.AddShop(simulator.Shop{ShopID: ttShop, Site: "MY", Name: "TT Shop", Platform: bridge.PlatformTikTok}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	return &ttFixture{t: t, clock: clock, sim: sim, app: sim.TikTok()}
}

// ttSign is an independent implementation of the reference's signing.
func ttSign(secret, path string, q url.Values, body []byte) string {
	keys := []string{}
	for k := range q {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	s := secret + path
	for _, k := range keys {
		s += k + q.Get(k)
	}
	s += string(body) + secret
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

type ttReq struct {
	method, path string
	query        url.Values
	body         any
	token        *string // nil: the shop's current token
	cipher       *string // nil: the shop's cipher (shop APIs only)
	ts           *int64
	secret       string
	noSign       bool
}

type ttResp struct {
	status int
	code   int
	msg    string
	data   map[string]any
}

func (f *ttFixture) do(r ttReq) ttResp {
	f.t.Helper()
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	q.Set("app_key", f.app.AppKey)
	ts := f.clock.Now().Unix()
	if r.ts != nil {
		ts = *r.ts
	}
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	if strings.HasPrefix(r.path, "/customer_service/") {
		c := f.sim.TikTokShopCipher(ttShop)
		if r.cipher != nil {
			c = *r.cipher
		}
		if c != "" {
			q.Set("shop_cipher", c)
		}
	}
	var body []byte
	if r.body != nil {
		body, _ = json.Marshal(r.body)
	}
	secret := f.app.AppSecret
	if r.secret != "" {
		secret = r.secret
	}
	if !r.noSign {
		q.Set("sign", ttSign(secret, r.path, q, body))
	}
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	req, _ := http.NewRequest(method, f.sim.URL()+r.path+"?"+q.Encode(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	tok, _ := f.sim.Tokens(ttShop)
	token := tok.AccessToken
	if r.token != nil {
		token = *r.token
	}
	if token != "" {
		req.Header.Set("x-tts-access-token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Code    int            `json:"code"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		f.t.Fatalf("%s %s: not JSON: %q", method, r.path, raw)
	}
	return ttResp{status: resp.StatusCode, code: env.Code, msg: env.Message, data: env.Data}
}

func ptr[T any](v T) *T { return &v }

func TestTikTokSignatureWindowTokenAndCipher(t *testing.T) {
	f := newTTFixture(t, simulator.TikTokConfig{})
	if _, err := f.sim.BuyerSays(ttShop, "555", "hello"); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now().Unix()
	shops := f.do(ttReq{path: "/authorization/202309/shops"})
	list, _ := shops.data["shops"].([]any)
	if shops.code != 0 || len(list) != 1 || list[0].(map[string]any)["cipher"] != f.sim.TikTokShopCipher(ttShop) {
		t.Fatalf("authorized shops: %+v", shops)
	}
	convs := "/customer_service/202309/conversations"
	pq := url.Values{"page_size": {"20"}}
	for _, c := range []struct {
		name string
		r    ttReq
		code int
	}{
		{"signed", ttReq{path: convs, query: pq}, 0},
		{"29s ahead is inside the window", ttReq{path: convs, query: pq, ts: ptr(now + 29)}, 0},
		{"4m59s old is inside the window", ttReq{path: convs, query: pq, ts: ptr(now - 299)}, 0},
		{"wrong secret", ttReq{path: convs, query: pq, secret: "wrong"}, 106001},
		{"no sign", ttReq{path: convs, query: pq, noSign: true}, 36009004},
		{"6 minutes old", ttReq{path: convs, query: pq, ts: ptr(now - 360)}, 36009004},
		{"31s ahead", ttReq{path: convs, query: pq, ts: ptr(now + 31)}, 36009004},
		{"no access token", ttReq{path: convs, query: pq, token: ptr("")}, 36009004},
		{"unknown access token", ttReq{path: convs, query: pq, token: ptr("TTP_nope")}, 36009004},
		{"no shop_cipher", ttReq{path: convs, query: pq, cipher: ptr("")}, 106013},
		{"another shop_cipher", ttReq{path: convs, query: pq, cipher: ptr("ROW_other")}, 101000},
		{"page_size above 20", ttReq{path: convs, query: url.Values{"page_size": {"21"}}}, 45101001},
		{"no page_size", ttReq{path: convs}, 45101001},
		{"unknown path", ttReq{path: "/customer_service/202309/nothing"}, 36009009},
	} {
		if got := f.do(c.r); got.code != c.code {
			t.Errorf("%s: code %d (%s), want %d", c.name, got.code, got.msg, c.code)
		}
	}
	if err := f.sim.ExpireAccessToken(ttShop); err != nil {
		t.Fatal(err)
	}
	if got := f.do(ttReq{path: convs, query: pq}); got.code != 105002 {
		t.Errorf("expired token: code %d, want 105002", got.code)
	}
}

func TestTikTokTokensHaveAbsoluteExpiries(t *testing.T) {
	f := newTTFixture(t, simulator.TikTokConfig{})
	code, err := f.sim.AuthorizationCode(ttShop)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, q url.Values) ttResp {
		q.Set("app_key", f.app.AppKey)
		if q.Get("app_secret") == "" {
			q.Set("app_secret", f.app.AppSecret)
		}
		resp, err := http.Get(f.sim.URL() + path + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct {
			Code int            `json:"code"`
			Data map[string]any `json:"data"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&env)
		return ttResp{status: resp.StatusCode, code: env.Code, data: env.Data}
	}
	if r := get("/api/v2/token/get", url.Values{"auth_code": {code}, "grant_type": {"authorized_code"}, "app_secret": {"wrong"}}); r.code == 0 {
		t.Fatal("a wrong app_secret got tokens")
	}
	r := get("/api/v2/token/get", url.Values{"auth_code": {code}, "grant_type": {"authorized_code"}})
	if r.code != 0 {
		t.Fatalf("token/get: %+v", r)
	}
	exp, _ := r.data["access_token_expire_in"].(float64)
	if want := f.clock.Now().Add(7 * 24 * time.Hour).Unix(); int64(exp) != want {
		t.Errorf("access_token_expire_in %d, want the absolute timestamp %d", int64(exp), want)
	}
	if r := get("/api/v2/token/get", url.Values{"auth_code": {code}, "grant_type": {"authorized_code"}}); r.code == 0 {
		t.Error("an auth_code was accepted twice")
	}
	rt, _ := r.data["refresh_token"].(string)
	f.clock.Advance(time.Hour)
	r2 := get("/api/v2/token/refresh", url.Values{"refresh_token": {rt}, "grant_type": {"refresh_token"}})
	if r2.code != 0 || r2.data["refresh_token"] == rt {
		t.Fatalf("refresh: %+v", r2)
	}
	if exp2, _ := r2.data["access_token_expire_in"].(float64); int64(exp2) != f.clock.Now().Add(7*24*time.Hour).Unix() {
		t.Errorf("refreshed access_token_expire_in %d is not absolute", int64(exp2))
	}
	if r := get("/api/v2/token/refresh", url.Values{"refresh_token": {rt}, "grant_type": {"refresh_token"}}); r.code == 0 {
		t.Error("a spent refresh token was accepted")
	}
}

func TestTikTokPagingAndVisibility(t *testing.T) {
	f := newTTFixture(t, simulator.TikTokConfig{})
	for i := range 45 {
		if _, err := f.sim.BuyerSays(ttShop, strconv.Itoa(1000+i), "hi"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
	}
	var sizes []int
	token := ""
	seen := map[string]bool{}
	for {
		q := url.Values{"page_size": {"20"}}
		if token != "" {
			q.Set("page_token", token)
		}
		r := f.do(ttReq{path: "/customer_service/202309/conversations", query: q})
		list, _ := r.data["conversations"].([]any)
		sizes = append(sizes, len(list))
		for _, c := range list {
			seen[c.(map[string]any)["id"].(string)] = true
		}
		token, _ = r.data["next_page_token"].(string)
		if token == "" {
			break
		}
	}
	if len(sizes) != 3 || sizes[0] != 20 || sizes[2] != 5 || len(seen) != 45 {
		t.Fatalf("pages %v, %d distinct conversations; want 20/20/5 and 45", sizes, len(seen))
	}
	// One conversation with 25 messages, 5 of them invisible.
	for i := range 25 {
		var err error
		if i%5 == 4 {
			_, err = f.sim.AddTikTokMessage(ttShop, "77", simulator.FromSystem, "NOTIFICATION", map[string]any{"content": "rate us"}, false)
		} else {
			_, err = f.sim.BuyerSays(ttShop, "77", "m"+strconv.Itoa(i))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	conv := ""
	for _, c := range f.sim.Conversations(ttShop) {
		if c.BuyerID == "77" {
			conv = c.ID
		}
	}
	var msgs []map[string]any
	token = ""
	for {
		q := url.Values{"page_size": {"10"}, "sort_order": {"DESC"}, "sort_field": {"index"}}
		if token != "" {
			q.Set("page_token", token)
		}
		r := f.do(ttReq{path: "/customer_service/202309/conversations/" + conv + "/messages", query: q})
		list, _ := r.data["messages"].([]any)
		if len(list) > 10 {
			t.Fatalf("a message page of %d", len(list))
		}
		for _, m := range list {
			msgs = append(msgs, m.(map[string]any))
		}
		token, _ = r.data["next_page_token"].(string)
		if token == "" {
			break
		}
	}
	invisible := 0
	for i, m := range msgs {
		if m["is_visible"] == false {
			invisible++
			if m["type"] != "NOTIFICATION" || m["sender"].(map[string]any)["role"] != "SYSTEM" {
				t.Errorf("invisible message %+v", m)
			}
		}
		if _, ok := m["content"].(string); !ok {
			t.Errorf("content is not a JSON string: %+v", m)
		}
		if i > 0 {
			a, _ := strconv.ParseInt(msgs[i-1]["index"].(string), 10, 64)
			b, _ := strconv.ParseInt(m["index"].(string), 10, 64)
			if a <= b {
				t.Errorf("DESC by index: %d then %d", a, b)
			}
		}
	}
	if len(msgs) != 25 || invisible != 5 {
		t.Errorf("%d messages, %d invisible; want 25 and 5", len(msgs), invisible)
	}
	if r := f.do(ttReq{path: "/customer_service/202309/conversations/" + conv + "/messages", query: url.Values{"page_size": {"11"}}}); r.code != 45101001 {
		t.Errorf("message page_size 11: code %d", r.code)
	}
}

func TestTikTokDailyQuota(t *testing.T) {
	f := newTTFixture(t, simulator.TikTokConfig{DailyQuota: 3})
	q := url.Values{"page_size": {"20"}}
	for i := range 3 {
		if r := f.do(ttReq{path: "/customer_service/202309/conversations", query: q}); r.code != 0 {
			t.Fatalf("call %d: code %d", i+1, r.code)
		}
	}
	if r := f.do(ttReq{path: "/authorization/202309/shops"}); r.code != 0 {
		t.Fatalf("Get Authorized Shops is not a customer-service call: code %d", r.code)
	}
	if r := f.do(ttReq{path: "/customer_service/202309/conversations", query: q}); r.code != 45101004 {
		t.Fatalf("4th call: code %d, want 45101004", r.code)
	}
	if n := f.sim.TikTokQuotaUsed(ttShop); n != 3 {
		t.Errorf("used %d, want 3 (refused calls do not count)", n)
	}
	f.clock.Set(time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)) // 00:00 UTC
	if r := f.do(ttReq{path: "/customer_service/202309/conversations", query: q}); r.code != 0 {
		t.Errorf("after the reset: code %d", r.code)
	}
}

func TestTikTokSendRules(t *testing.T) {
	f := newTTFixture(t, simulator.TikTokConfig{SensitiveWords: []string{"forbidden"}})
	m, err := f.sim.BuyerSays(ttShop, "555", "hello")
	if err != nil {
		t.Fatal(err)
	}
	path := "/customer_service/202309/conversations/" + m.ConversationID + "/messages"
	text := func(s string) map[string]string {
		c, _ := json.Marshal(map[string]string{"content": s})
		return map[string]string{"type": "TEXT", "content": string(c)}
	}
	r := f.do(ttReq{method: http.MethodPost, path: path, body: text("It ships today")})
	if r.code != 0 || r.data["message_id"] == "" {
		t.Fatalf("send: %+v", r)
	}
	last := f.sim.Messages(ttShop)[1]
	if last.From != simulator.FromSellerAPI || last.Text != "It ships today" || last.ID != r.data["message_id"] {
		t.Errorf("stored %+v", last)
	}
	if r := f.do(ttReq{method: http.MethodPost, path: path, body: text(strings.Repeat("a", 2001))}); r.code != 45101001 {
		t.Errorf("2,001 characters: code %d, want 45101001", r.code)
	}
	if r := f.do(ttReq{method: http.MethodPost, path: path, body: text(strings.Repeat("é", 2000))}); r.code != 0 {
		t.Errorf("2,000 characters: code %d, want 0", r.code)
	}
	if r := f.do(ttReq{method: http.MethodPost, path: path, body: text("a Forbidden word")}); r.code != 45101006 {
		t.Errorf("sensitive: code %d", r.code)
	}
	f.sim.SetTikTokCanSend(m.ConversationID, false)
	if r := f.do(ttReq{method: http.MethodPost, path: path, body: text("hi")}); r.code != 45109001 {
		t.Errorf("can_send_message false: code %d", r.code)
	}
	convs := f.do(ttReq{path: "/customer_service/202309/conversations", query: url.Values{"page_size": {"20"}}})
	if c := convs.data["conversations"].([]any)[0].(map[string]any); c["can_send_message"] != false {
		t.Errorf("listed can_send_message %v", c["can_send_message"])
	}
	if r := f.do(ttReq{method: http.MethodPost, path: path + "/read", body: map[string]any{}}); r.code != 0 {
		t.Errorf("read: %+v", r)
	}
}

func TestTikTokWebhooksSignedAndRetried(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	fails := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		want := simulator.TikTokWebhookSignature(simulator.DefaultTikTokAppKey, simulator.DefaultTikTokAppSecret, body)
		if r.Header.Get("Authorization") != want {
			t.Errorf("webhook signature %q, want %q", r.Header.Get("Authorization"), want)
		}
		var wh map[string]any
		_ = json.Unmarshal(body, &wh)
		if wh["type"].(float64) == 14 && fails > 0 {
			fails--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		got = append(got, wh)
	}))
	defer srv.Close()
	f := newTTFixture(t, simulator.TikTokConfig{WebhookURL: srv.URL})
	if _, err := f.sim.BuyerSays(ttShop, "555", "hello"); err != nil {
		t.Fatal(err)
	}
	waitWebhooks := func(what string, cond func([]simulator.TikTokWebhook) bool) {
		t.Helper()
		bridgetest.Eventually(t, what, func() bool { return cond(f.sim.TikTokWebhooks()) }, f.sim.TikTokWebhooksChanged)
	}
	waitWebhooks("the first attempts", func(ws []simulator.TikTokWebhook) bool {
		return len(ws) == 2 && ws[0].Delivered && ws[1].Attempts == 1
	})
	if ws := f.sim.TikTokWebhooks(); ws[0].Type != 13 || ws[1].Type != 14 || ws[1].Delivered {
		t.Fatalf("webhooks %+v, want type 13 delivered then type 14 failed", ws)
	}
	f.clock.BlockUntil(context.Background(), 1)
	f.clock.Advance(2 * time.Minute)
	waitWebhooks("the first retry", func(ws []simulator.TikTokWebhook) bool { return ws[1].Attempts == 2 })
	f.clock.BlockUntil(context.Background(), 1)
	f.clock.Advance(29 * time.Minute)
	if ws := f.sim.TikTokWebhooks(); ws[1].Attempts != 2 {
		t.Fatalf("retried before 30 minutes: %+v", ws[1])
	}
	f.clock.Advance(time.Minute)
	waitWebhooks("the second retry delivers", func(ws []simulator.TikTokWebhook) bool { return ws[1].Delivered && ws[1].Attempts == 3 })
	// The shop's own messages and invisible ones are pushed too.
	if _, err := f.sim.AddTikTokMessage(ttShop, "555", simulator.FromSystem, "NOTIFICATION", nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.SellerCentreSays(ttShop, "555", "from seller center"); err != nil {
		t.Fatal(err)
	}
	waitWebhooks("all delivered", func(ws []simulator.TikTokWebhook) bool {
		return len(ws) == 4 && ws[2].Delivered && ws[3].Delivered
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("received %d webhooks", len(got))
	}
	data := got[1]["data"].(map[string]any)
	if got[1]["shop_id"] != ttShop || data["type"] != "TEXT" || data["content"] != `{"content":"hello"}` || data["is_visible"] != true ||
		data["sender"].(map[string]any)["role"] != "BUYER" {
		t.Errorf("type 14 body %+v", got[1])
	}
	if d := got[2]["data"].(map[string]any); d["is_visible"] != false || d["sender"].(map[string]any)["role"] != "SYSTEM" {
		t.Errorf("invisible system message webhook %+v", d)
	}
	if d := got[3]["data"].(map[string]any); d["sender"].(map[string]any)["role"] != "CUSTOMER_SERVICE" {
		t.Errorf("seller's own message webhook %+v", d)
	}
}

func TestTikTokWebhookGivenUpAfterTheSchedule(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer srv.Close()
	f := newTTFixture(t, simulator.TikTokConfig{WebhookURL: srv.URL, WebhookRetryWaits: []time.Duration{time.Second, 2 * time.Second}})
	if _, err := f.sim.BuyerSays(ttShop, "555", "hello"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for f.clock.BlockUntil(ctx, 1) == nil {
			if d, ok := f.clock.NextTimer(); ok {
				f.clock.Advance(d)
			}
		}
	}()
	bridgetest.Eventually(t, "both webhooks given up", func() bool {
		ws := f.sim.TikTokWebhooks()
		return len(ws) == 2 && ws[0].GivenUp && ws[1].GivenUp
	}, f.sim.TikTokWebhooksChanged)
	for _, w := range f.sim.TikTokWebhooks() {
		if w.Attempts != 3 {
			t.Errorf("webhook %d: %d attempts, want 3 (1 + 2 retries)", w.Type, w.Attempts)
		}
	}
}
