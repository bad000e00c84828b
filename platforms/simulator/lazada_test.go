package simulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// lzFixture is a started simulator with one Lazada shop, called with
// hand-signed requests (independently of the client).
type lzFixture struct {
	t     *testing.T
	clock *bridgetest.Clock
	sim   *simulator.Simulator
	cfg   simulator.LazadaConfig
}

func newLazada(t *testing.T, cfg simulator.LazadaConfig) *lzFixture {
	clock := bridgetest.NewClock(start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 9})
	sim.ConfigureLazada(cfg)
	if err := sim.AddShop(simulator.Shop{ShopID: "5005", Site: "MY", Name: "LZ", Platform: bridge.PlatformLazada}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	return &lzFixture{t: t, clock: clock, sim: sim, cfg: sim.LazadaConfig()}
}

// call signs params for path (timestamp ts, ms) and returns the decoded body.
func (f *lzFixture) call(method, path string, params url.Values, ts time.Time, mutate func(url.Values)) map[string]any {
	f.t.Helper()
	q := url.Values{"app_key": {f.cfg.AppKey}, "sign_method": {"sha256"}, "timestamp": {strconv.FormatInt(ts.UnixMilli(), 10)}}
	for k, v := range params {
		q[k] = v
	}
	q.Set("sign", simulator.LazadaSign(f.cfg.AppSecret, path, q))
	if mutate != nil {
		mutate(q)
	}
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = http.Get(f.sim.URL() + "/rest" + path + "?" + q.Encode())
	} else {
		resp, err = http.PostForm(f.sim.URL()+"/rest"+path, q)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		f.t.Fatalf("%s: %s", path, b)
	}
	return out
}

func (f *lzFixture) token() string {
	tok, _ := f.sim.Tokens("5005")
	return tok.AccessToken
}

func TestLazadaVerifiesRequests(t *testing.T) {
	f := newLazada(t, simulator.LazadaConfig{})
	now := f.clock.Now()
	tok := url.Values{"access_token": {f.token()}}
	cases := []struct {
		name   string
		ts     time.Time
		params url.Values
		mutate func(url.Values)
		code   string
	}{
		{"signed right", now, tok, nil, "0"},
		{"lower-case sign", now, tok, func(q url.Values) { q.Set("sign", strings.ToLower(q.Get("sign"))) }, "0"},
		{"wrong sign", now, tok, func(q url.Values) { q.Set("sign", strings.Repeat("A", 64)) }, "IncompleteSignature"},
		{"a parameter changed after signing", now, tok, func(q url.Values) { q.Set("extra", "1") }, "IncompleteSignature"},
		{"another app", now, tok, func(q url.Values) { q.Set("app_key", "1") }, "InvalidAppKey"},
		{"7200 s old", now.Add(-7200 * time.Second), tok, nil, "0"},
		{"7201 s old", now.Add(-7201 * time.Second), tok, nil, "InvalidTimestamp"},
		{"7201 s ahead", now.Add(7201 * time.Second), tok, nil, "InvalidTimestamp"},
		{"no access token", now, nil, nil, "MissingParameter"},
		{"unknown access token", now, url.Values{"access_token": {"nope"}}, nil, "IllegalAccessToken"},
	}
	for _, c := range cases {
		got := f.call(http.MethodGet, "/seller/get", c.params, c.ts, c.mutate)
		if got["code"] != c.code {
			t.Errorf("%s: %v, want code %s", c.name, got, c.code)
		}
		if c.code != "0" && got["type"] != "ISV" {
			t.Errorf("%s: error without type ISV: %v", c.name, got)
		}
	}
	if err := f.sim.ExpireAccessToken("5005"); err != nil {
		t.Fatal(err)
	}
	if got := f.call(http.MethodGet, "/seller/get", tok, now, nil); got["code"] != "IllegalAccessToken" {
		t.Errorf("expired token: %v", got)
	}
}

func TestLazadaRefreshKeepsTheRefreshExpiry(t *testing.T) {
	f := newLazada(t, simulator.LazadaConfig{})
	first, _ := f.sim.Tokens("5005")
	f.clock.Advance(10 * 24 * time.Hour)
	got := f.call(http.MethodPost, "/auth/token/refresh", url.Values{"refresh_token": {first.RefreshToken}}, f.clock.Now(), nil)
	if got["code"] != "0" || got["access_token"] == first.AccessToken || got["refresh_token"] == first.RefreshToken {
		t.Fatalf("refresh: %v", got)
	}
	if exp := got["refresh_expires_in"].(float64); exp != float64(170*24*3600) {
		t.Errorf("refresh_expires_in %v, want what is left of 180 days (170)", exp)
	}
	if got["expires_in"].(float64) != float64(30*24*3600) || got["country_user_info_list"] == nil {
		t.Errorf("refresh body: %v", got)
	}
	after, _ := f.sim.Tokens("5005")
	if !after.RefreshExpiresAt.Equal(first.RefreshExpiresAt) || after.Refreshes != 1 {
		t.Errorf("tokens after refresh: %+v", after)
	}
	again := f.call(http.MethodPost, "/auth/token/refresh", url.Values{"refresh_token": {first.RefreshToken}}, f.clock.Now(), nil)
	if again["code"] != "IllegalRefreshToken" {
		t.Errorf("a spent refresh token: %v", again)
	}
	code, _ := f.sim.AuthorizationCode("5005")
	created := f.call(http.MethodPost, "/auth/token/create", url.Values{"code": {code}}, f.clock.Now(), nil)
	if created["code"] != "0" || created["refresh_expires_in"].(float64) != float64(180*24*3600) {
		t.Errorf("create: %v", created)
	}
	if users := created["country_user_info"].([]any); len(users) != 1 || users[0].(map[string]any)["seller_id"] != "5005" {
		t.Errorf("country_user_info %v", created["country_user_info"])
	}
}

// The lists page backwards from start_time with the last ID, at most 20 a
// page; the detector flags a client that polls them, and can reclaim the
// app's permission.
func TestLazadaListsPagingAndPollingDetector(t *testing.T) {
	f := newLazada(t, simulator.LazadaConfig{PollFlagPerHour: 5, RevokeWhenFlagged: true})
	for i := range 45 {
		if _, err := f.sim.BuyerSays("5005", strconv.Itoa(700+i), "hi"); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			f.clock.Advance(time.Millisecond) // ties on the same ms are ordered by ID
		}
	}
	tok := f.token()
	seen := map[string]bool{}
	start, last := strconv.FormatInt(f.clock.Now().UnixMilli(), 10), ""
	for page := 0; ; page++ {
		p := url.Values{"access_token": {tok}, "start_time": {start}, "page_size": {"20"}}
		if last != "" {
			p.Set("last_session_id", last)
		}
		got := f.call(http.MethodGet, "/im/session/list", p, f.clock.Now(), nil)
		data := got["data"].(map[string]any)
		for _, s := range data["session_list"].([]any) {
			id := s.(map[string]any)["session_id"].(string)
			if seen[id] {
				t.Fatalf("session %s listed twice", id)
			}
			seen[id] = true
		}
		if data["has_more"] != true {
			break
		}
		start, last = fmt.Sprint(int64(data["next_start_time"].(float64))), data["last_session_id"].(string)
	}
	if len(seen) != 45 {
		t.Errorf("paged through %d sessions, want 45", len(seen))
	}
	if got := f.call(http.MethodGet, "/im/session/list", url.Values{"access_token": {tok}, "start_time": {start}, "page_size": {"21"}}, f.clock.Now(), nil); got["code"] != "InvalidParameter" {
		t.Errorf("page_size 21: %v", got)
	}
	// 3 pages + the refused one = 4 calls; 2 more make 6 > 5 in the hour.
	for range 2 {
		f.call(http.MethodGet, "/im/session/list", url.Values{"access_token": {tok}, "start_time": {start}}, f.clock.Now(), nil)
	}
	if p := f.sim.LazadaPolling("5005"); p.ListCalls != 6 || p.WouldRevoke != 1 || p.MaxPerHour != 6 || !f.sim.LazadaPermissionRevoked() {
		t.Errorf("polling detector: %+v, revoked %v", p, f.sim.LazadaPermissionRevoked())
	}
	if got := f.call(http.MethodGet, "/im/session/get", url.Values{"access_token": {tok}, "session_id": {"x"}}, f.clock.Now(), nil); got["code"] != "InsufficientPermission" {
		t.Errorf("after the permission was reclaimed: %v", got)
	}
	if got := f.call(http.MethodGet, "/seller/get", url.Values{"access_token": {tok}}, f.clock.Now(), nil); got["code"] != "0" {
		t.Errorf("non-IM APIs still work: %v", got)
	}
	f.sim.RestoreLazadaPermission()
	f.clock.Advance(time.Hour)
	got := f.call(http.MethodGet, "/im/session/list", url.Values{"access_token": {tok}, "start_time": {start}}, f.clock.Now(), nil)
	if got["code"] != "0" || f.sim.LazadaPolling("5005").WouldRevoke != 1 {
		t.Errorf("an hour later: %v %+v", got, f.sim.LazadaPolling("5005"))
	}
}

// Every message is pushed, signed; a push not answered 200 is delivered
// again every PushRetryInterval, at most PushRetries times.
func TestLazadaPushesAndRedeliveries(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	answer := http.StatusServiceUnavailable
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != simulator.LazadaPushSignature(simulator.DefaultLazadaAppKey, simulator.DefaultLazadaAppSecret, b) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		bodies = append(bodies, m)
		w.WriteHeader(answer)
	}))
	t.Cleanup(srv.Close)
	f := newLazada(t, simulator.LazadaConfig{PushCallbackURL: srv.URL, PushRetryInterval: 10 * time.Minute, PushRetries: 2, PushTimeout: 5 * time.Second})
	m, _ := f.sim.BuyerSays("5005", "777", "hello")
	wait := func(what string, cond func(simulator.LazadaPushStats) bool) {
		t.Helper()
		bridgetest.Eventually(t, what, func() bool { return cond(f.sim.LazadaPushStats()) })
	}
	wait("first attempt", func(s simulator.LazadaPushStats) bool { return s.Failed == 1 && s.Waiting == 1 })
	f.clock.Advance(10 * time.Minute)
	wait("second attempt", func(s simulator.LazadaPushStats) bool { return s.Failed == 2 && s.Waiting == 1 })
	mu.Lock()
	answer = http.StatusOK
	mu.Unlock()
	f.clock.Advance(10 * time.Minute)
	wait("third attempt", func(s simulator.LazadaPushStats) bool {
		return s.Delivered == 1 && s.Redelivered == 2 && s.Waiting == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 3 {
		t.Fatalf("%d deliveries, want 3", len(bodies))
	}
	b := bodies[2]
	data := b["data"].(map[string]any)
	if b["seller_id"] != "5005" || b["message_type"].(float64) != 2 || data["message_id"] != m.ID || data["content"] != `{"txt":"hello"}` ||
		data["from_account_type"].(float64) != 1 || data["template_id"].(float64) != 1 || data["status"].(float64) != 0 {
		t.Errorf("push %v", b)
	}
}
