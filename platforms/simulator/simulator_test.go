package simulator_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

var start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	clock *bridgetest.Clock
	sim   *simulator.Simulator
}

func newFixture(t *testing.T, shops ...simulator.Shop) *fixture {
	t.Helper()
	clock := bridgetest.NewClock(start)
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 11})
	if len(shops) == 0 {
		shops = []simulator.Shop{{ShopID: "1001", Site: "MY", Name: "Main"}}
	}
	for _, s := range shops {
		if err := sim.AddShop(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	return &fixture{t: t, clock: clock, sim: sim}
}

// sign is an independent implementation of the reference's signing.
func sign(key, base string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(base))
	return hex.EncodeToString(m.Sum(nil))
}

type call struct {
	path  string
	shop  string // "" for a public API
	token string // defaults to the shop's current access token
	ts    int64  // defaults to the clock
	key   string // defaults to the partner key
	query url.Values
	body  any
}

type reply struct {
	status int
	raw    string
	env    map[string]any
}

func (e reply) code() string { s, _ := e.env["error"].(string); return s }
func (e reply) msg() string  { s, _ := e.env["message"].(string); return s }
func (e reply) resp() map[string]any {
	m, _ := e.env["response"].(map[string]any)
	return m
}

func (f *fixture) do(c call) reply {
	f.t.Helper()
	ts := c.ts
	if ts == 0 {
		ts = f.clock.Now().Unix()
	}
	key := c.key
	if key == "" {
		key = f.sim.PartnerKey()
	}
	q := url.Values{}
	for k, v := range c.query {
		q[k] = v
	}
	pid := strconv.FormatInt(f.sim.PartnerID(), 10)
	q.Set("partner_id", pid)
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	base := pid + c.path + strconv.FormatInt(ts, 10)
	if c.shop != "" {
		token := c.token
		if token == "" {
			tok, _ := f.sim.Tokens(c.shop)
			token = tok.AccessToken
		}
		if token != "-" {
			q.Set("access_token", token)
			base += token
		}
		q.Set("shop_id", c.shop)
		base += c.shop
	}
	q.Set("sign", sign(key, base))
	method, rbody := http.MethodGet, io.Reader(nil)
	if c.body != nil {
		b, _ := json.Marshal(c.body)
		method, rbody = http.MethodPost, bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.sim.URL()+c.path+"?"+q.Encode(), rbody)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s: %v", c.path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw)}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&r.env)
	return r
}

const listPath = "/api/v2/sellerchat/get_conversation_list"

func TestSignatureTimestampAndTokens(t *testing.T) {
	f := newFixture(t)
	q := url.Values{"direction": {"older"}, "type": {"all"}}
	now := f.clock.Now().Unix()
	cases := []struct {
		name  string
		c     call
		code  string
		msg   string
		setup func()
	}{
		{"valid", call{path: listPath, shop: "1001", query: q}, "", "", nil},
		{"4 minutes old", call{path: listPath, shop: "1001", query: q, ts: now - 240}, "", "", nil},
		{"wrong key", call{path: listPath, shop: "1001", query: q, key: "nope"}, "error_sign", "Wrong sign.", nil},
		{"6 minutes old", call{path: listPath, shop: "1001", query: q, ts: now - 360}, "error_param", "Timestamp is expired.", nil},
		{"6 minutes ahead", call{path: listPath, shop: "1001", query: q, ts: now + 360}, "error_param", "Timestamp is expired.", nil},
		{"no access token", call{path: listPath, shop: "1001", query: q, token: "-"}, "error_param", "There is no access_token in query.", nil},
		{"unknown token", call{path: listPath, shop: "1001", query: q, token: "feedface"}, "error_auth", "Invalid access_token.", nil},
		{"expired token", call{path: listPath, shop: "1001", query: q}, "invalid_acceess_token", "Invalid access_token.",
			func() { f.sim.ExpireAccessToken("1001") }},
		{"revoked token", call{path: listPath, shop: "1001", query: q}, "error_auth", "Invalid access_token.",
			func() { f.sim.RevokeTokens("1001") }},
	}
	for _, c := range cases {
		if c.setup != nil {
			c.setup()
		}
		r := f.do(c.c)
		if r.code() != c.code || (c.msg != "" && r.msg() != c.msg) {
			t.Errorf("%s: got %d %q %q, want %q %q", c.name, r.status, r.code(), r.msg(), c.code, c.msg)
		}
		if _, ok := r.env["request_id"]; !ok {
			t.Errorf("%s: no request_id in %s", c.name, r.raw)
		}
	}
}

func conversationIDs(r reply) []string {
	var out []string
	list, _ := r.resp()["conversations"].([]any)
	for _, c := range list {
		out = append(out, c.(map[string]any)["conversation_id"].(string))
	}
	return out
}

func TestConversationListOrderingAndPaging(t *testing.T) {
	f := newFixture(t)
	var convs []string
	for i := range 3 {
		m, err := f.sim.BuyerSays("1001", strconv.Itoa(700+i), "hi")
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, m.ConversationID)
		f.clock.Advance(time.Second)
	}
	older := f.do(call{path: listPath, shop: "1001", query: url.Values{"direction": {"older"}, "page_size": {"2"}}})
	if got := conversationIDs(older); strings.Join(got, ",") != convs[2]+","+convs[1] {
		t.Errorf("older without cursor: got %v, want the newest two, newest first", got)
	}
	pr := older.resp()["page_result"].(map[string]any)
	next := pr["next_cursor"].(map[string]any)["next_message_time_nano"].(string)
	if pr["more"] != true || len(next) != 19 {
		t.Errorf("page_result %v: want more and a 19-digit nanosecond cursor", pr)
	}
	rest := f.do(call{path: listPath, shop: "1001", query: url.Values{"direction": {"older"}, "page_size": {"2"}, "next_timestamp_nano": {next}}})
	if got := conversationIDs(rest); len(got) != 1 || got[0] != convs[0] || rest.resp()["page_result"].(map[string]any)["more"] != false {
		t.Errorf("older with cursor: got %v, want only the oldest and no more", got)
	}
	latest := f.do(call{path: listPath, shop: "1001", query: url.Values{"direction": {"latest"}}})
	if got := conversationIDs(latest); strings.Join(got, ",") != strings.Join(convs, ",") {
		t.Errorf("latest without cursor: got %v, want oldest first %v", got, convs)
	}
	big := f.do(call{path: listPath, shop: "1001", query: url.Values{"direction": {"older"}, "page_size": {"26"}}})
	if got := conversationIDs(big); big.code() != "" || len(got) != 0 {
		t.Errorf("page_size 26: got %v (%s), want an empty list", got, big.code())
	}
	conv := older.resp()["conversations"].([]any)[0].(map[string]any)
	if ts := conv["last_message_timestamp"].(json.Number).String(); len(ts) != 19 {
		t.Errorf("last_message_timestamp %s is not in nanoseconds", ts)
	}
}

func TestSendMessageShapes(t *testing.T) {
	f := newFixture(t, simulator.Shop{ShopID: "1001", Site: "MY", Name: "Main"}, simulator.Shop{ShopID: "1002", Site: "TW", Name: "Taipei"})
	m, _ := f.sim.BuyerSays("1001", "555", "hi")
	r := f.do(call{path: "/api/v2/sellerchat/send_message", shop: "1001",
		body: map[string]any{"to_id": 555, "message_type": "text", "content": map[string]any{"text": "hello"}}})
	if r.code() != "" || !strings.Contains(r.raw, `"conversation_id":`+m.ConversationID) {
		t.Fatalf("send: %s; want conversation_id %s as a bare number", r.raw, m.ConversationID)
	}
	id := r.resp()["message_id"].(string)
	held := f.sim.Messages("1001")
	if len(held) != 2 || held[1].ID != id || held[1].From != simulator.FromSellerAPI {
		t.Errorf("simulator holds %+v", held)
	}
	tw := f.do(call{path: "/api/v2/sellerchat/send_message", shop: "1002",
		body: map[string]any{"to_id": 555, "message_type": "text", "content": map[string]any{"text": "hello"}}})
	if tw.code() == "" || !strings.Contains(tw.msg(), "TW region") {
		t.Errorf("TW send: %s, want an error", tw.raw)
	}
	bad := f.do(call{path: "/api/v2/sellerchat/send_message", shop: "1001",
		body: map[string]any{"to_id": 555, "message_type": "text", "content": map[string]any{"text": " "}}})
	if bad.code() != "error_param" {
		t.Errorf("empty text: %s, want error_param", bad.raw)
	}
}

func TestMessagePagingNewestFirst(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range 7 {
		m, _ := f.sim.BuyerSays("1001", "555", strconv.Itoa(i))
		ids = append(ids, m.ID)
	}
	conv := f.sim.Conversations("1001")[0].ID
	var got []string
	offset := ""
	for page := 0; page < 10; page++ {
		q := url.Values{"conversation_id": {conv}, "page_size": {"3"}}
		if offset != "" {
			q.Set("offset", offset)
		}
		r := f.do(call{path: "/api/v2/sellerchat/get_message", shop: "1001", query: q})
		for _, m := range r.resp()["messages"].([]any) {
			got = append(got, m.(map[string]any)["message_id"].(string))
		}
		offset = r.resp()["page_result"].(map[string]any)["next_offset"].(string)
		if offset == "" {
			break
		}
	}
	want := []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want newest first %v", got, want)
	}
}

func TestRefreshTokenIsSingleUse(t *testing.T) {
	f := newFixture(t)
	old, _ := f.sim.Tokens("1001")
	body := map[string]any{"refresh_token": old.RefreshToken, "partner_id": f.sim.PartnerID(), "shop_id": 1001}
	r := f.do(call{path: "/api/v2/auth/access_token/get", body: body})
	if r.code() != "" || r.env["access_token"] == old.AccessToken || r.env["refresh_token"] == old.RefreshToken || r.env["expire_in"] == nil {
		t.Fatalf("refresh: %s", r.raw)
	}
	again := f.do(call{path: "/api/v2/auth/access_token/get", body: body})
	if again.code() != "error_auth" || again.msg() != "Invalid refresh_token." {
		t.Errorf("reusing the refresh token: %s, want error_auth", again.raw)
	}
	if cur, _ := f.sim.Tokens("1001"); cur.Refreshes != 1 || cur.RefreshToken != r.env["refresh_token"] {
		t.Errorf("current tokens %+v", cur)
	}
	// The previous access token stays valid until it expires (see shopee_unverified.go).
	if ok := f.do(call{path: listPath, shop: "1001", token: old.AccessToken, query: url.Values{"direction": {"older"}}}); ok.code() != "" {
		t.Errorf("previous access token: %s", ok.raw)
	}
}

func TestAuthCodeIsSingleUseAndExpires(t *testing.T) {
	f := newFixture(t)
	exchange := func(code string) reply {
		return f.do(call{path: "/api/v2/auth/token/get", body: map[string]any{"code": code, "partner_id": f.sim.PartnerID(), "shop_id": 1001}})
	}
	code, _ := f.sim.AuthorizationCode("1001")
	f.clock.Advance(11 * time.Minute)
	if r := exchange(code); r.code() == "" {
		t.Errorf("an 11-minute-old code worked: %s", r.raw)
	}
	code, _ = f.sim.AuthorizationCode("1001")
	r := exchange(code)
	if r.code() != "" || r.env["access_token"] == nil || !strings.Contains(r.raw, `"shop_id_list":[1001]`) {
		t.Errorf("fresh code: %s", r.raw)
	}
	if r := exchange(code); r.code() == "" {
		t.Errorf("a used code worked again: %s", r.raw)
	}
}

// pushSink is a push endpoint that checks the signature independently.
type pushSink struct {
	mu     sync.Mutex
	key    string
	url    string
	status int
	got    []map[string]any
	bad    int
}

func (p *pushSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Header.Get("Authorization") != sign(p.key, p.url+"|"+string(body)) {
		p.bad++
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	p.got = append(p.got, m)
	w.WriteHeader(p.status)
}

func (p *pushSink) count() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got), p.bad
}

func TestPushesAreSignedRetriedAndLost(t *testing.T) {
	f := newFixture(t)
	sink := &pushSink{key: f.sim.PartnerKey(), status: http.StatusOK}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	sink.url = srv.URL + "/push"
	f.sim.SetPushCallback(sink.url)
	if _, err := f.sim.BuyerSays("1001", "555", "hello"); err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "the push", func() bool { n, _ := sink.count(); return n == 1 })
	if _, bad := sink.count(); bad != 0 {
		t.Fatal("the push signature does not verify")
	}
	sink.mu.Lock()
	p := sink.got[0]
	sink.status = http.StatusInternalServerError
	sink.mu.Unlock()
	if p["code"] != 10.0 || p["shop_id"] != 1001.0 || p["data"].(map[string]any)["type"] != "message" {
		t.Errorf("push body %v", p)
	}
	// The callback now fails: 1 + 3 redeliveries at 1s, 2s, 3s, then lost.
	if _, err := f.sim.BuyerSays("1001", "555", "again"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		if err := f.clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(wait)
	}
	bridgetest.Eventually(t, "the lost push", func() bool { return len(f.sim.LostPushes()) == 1 })
	if n, _ := sink.count(); n != 5 {
		t.Errorf("the callback got %d deliveries, want 1 + 4 attempts", n)
	}
	lost := f.do(call{path: "/api/v2/push/get_lost_push_message", query: url.Values{}})
	list := lost.resp()["push_message_list"].([]any)
	if len(list) != 1 || lost.resp()["has_next_page"] != false {
		t.Fatalf("lost pushes: %s", lost.raw)
	}
	if data, _ := list[0].(map[string]any)["data"].(string); !strings.Contains(data, `"again"`) {
		t.Errorf("lost push data %q is not the message's data string", data)
	}
	last := lost.resp()["last_message_id"]
	if r := f.do(call{path: "/api/v2/push/confirm_consumed_lost_push_message", body: map[string]any{"last_message_id": last}}); r.code() != "" {
		t.Fatalf("confirm: %s", r.raw)
	}
	if again := f.do(call{path: "/api/v2/push/get_lost_push_message", query: url.Values{}}); len(again.resp()["push_message_list"].([]any)) != 0 {
		t.Errorf("confirmed pushes are listed again: %s", again.raw)
	}
	f.sim.SetFault(simulator.Fault{Kind: simulator.FaultDropPushes, Count: 1})
	f.sim.BuyerSays("1001", "555", "dropped")
	bridgetest.Eventually(t, "the dropped push", func() bool { return len(f.sim.LostPushes()) == 2 })
}

func TestFaultCountAndLapse(t *testing.T) {
	f := newFixture(t)
	q := url.Values{"direction": {"older"}}
	f.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Count: 2})
	var codes []string
	for range 3 {
		codes = append(codes, f.do(call{path: listPath, shop: "1001", query: q}).code())
	}
	if strings.Join(codes, ",") != "error_server,error_server," {
		t.Errorf("codes %v, want two server errors then success", codes)
	}
	f.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorRateLimit, Path: "get_message", For: time.Minute})
	if c := f.do(call{path: listPath, shop: "1001", query: q}).code(); c != "" {
		t.Errorf("a get_message fault hit the list: %s", c)
	}
	conv := url.Values{"conversation_id": {"1"}}
	if r := f.do(call{path: "/api/v2/sellerchat/get_message", shop: "1001", query: conv}); r.code() != "error_rate_limit" || r.status != http.StatusTooManyRequests {
		t.Errorf("get_message under the fault: %d %s", r.status, r.code())
	}
	f.clock.Advance(time.Minute)
	if r := f.do(call{path: "/api/v2/sellerchat/get_message", shop: "1001", query: conv}); r.code() == "error_rate_limit" {
		t.Error("the fault did not lapse after its minute")
	}
	if len(f.sim.Faults()) != 0 {
		t.Errorf("faults left: %+v", f.sim.Faults())
	}
}

// A fault with Contains hits only the requests that carry its text: the
// sends of one reply, not the shop's other sends nor its reads.
func TestFaultContainsSinglesOutOneReply(t *testing.T) {
	f := newFixture(t)
	f.sim.BuyerSays("1001", "555", "hi")
	f.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Path: "send_message", Contains: "ask the warehouse"})
	send := func(text string) string {
		return f.do(call{path: "/api/v2/sellerchat/send_message", shop: "1001",
			body: map[string]any{"to_id": 555, "message_type": "text", "content": map[string]any{"text": text}}}).code()
	}
	for range 3 {
		if c := send("Let me ask the warehouse."); c != "error_server" {
			t.Fatalf("the targeted reply's send: %q, want error_server", c)
		}
		if c := send("Yes, it is in stock."); c != "" {
			t.Fatalf("another reply's send: %q, want success", c)
		}
	}
	if c := f.do(call{path: listPath, shop: "1001", query: url.Values{"direction": {"older"}}}).code(); c != "" {
		t.Errorf("a read under the fault: %q", c)
	}
	f.sim.ClearFaults()
	if c := send("Let me ask the warehouse."); c != "" {
		t.Errorf("after the fault is cleared: %q", c)
	}
}

func TestRefuseAndReopen(t *testing.T) {
	f := newFixture(t)
	addr := strings.TrimPrefix(f.sim.URL(), "http://")
	id, err := f.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("connection accepted during a refuse fault")
	}
	f.sim.ClearFault(id)
	if r := f.do(call{path: listPath, shop: "1001", query: url.Values{"direction": {"older"}}}); r.code() != "" {
		t.Errorf("after the outage: %s", r.raw)
	}
}

func TestControlAPI(t *testing.T) {
	f := newFixture(t)
	ctl := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, f.sim.URL()+path, strings.NewReader(body))
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
		{"POST", "/_sim/shops", `{"shop_id":"1003","site":"SG","name":"Lion"}`, 201, "1003"},
		{"POST", "/_sim/buyer_says", `{"shop_id":"1003","buyer_id":"42","text":"hello from curl"}`, 201, "hello from curl"},
		{"POST", "/_sim/buyer_says", `{"shop_id":"1003","buyer_id":"42","type":"image"}`, 201, "image"},
		{"POST", "/_sim/seller_centre_says", `{"shop_id":"1003","buyer_id":"42","text":"hi!"}`, 201, "seller_centre"},
		{"GET", "/_sim/messages?shop_id=1003", "", 200, "hello from curl"},
		{"POST", "/_sim/faults", `{"kind":"slow","delay":"2s","path":"get_message"}`, 201, `"id"`},
		{"GET", "/_sim/faults", "", 200, `"delay":"2s"`},
		{"POST", "/_sim/faults", `{"kind":"refuse"}`, 400, "needs"},
		{"POST", "/_sim/faults", `{"kind":"nonsense"}`, 400, "unknown fault"},
		{"DELETE", "/_sim/faults", "", 204, ""},
		{"GET", "/_sim/faults", "", 200, "[]"},
		{"POST", "/_sim/tokens/expire", `{"shop_id":"1003"}`, 204, ""},
		{"GET", "/_sim/tokens?shop_id=1003", "", 200, "access_token"},
		{"GET", "/_sim/auth_code?shop_id=1003", "", 200, "code"},
		{"POST", "/_sim/buyers", `{"shops":["1003"],"interval":"-1s","messages":5,"seed":3}`, 202, ""},
		{"DELETE", "/_sim/buyers", "", 204, ""},
		{"GET", "/_sim/calls", "", 200, "{"},
		{"GET", "/_sim/lost_pushes", "", 200, "[]"},
		{"GET", "/_sim/store_config", "", 200, "shop_id: \"1003\""},
		{"GET", "/_sim/", "", 200, "endpoints"},
	}
	for _, s := range steps {
		status, body := ctl(s.method, s.path, s.body)
		if status != s.status || !strings.Contains(body, s.contains) {
			t.Errorf("%s %s: %d %s, want %d containing %q", s.method, s.path, status, body, s.status, s.contains)
		}
	}
	if yaml := f.sim.StoreConfigYAML(); !strings.Contains(yaml, "partner_key: "+f.sim.PartnerKey()) || !strings.Contains(yaml, "base_url: "+f.sim.URL()) {
		t.Errorf("store config:\n%s", yaml)
	}
}

func script(t *testing.T, seed uint64) []string {
	t.Helper()
	sim := simulator.New(simulator.Config{Clock: bridgetest.NewClock(start), Seed: 5})
	for _, s := range []simulator.Shop{{ShopID: "1", Site: "MY", Name: "a"}, {ShopID: "2", Site: "SG", Name: "b"}} {
		sim.AddShop(s)
	}
	run, err := sim.StartBuyers(context.Background(), simulator.BuyerScript{Interval: -1, Messages: 40, NonText: 0.3, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	run.Wait()
	var out []string
	for _, shop := range []string{"1", "2"} {
		for _, m := range sim.Messages(shop) {
			out = append(out, shop+"/"+m.BuyerID+"/"+m.Type+"/"+m.Text)
		}
	}
	if run.Sent() != 40 || len(out) != 40 {
		t.Fatalf("sent %d, held %d, want 40", run.Sent(), len(out))
	}
	return out
}

func TestScriptedBuyersAreDeterministic(t *testing.T) {
	a, b, c := script(t, 9), script(t, 9), script(t, 10)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("the same seed gave different scripts")
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Error("different seeds gave the same script")
	}
	types := map[string]bool{}
	for _, m := range a {
		types[strings.Split(m, "/")[2]] = true
	}
	if !types["text"] || len(types) < 3 {
		t.Errorf("a 30%% non-text script produced only %v", types)
	}
}

func TestScriptedBuyersFollowTheClock(t *testing.T) {
	f := newFixture(t)
	run, err := f.sim.StartBuyers(context.Background(), simulator.BuyerScript{Interval: time.Second, Messages: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for want := 1; want <= 2; want++ {
		if err := f.clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if run.Sent() != want-1 {
			t.Fatalf("sent %d before the clock moved, want %d", run.Sent(), want-1)
		}
		f.clock.Advance(time.Second)
		bridgetest.Eventually(t, "the scripted message", func() bool { return run.Sent() == want })
	}
	run.Wait()
}
