package simulator

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The TikTok Shop Partner API 202309 dialect
// (shared/reference/marketplace-apis.md, section 3): request signing and
// the timestamp window, the x-tts-access-token header and shop_cipher,
// tokens with absolute expiries on the auth host paths, the
// customer-service endpoints with their page limits, the daily quota,
// can_send_message, and signed webhooks (type 14 for every new message,
// type 13 for a new conversation) with TikTok's retry schedule. The
// simulator serves the API host and the auth host on one listener (their
// paths do not overlap). Its choices where the reference is UNVERIFIED are
// in tiktok_unverified.go.

// TikTokConfig tunes the TikTok dialect; zero values take the defaults.
type TikTokConfig struct {
	// AppKey and AppSecret are the app the simulator accepts.
	AppKey    string `json:"app_key"`
	AppSecret string `json:"app_secret"`
	// ServiceID is what the authorization page expects (any is accepted
	// when empty); RedirectURL is the app's Redirect URL (as registered in
	// Partner Center), where the authorization page sends the shop owner.
	ServiceID   string `json:"service_id"`
	RedirectURL string `json:"redirect_url"`
	// AccessTokenLifetime (7 days [DOC]) and RefreshTokenLifetime (30 days,
	// UNVERIFIED); AuthCodeLifetime (30 minutes [DOC]).
	AccessTokenLifetime  time.Duration `json:"-"`
	RefreshTokenLifetime time.Duration `json:"-"`
	AuthCodeLifetime     time.Duration `json:"-"`
	// TimestampBefore and TimestampAfter are the accepted request
	// timestamp window: 5 minutes before to 30 seconds after now [DOC].
	TimestampBefore time.Duration `json:"-"`
	TimestampAfter  time.Duration `json:"-"`
	// WebhookURL receives signed webhooks; empty sends none.
	WebhookURL string `json:"webhook_url"`
	// WebhookTimeout is TikTok's answer deadline (3 s [DOC]).
	WebhookTimeout time.Duration `json:"-"`
	// WebhookRetryWaits are the waits before the redeliveries of a failed
	// webhook: 2 min, 30 min, 3 h, 12 h [DOC], then it is given up.
	WebhookRetryWaits []time.Duration `json:"-"`
	// DailyQuota is the customer-service calls a shop may make per day
	// (10,000 [DOC]); QuotaResetUTCOffset the UTC offset of the midnight
	// it resets at (00:00 UTC, UNVERIFIED).
	DailyQuota          int           `json:"daily_quota"`
	QuotaResetUTCOffset time.Duration `json:"-"`
	// MaxTextLength is the TEXT limit in characters (2,000 [DOC]).
	MaxTextLength int `json:"max_text_length"`
	// SensitiveWords make Send Message answer 45101006.
	SensitiveWords []string `json:"sensitive_words,omitempty"`
}

// Defaults of the TikTok dialect.
const (
	DefaultTikTokAppKey    = "6simtiktok"
	DefaultTikTokAppSecret = "shopbridge-simulator-tiktok-app-secret"
	DefaultTikTokServiceID = "7431458374265161478"
)

func (c *TikTokConfig) setDefaults() {
	c.AppKey = cmp.Or(c.AppKey, DefaultTikTokAppKey)
	c.AppSecret = cmp.Or(c.AppSecret, DefaultTikTokAppSecret)
	c.ServiceID = cmp.Or(c.ServiceID, DefaultTikTokServiceID)
	c.AccessTokenLifetime = cmp.Or(c.AccessTokenLifetime, 7*24*time.Hour)
	c.RefreshTokenLifetime = cmp.Or(c.RefreshTokenLifetime, tiktokRefreshTokenLifetime)
	c.AuthCodeLifetime = cmp.Or(c.AuthCodeLifetime, 30*time.Minute)
	c.TimestampBefore = cmp.Or(c.TimestampBefore, 5*time.Minute)
	c.TimestampAfter = cmp.Or(c.TimestampAfter, 30*time.Second)
	c.WebhookTimeout = cmp.Or(c.WebhookTimeout, 3*time.Second)
	if c.WebhookRetryWaits == nil {
		c.WebhookRetryWaits = []time.Duration{2 * time.Minute, 30 * time.Minute, 3 * time.Hour, 12 * time.Hour}
	}
	c.DailyQuota = cmp.Or(c.DailyQuota, 10000)
	c.MaxTextLength = cmp.Or(c.MaxTextLength, 2000)
}

// tiktokDialect holds the TikTok-only state: the app, tokens, ciphers,
// message indexes, quotas, can_send_message and webhooks. Lock order: the
// simulator's state lock before d.mu, never the reverse.
type tiktokDialect struct {
	s *Simulator

	mu  sync.Mutex
	cfg TikTokConfig
	tokenBook
	ciphers   map[string]string // shop → cipher
	byCipher  map[string]string // cipher → shop
	index     map[string]int64  // message → index
	lastIndex int64
	convs     map[string]bool // conversations seen (for type 13)
	noSend    map[string]bool // conversations with can_send_message=false
	quota     map[string]*tiktokQuota

	wh *tiktokWebhooks
}

type tiktokQuota struct {
	resets time.Time
	used   int
}

var _ dialect = (*tiktokDialect)(nil)

func newTikTokDialect(s *Simulator) *tiktokDialect {
	d := &tiktokDialect{
		s:        s,
		ciphers:  map[string]string{},
		byCipher: map[string]string{},
		index:    map[string]int64{},
		convs:    map[string]bool{},
		noSend:   map[string]bool{},
		quota:    map[string]*tiktokQuota{},
	}
	d.tokenBook = newTokenBook(&d.mu, s.clock)
	d.cfg.setDefaults()
	d.wh = newTikTokWebhooks(d)
	return d
}

func (d *tiktokDialect) platform() bridge.Platform { return bridge.PlatformTikTok }

// tiktok returns the simulator's TikTok dialect.
func (s *Simulator) tiktok() *tiktokDialect {
	return s.dialects[bridge.PlatformTikTok].(*tiktokDialect)
}

// ConfigureTikTok sets the TikTok dialect's configuration (defaults
// applied). Token lifetimes apply to tokens issued from then on.
func (s *Simulator) ConfigureTikTok(c TikTokConfig) {
	c.setDefaults()
	d := s.tiktok()
	d.mu.Lock()
	d.cfg = c
	d.mu.Unlock()
}

// TikTok returns the TikTok dialect's configuration.
func (s *Simulator) TikTok() TikTokConfig {
	d := s.tiktok()
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.cfg
	c.WebhookRetryWaits = append([]time.Duration(nil), c.WebhookRetryWaits...)
	c.SensitiveWords = append([]string(nil), c.SensitiveWords...)
	return c
}

func (d *tiktokDialect) config() TikTokConfig {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// tiktokAuth says what a path needs.
type tiktokAuth int

const (
	tiktokSigned tiktokAuth = iota // signed, x-tts-access-token
	tiktokShop                     // + shop_cipher; a customer-service API (quota)
)

// tiktokRequest is a verified request.
type tiktokRequest struct {
	shopID string
	shop   Shop
	body   []byte
}

func (d *tiktokDialect) routes(mux *http.ServeMux) {
	d.api(mux, http.MethodGet, "/authorization/202309/shops", tiktokSigned, d.authorizedShops)
	d.api(mux, http.MethodGet, "/customer_service/202309/conversations", tiktokShop, d.getConversations)
	d.api(mux, http.MethodGet, "/customer_service/202309/conversations/{conversation_id}/messages", tiktokShop, d.getMessages)
	d.api(mux, http.MethodPost, "/customer_service/202309/conversations/{conversation_id}/messages", tiktokShop, d.sendMessage)
	d.api(mux, http.MethodPost, "/customer_service/202309/conversations/{conversation_id}/messages/read", tiktokShop, d.readMessages)
	for _, prefix := range []string{"/customer_service/", "/authorization/"} {
		mux.HandleFunc(prefix, func(w http.ResponseWriter, r *http.Request) {
			d.s.calls.add(r.URL.Path)
			d.fail(w, http.StatusNotFound, 36009009, "Invalid path. The specified path does not match any available endpoint.")
		})
	}
	// The auth host.
	mux.HandleFunc("GET /api/v2/token/get", d.counted("GET /api/v2/token/get", d.tokenGet))
	mux.HandleFunc("GET /api/v2/token/refresh", d.counted("GET /api/v2/token/refresh", d.tokenRefresh))
	mux.HandleFunc("GET /open/authorize", d.authorizePage)
	d.controlRoutes(mux)
}

// counted counts an auth-host call (as "METHOD path", like the API calls)
// and applies the faults.
func (d *tiktokDialect) counted(key string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.s.calls.add(key)
		if d.s.applyFaults(w, r, bridge.PlatformTikTok, r.URL.Path, "", d.writeFault) {
			return
		}
		h(w, r)
	}
}

// api registers one endpoint behind fault injection, verification and the
// quota.
func (d *tiktokDialect) api(mux *http.ServeMux, method, pattern string, auth tiktokAuth, h func(http.ResponseWriter, *http.Request, tiktokRequest)) {
	mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		s := d.s
		s.calls.add(method + " " + pattern)
		if s.applyFaults(w, r, bridge.PlatformTikTok, r.URL.Path, d.shopOfRequest(r), d.writeFault) {
			return
		}
		var body []byte
		if r.Method == http.MethodPost {
			b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				d.fail(w, 0, 36009022, "Invalid request format.")
				return
			}
			body = b
		}
		req, ok := d.verify(w, r, auth, body)
		if !ok {
			return
		}
		if auth == tiktokShop && !d.spendQuota(w, req.shopID) {
			return
		}
		h(w, r, req)
	})
}

// shopOfRequest names the shop a request is for (for faults): by its
// shop_cipher, else its access token.
func (d *tiktokDialect) shopOfRequest(r *http.Request) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if shop, ok := d.byCipher[r.URL.Query().Get("shop_cipher")]; ok {
		return shop
	}
	if a, ok := d.access[r.Header.Get("x-tts-access-token")]; ok {
		return a.shopID
	}
	return ""
}

// verify checks app_key, the timestamp window, the signature, the access
// token and, for shop APIs, the shop_cipher [DOC TT-SIGN, TT-ERR].
func (d *tiktokDialect) verify(w http.ResponseWriter, r *http.Request, auth tiktokAuth, body []byte) (tiktokRequest, bool) {
	cfg := d.config()
	q := r.URL.Query()
	if q.Get("app_key") != cfg.AppKey {
		d.fail(w, 0, 36009004, "Invalid credentials. Invalid app_key query parameter.")
		return tiktokRequest{}, false
	}
	sig := q.Get("sign")
	if sig == "" {
		d.fail(w, 0, 36009004, "Missing credentials. The request does not include a required signature in the query.")
		return tiktokRequest{}, false
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	now := d.s.clock.Now()
	switch {
	case err != nil || ts < 0:
		d.fail(w, 0, 36009004, "Invalid timestamp. The value of the timestamp query parameter must not be lesser than 0.")
		return tiktokRequest{}, false
	case time.Unix(ts, 0).Before(now.Add(-cfg.TimestampBefore)):
		d.fail(w, 0, 36009004, "Invalid timestamp. The value of the timestamp query parameter must not be earlier than 5 minutes before the current time.")
		return tiktokRequest{}, false
	case time.Unix(ts, 0).After(now.Add(cfg.TimestampAfter)):
		d.fail(w, 0, 36009004, "Invalid timestamp. The value of the timestamp query parameter must not exceed the current time by more than 30 seconds.")
		return tiktokRequest{}, false
	}
	signed := body
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		signed = nil
	}
	if !hmacEqual(cfg.AppSecret, TikTokSignBase(cfg.AppSecret, r.URL.Path, q, signed), sig) {
		d.fail(w, 0, 106001, "Invalid credentials. The sign query parameter is invalid.")
		return tiktokRequest{}, false
	}
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			d.fail(w, 0, 36009022, "Invalid request format. The request body format must be application/json.")
			return tiktokRequest{}, false
		}
	}
	token := r.Header.Get("x-tts-access-token")
	d.mu.Lock()
	a, ok := d.access[token]
	var cipherShop string
	cipherKnown := false
	if auth == tiktokShop {
		cipherShop, cipherKnown = d.byCipher[q.Get("shop_cipher")]
	}
	d.mu.Unlock()
	switch {
	case token == "" || !ok || a.revoked:
		d.fail(w, 0, 36009004, "Invalid credentials. The x-tts-access-token header is invalid.")
		return tiktokRequest{}, false
	case !now.Before(a.expires):
		d.fail(w, 0, 105002, "Expired credentials. The access_token or x-tts-access-token header has expired.")
		return tiktokRequest{}, false
	}
	if auth == tiktokShop {
		switch {
		case q.Get("shop_cipher") == "":
			d.fail(w, 0, 106013, "Missing identifier. The shop_cipher query parameter is required to identify the target shop.")
			return tiktokRequest{}, false
		case !cipherKnown || cipherShop != a.shopID:
			d.fail(w, 0, 101000, "Invalid query or header. The associated shop does not match the provided shop_cipher query parameter.")
			return tiktokRequest{}, false
		}
	}
	d.s.mu.Lock()
	shop, ok := d.s.shops[a.shopID]
	d.s.mu.Unlock()
	if !ok {
		d.fail(w, 0, 36009004, "Invalid credentials. The x-tts-access-token header is invalid.")
		return tiktokRequest{}, false
	}
	return tiktokRequest{shopID: a.shopID, shop: shop.Shop, body: body}, true
}

// spendQuota counts one customer-service call against the shop's daily
// quota, or answers 45101004 when it is used up.
func (d *tiktokDialect) spendQuota(w http.ResponseWriter, shopID string) bool {
	now := d.s.clock.Now()
	d.mu.Lock()
	q := d.quotaLocked(shopID, now)
	if q.used >= d.cfg.DailyQuota {
		d.mu.Unlock()
		d.fail(w, 0, 45101004, "The query quota has been reached (10000 request per day). Please try again tomorrow.")
		return false
	}
	q.used++
	d.mu.Unlock()
	return true
}

func (d *tiktokDialect) quotaLocked(shopID string, now time.Time) *tiktokQuota {
	q, ok := d.quota[shopID]
	if !ok || !now.Before(q.resets) {
		z := time.FixedZone("quota", int(d.cfg.QuotaResetUTCOffset/time.Second))
		n := now.In(z)
		q = &tiktokQuota{resets: time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, z)}
		d.quota[shopID] = q
	}
	return q
}

// TikTokQuotaUsed returns how many customer-service calls the shop made
// today (since the last reset).
func (s *Simulator) TikTokQuotaUsed(shopID string) int {
	d := s.tiktok()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.quotaLocked(shopID, s.clock.Now()).used
}

// SetTikTokQuotaUsed sets today's count of customer-service calls of the
// shop (tests use it to exhaust the quota).
func (s *Simulator) SetTikTokQuotaUsed(shopID string, n int) {
	d := s.tiktok()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.quotaLocked(shopID, s.clock.Now()).used = n
}

// TikTokSignBase is the wrapped string TikTok signs for a request to path
// with query (sign and access_token excluded) and body: secret + path +
// sorted key+value pairs + body + secret [DOC TT-SIGN].
//
// The simulator computes it on its own, step by step as the reference
// lists them (section 3.1), rather than calling the client's signer: a
// simulator that shared the client's code could not catch a signing bug.
func TikTokSignBase(secret, path string, query url.Values, body []byte) string {
	// 1. The query parameters but sign and access_token, in key order.
	var params []string
	for k := range query {
		if k != "sign" && k != "access_token" {
			params = append(params, k)
		}
	}
	slices.Sort(params)
	// 2. Each as key+value; 3. after the path; 4. then the raw body.
	s := path
	for _, k := range params {
		s += k + query.Get(k)
	}
	s += string(body)
	// 5. Wrapped in the secret (6., the HMAC, is TikTokSign's).
	return secret + s + secret
}

// TikTokSign signs a request as TikTok verifies it (for tests that call the
// simulator directly).
func TikTokSign(secret, path string, query url.Values, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(TikTokSignBase(secret, path, query, body)))
	return hex.EncodeToString(m.Sum(nil))
}

// ok writes a success envelope around data.
func (d *tiktokDialect) ok(w http.ResponseWriter, data any) {
	d.write(w, http.StatusOK, map[string]any{"code": 0, "message": "Success", "request_id": d.requestID(), "data": data})
}

// fail writes an error envelope; status 0 takes the code's status.
func (d *tiktokDialect) fail(w http.ResponseWriter, status int, code int, msg string) {
	status = cmp.Or(status, tiktokErrorStatus(code))
	d.write(w, status, map[string]any{"code": code, "message": msg, "request_id": d.requestID()})
}

func (d *tiktokDialect) requestID() string {
	return d.s.clock.Now().UTC().Format("20060102150405") + strings.ToUpper(d.s.randHex(10))
}

func (d *tiktokDialect) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeFault renders error_server (36009003) and error_rate_limit
// (36009002 with HTTP 429).
func (d *tiktokDialect) writeFault(w http.ResponseWriter, kind FaultKind, status int) {
	switch kind {
	case FaultErrorRateLimit:
		status = cmp.Or(status, http.StatusTooManyRequests)
		d.fail(w, status, 36009002, "Too many requests. You've made too many requests in a short period of time.")
	default:
		d.fail(w, status, 36009003, "Internal error. Please try again. If the issue persists after multiple attempts, please contact platform support.")
	}
}

// decodeBody decodes a POST body into v, answering 45101001 on failure.
func (d *tiktokDialect) decodeBody(w http.ResponseWriter, req tiktokRequest, v any) bool {
	dec := json.NewDecoder(bytesReader(req.body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		d.fail(w, 0, 45101001, "Invalid parameter. Please check the parameters.")
		return false
	}
	return true
}
