package simulator

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The Lazada Open Platform (LazOP) dialect (shared/reference/
// marketplace-apis.md, section 2): request signing and the 7200 s
// timestamp window, tokens through /auth/token/create and refresh (a
// refresh keeps the refresh token's expiry), the IM APIs paging backwards
// with next_start_time and last_*_id, errors as {type, code, message},
// signed IM pushes of every new message (buyer's and seller's) redelivered
// every 30 minutes until answered 200, recalls, and a polling detector:
// Lazada reclaims the API permission of apps that poll the IM lists.
//
// The API is served under /rest (the gateway path) on the simulator's
// listener, for every site; the authorization page is /oauth/authorize.
// The simulator's choices where the reference is UNVERIFIED are in
// lazada_unverified.go.

// LazadaConfig configures the Lazada dialect (see ConfigureLazada). Zero
// values take the defaults.
type LazadaConfig struct {
	// AppKey and AppSecret are the app the simulator accepts.
	AppKey    string
	AppSecret string
	// PushCallbackURL receives signed pushes; empty sends none.
	PushCallbackURL string
	// PushTimeout is how long a push waits for its answer (Lazada: 500 ms,
	// wall time); a later answer counts as a failed delivery.
	PushTimeout time.Duration
	// PushRetryInterval is the wait, on the simulator's clock, before a
	// push not answered 200 is delivered again (Lazada: 30 minutes), at
	// most PushRetries times (12).
	PushRetryInterval time.Duration
	PushRetries       int
	// TimestampWindow is how far a request's timestamp may be from the
	// clock (7200 s).
	TimestampWindow time.Duration
	// AccessTokenLifetime (30 days) and RefreshTokenLifetime (180 days):
	// an online app's lifetimes; tests shorten them.
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
	// AuthCodeLifetime is how long an authorization code is valid (30 min).
	AuthCodeLifetime time.Duration
	// PollFlagPerHour: more IM list calls (/im/session/list and
	// /im/message/list) than this for one shop within an hour flag the
	// client as polling (default 60).
	PollFlagPerHour int
	// RevokeWhenFlagged reclaims the app's IM API permission once a client
	// is flagged, as Lazada says it does: every /im/ call is then refused.
	RevokeWhenFlagged bool
}

// Lazada dialect defaults.
const (
	DefaultLazadaAppKey    = "100123"
	DefaultLazadaAppSecret = "shopbridge-simulator-lazada-app-secret-0123456789"
)

func (c *LazadaConfig) setDefaults() {
	c.AppKey = cmp.Or(c.AppKey, DefaultLazadaAppKey)
	c.AppSecret = cmp.Or(c.AppSecret, DefaultLazadaAppSecret)
	c.PushTimeout = cmp.Or(c.PushTimeout, 500*time.Millisecond)
	c.PushRetryInterval = cmp.Or(c.PushRetryInterval, 30*time.Minute)
	c.PushRetries = cmp.Or(c.PushRetries, 12)
	c.TimestampWindow = cmp.Or(c.TimestampWindow, 7200*time.Second)
	c.AccessTokenLifetime = cmp.Or(c.AccessTokenLifetime, 30*24*time.Hour)
	c.RefreshTokenLifetime = cmp.Or(c.RefreshTokenLifetime, 180*24*time.Hour)
	c.AuthCodeLifetime = cmp.Or(c.AuthCodeLifetime, 30*time.Minute)
	c.PollFlagPerHour = cmp.Or(c.PollFlagPerHour, 60)
}

// lazadaDialect holds the Lazada-only state.
type lazadaDialect struct {
	s *Simulator

	mu  sync.Mutex
	cfg LazadaConfig
	tokenBook
	recalled map[string]bool // message IDs
	polls    map[string][]time.Time
	poll     map[string]*LazadaPolling
	revoked  bool // the app's IM permission was reclaimed

	push lazadaPusher
}

var _ dialect = (*lazadaDialect)(nil)

func newLazadaDialect(s *Simulator) *lazadaDialect {
	d := &lazadaDialect{
		s:        s,
		recalled: map[string]bool{},
		polls:    map[string][]time.Time{},
		poll:     map[string]*LazadaPolling{},
	}
	d.tokenBook = newTokenBook(&d.mu, s.clock)
	d.cfg.setDefaults()
	d.push.init(d)
	return d
}

// addDialect registers a dialect and its routes beside those New set up.
func (s *Simulator) addDialect(mux *http.ServeMux, d dialect) {
	s.dialects[d.platform()] = d
	d.routes(mux)
}

func (s *Simulator) lazada() *lazadaDialect {
	return s.dialects[bridge.PlatformLazada].(*lazadaDialect)
}

// ConfigureLazada sets the Lazada dialect's configuration (zero values take
// the defaults). Call it before adding Lazada shops.
func (s *Simulator) ConfigureLazada(cfg LazadaConfig) {
	cfg.setDefaults()
	d := s.lazada()
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
	d.push.configure(cfg)
}

// LazadaConfig returns the Lazada dialect's configuration.
func (s *Simulator) LazadaConfig() LazadaConfig {
	d := s.lazada()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

func (d *lazadaDialect) config() LazadaConfig {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

func (d *lazadaDialect) platform() bridge.Platform { return bridge.PlatformLazada }

// lazadaAuth says what a path needs.
type lazadaAuth int

const (
	lazadaApp    lazadaAuth = iota // app_key, timestamp, sign
	lazadaSeller                   // + access_token
)

// lazadaRequest is a verified request.
type lazadaRequest struct {
	params url.Values
	shopID string
	shop   *Shop
}

func (d *lazadaDialect) routes(mux *http.ServeMux) {
	d.api(mux, "/auth/token/create", lazadaApp, d.tokenCreate, http.MethodPost, http.MethodGet)
	d.api(mux, "/auth/token/refresh", lazadaApp, d.tokenRefresh, http.MethodPost, http.MethodGet)
	d.api(mux, "/seller/get", lazadaSeller, d.sellerGet, http.MethodGet)
	d.api(mux, "/im/session/list", lazadaSeller, d.sessionList, http.MethodGet)
	d.api(mux, "/im/session/get", lazadaSeller, d.sessionGet, http.MethodGet)
	d.api(mux, "/im/message/list", lazadaSeller, d.messageList, http.MethodGet)
	d.api(mux, "/im/message/send", lazadaSeller, d.messageSend, http.MethodPost)
	d.api(mux, "/im/session/read", lazadaSeller, d.sessionRead, http.MethodPost)
	d.api(mux, "/im/message/recall", lazadaSeller, d.messageRecall, http.MethodPost, http.MethodGet)
	mux.HandleFunc("/rest/", func(w http.ResponseWriter, r *http.Request) {
		d.s.calls.add(strings.TrimPrefix(r.URL.Path, "/rest"))
		d.fail(w, "ISV", "InvalidApiPath", "The specified API path is invalid")
	})
	mux.HandleFunc("/oauth/authorize", d.authorizePage)
}

// api registers one endpoint behind fault injection and verification. The
// calls are counted under the API path ("/im/session/list").
func (d *lazadaDialect) api(mux *http.ServeMux, path string, auth lazadaAuth, h func(http.ResponseWriter, *http.Request, lazadaRequest), methods ...string) {
	mux.HandleFunc("/rest"+path, func(w http.ResponseWriter, r *http.Request) {
		s := d.s
		s.calls.add(path)
		if err := r.ParseForm(); err != nil {
			d.fail(w, "ISV", "InvalidParameter", "Cannot read the parameters.")
			return
		}
		params := r.Form // query and form body together
		shopID := d.shopOfToken(params.Get("access_token"))
		if s.applyFaults(w, r, bridge.PlatformLazada, path, shopID, d.writeFault) {
			return
		}
		allowed := false
		for _, m := range methods {
			allowed = allowed || r.Method == m
		}
		if !allowed {
			d.fail(w, "ISV", "InvalidHttpMethod", "Use "+strings.Join(methods, " or ")+".")
			return
		}
		req, ok := d.verify(w, params, path, auth)
		if !ok {
			return
		}
		if strings.HasPrefix(path, "/im/") {
			if d.isRevoked() {
				d.fail(w, "ISV", lzCodePermissionReclaimed, lzMsgPermissionReclaimed)
				return
			}
			if path == "/im/session/list" || path == "/im/message/list" {
				d.countListCall(req.shopID, path)
			}
		}
		h(w, r, req)
	})
}

// verify checks app_key, the timestamp window, sign_method, the signature
// and, for seller APIs, the access token.
func (d *lazadaDialect) verify(w http.ResponseWriter, params url.Values, path string, auth lazadaAuth) (lazadaRequest, bool) {
	cfg := d.config()
	req := lazadaRequest{params: params}
	if params.Get("app_key") != cfg.AppKey {
		d.fail(w, "ISV", "InvalidAppKey", "The specified app key is invalid")
		return req, false
	}
	ts, err := strconv.ParseInt(params.Get("timestamp"), 10, 64)
	if err != nil {
		d.fail(w, "ISV", "MissingParameter", "The input parameter timestamp that is mandatory for processing this request is not supplied")
		return req, false
	}
	if skew := d.s.clock.Now().Sub(time.UnixMilli(ts)); skew > cfg.TimestampWindow || skew < -cfg.TimestampWindow {
		d.fail(w, "ISV", lzCodeTimestamp, lzMsgTimestamp)
		return req, false
	}
	if m := params.Get("sign_method"); m != "sha256" {
		d.fail(w, "ISV", "InvalidSignMethod", "The sign_method "+strconv.Quote(m)+" is not supported; use sha256")
		return req, false
	}
	if !lazadaSignOK(cfg.AppSecret, path, params) {
		d.fail(w, "ISV", "IncompleteSignature", lzMsgWrongSign)
		return req, false
	}
	if auth == lazadaApp {
		return req, true
	}
	token := params.Get("access_token")
	if token == "" {
		d.fail(w, "ISV", "MissingParameter", "The input parameter access_token that is mandatory for processing this request is not supplied")
		return req, false
	}
	shopID, ok := d.checkAccessToken(token)
	if !ok {
		d.fail(w, "ISV", "IllegalAccessToken", lzMsgIllegalAccess)
		return req, false
	}
	d.s.mu.Lock()
	shop, ok := d.s.shops[shopID]
	d.s.mu.Unlock()
	if !ok {
		d.fail(w, "ISV", "IllegalAccessToken", lzMsgIllegalAccess)
		return req, false
	}
	sh := shop.Shop
	req.shopID, req.shop = shopID, &sh
	return req, true
}

// lazadaSignOK checks a LazOP signature: the parameters but sign, sorted
// by name, concatenated name+value after the API path, HMAC-SHA256 under
// the app secret, hex (compared without regard to case, in constant time).
func lazadaSignOK(secret, path string, params url.Values) bool {
	got, err := hex.DecodeString(params.Get("sign"))
	if err != nil {
		return false
	}
	return hmac.Equal(got, lazadaSignature(secret, path, params))
}

func lazadaSignature(secret, path string, params url.Values) []byte {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(path))
	for _, k := range keys {
		m.Write([]byte(k))
		m.Write([]byte(params.Get(k)))
	}
	return m.Sum(nil)
}

// LazadaSign returns the signature (UPPERCASE hex) the simulator expects
// for a request to path with params, for tests that forge requests.
func LazadaSign(secret, path string, params url.Values) string {
	return strings.ToUpper(hex.EncodeToString(lazadaSignature(secret, path, params)))
}

// ok writes a success envelope around data; the IM APIs also carry
// success, err_code and err_message.
func (d *lazadaDialect) ok(w http.ResponseWriter, data any, im bool) {
	body := map[string]any{"code": "0", "request_id": d.s.randHex(13), "data": data}
	if im {
		body["success"], body["err_code"], body["err_message"] = true, "0", ""
	}
	d.write(w, http.StatusOK, body)
}

// fail writes an error envelope {type, code, message, request_id} with
// HTTP 200, as the gateway answers API errors (see lazada_unverified.go).
func (d *lazadaDialect) fail(w http.ResponseWriter, typ, code, msg string) {
	d.failStatus(w, http.StatusOK, typ, code, msg)
}

func (d *lazadaDialect) failStatus(w http.ResponseWriter, status int, typ, code, msg string) {
	d.write(w, status, map[string]any{"type": typ, "code": code, "message": msg, "request_id": d.s.randHex(13)})
}

func (d *lazadaDialect) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeFault renders error_server and error_rate_limit faults.
func (d *lazadaDialect) writeFault(w http.ResponseWriter, kind FaultKind, status int) {
	status = cmp.Or(status, http.StatusOK)
	switch kind {
	case FaultErrorRateLimit:
		d.failStatus(w, status, "ISP", "ApiCallLimit", lzMsgAPICallLimit)
	default:
		d.failStatus(w, status, "ISP", lzCodeServerError, lzMsgServerError)
	}
}
