package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The Shopee Open Platform v2 dialect (shared/reference/marketplace-apis.md,
// section 1): signing and timestamp checks, tokens, sellerchat, pushes.

// shopeeAuth says how a path is signed.
type shopeeAuth int

const (
	shopeePublic shopeeAuth = iota // partner_id + path + timestamp
	shopeeShop                     // + access_token + shop_id
)

// shopeeDialect holds the Shopee-only state: tokens, codes, pushes.
type shopeeDialect struct {
	s *Simulator

	mu sync.Mutex
	tokenBook
	callback string
	lost     []LostPush
	lostSeq  int64

	pushQ    pushQueue[pushJob]
	pushHTTP *http.Client
}

func newShopeeDialect(s *Simulator) *shopeeDialect {
	d := &shopeeDialect{
		s:        s,
		callback: s.cfg.PushCallbackURL,
		pushHTTP: &http.Client{Timeout: s.cfg.PushTimeout},
	}
	d.tokenBook = newTokenBook(&d.mu, s.clock)
	d.pushQ.init()
	return d
}

// shopeeRequest is a verified request.
type shopeeRequest struct {
	shopID string
	shop   *Shop
	body   []byte
}

var _ dialect = (*shopeeDialect)(nil)

func (d *shopeeDialect) platform() bridge.Platform { return bridge.PlatformShopee }

func (d *shopeeDialect) routes(mux *http.ServeMux) {
	d.api(mux, http.MethodGet, "/api/v2/shop/auth_partner", shopeePublic, d.authPartner)
	d.api(mux, http.MethodPost, "/api/v2/auth/token/get", shopeePublic, d.tokenGet)
	d.api(mux, http.MethodPost, "/api/v2/auth/access_token/get", shopeePublic, d.accessTokenGet)
	d.api(mux, http.MethodGet, "/api/v2/sellerchat/get_conversation_list", shopeeShop, d.getConversationList)
	d.api(mux, http.MethodGet, "/api/v2/sellerchat/get_one_conversation", shopeeShop, d.getOneConversation)
	d.api(mux, http.MethodGet, "/api/v2/sellerchat/get_message", shopeeShop, d.getMessage)
	d.api(mux, http.MethodPost, "/api/v2/sellerchat/send_message", shopeeShop, d.sendMessage)
	d.api(mux, http.MethodPost, "/api/v2/sellerchat/read_conversation", shopeeShop, d.readConversation)
	d.api(mux, http.MethodPost, "/api/v2/sellerchat/unread_conversation", shopeeShop, d.unreadConversation)
	d.api(mux, http.MethodGet, "/api/v2/sellerchat/get_unread_conversation_count", shopeeShop, d.unreadCount)
	d.api(mux, http.MethodGet, "/api/v2/push/get_lost_push_message", shopeePublic, d.getLostPushes)
	d.api(mux, http.MethodPost, "/api/v2/push/confirm_consumed_lost_push_message", shopeePublic, d.confirmLostPushes)
	d.api(mux, http.MethodPost, "/api/v2/push/set_app_push_config", shopeePublic, d.setPushConfig)
	mux.HandleFunc("/api/v2/", func(w http.ResponseWriter, r *http.Request) {
		d.s.calls.add(r.URL.Path)
		d.fail(w, 0, "error_not_found", "Invalid api path.")
	})
}

// api registers one endpoint behind fault injection and verification.
func (d *shopeeDialect) api(mux *http.ServeMux, method, path string, auth shopeeAuth, h func(http.ResponseWriter, *http.Request, shopeeRequest)) {
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		s := d.s
		s.calls.add(path)
		q := r.URL.Query()
		if s.applyFaults(w, r, bridge.PlatformShopee, path, q.Get("shop_id"), d.writeFault) {
			return
		}
		if r.Method != method {
			d.fail(w, http.StatusMethodNotAllowed, "error_param", "Wrong http method, use "+method+".")
			return
		}
		req, ok := d.verify(w, r, path, auth)
		if !ok {
			return
		}
		if r.Method == http.MethodPost {
			b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				d.fail(w, 0, "error_param", "Cannot read the body.")
				return
			}
			req.body = b
		}
		h(w, r, req)
	})
}

// verify checks the common parameters, the timestamp window, the signature
// and, for Shop APIs, the access token.
func (d *shopeeDialect) verify(w http.ResponseWriter, r *http.Request, path string, auth shopeeAuth) (shopeeRequest, bool) {
	s := d.s
	q := r.URL.Query()
	pid, err := strconv.ParseInt(q.Get("partner_id"), 10, 64)
	if err != nil || pid != s.cfg.PartnerID {
		d.fail(w, 0, "error_param", "Invalid partner_id.")
		return shopeeRequest{}, false
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		d.fail(w, 0, "error_param", "There is no timestamp in query.")
		return shopeeRequest{}, false
	}
	if skew := s.clock.Now().Sub(time.Unix(ts, 0)); skew > s.cfg.TimestampWindow || skew < -s.cfg.TimestampWindow {
		d.fail(w, 0, "error_param", msgTimestampExpired)
		return shopeeRequest{}, false
	}
	sig := q.Get("sign")
	if sig == "" {
		d.fail(w, 0, "error_param", "There is no sign in query.")
		return shopeeRequest{}, false
	}
	base := strconv.FormatInt(pid, 10) + path + strconv.FormatInt(ts, 10)
	var req shopeeRequest
	if auth == shopeeShop {
		token, shopID := q.Get("access_token"), q.Get("shop_id")
		if token == "" {
			d.fail(w, 0, "error_param", msgNoAccessToken)
			return req, false
		}
		if shopID == "" {
			d.fail(w, 0, "error_param", "There is no shop_id in query.")
			return req, false
		}
		base += token + shopID
		if !hmacEqual(s.cfg.PartnerKey, base, sig) {
			d.fail(w, 0, "error_sign", msgWrongSign)
			return req, false
		}
		if code, ok := d.checkAccessToken(token, shopID); !ok {
			d.fail(w, 0, code, msgInvalidAccess)
			return req, false
		}
		s.mu.Lock()
		shop, ok := s.shops[shopID]
		s.mu.Unlock()
		if !ok {
			d.fail(w, 0, "error_auth", msgInvalidAccess)
			return req, false
		}
		sh := shop.Shop
		req.shopID, req.shop = shopID, &sh
		return req, true
	}
	if !hmacEqual(s.cfg.PartnerKey, base, sig) {
		d.fail(w, 0, "error_sign", msgWrongSign)
		return req, false
	}
	return req, true
}

// hmacEqual checks a lowercase-hex HMAC-SHA256 signature in constant time.
func hmacEqual(key, base, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(base))
	return hmac.Equal(got, m.Sum(nil))
}

// ok writes a success envelope around response.
func (d *shopeeDialect) ok(w http.ResponseWriter, response any) {
	d.write(w, http.StatusOK, map[string]any{
		"request_id": d.s.randHex(16), "error": "", "message": "", "response": response,
	})
}

// fail writes an error envelope; status 0 takes the code's status.
func (d *shopeeDialect) fail(w http.ResponseWriter, status int, code, msg string) {
	if status == 0 {
		status = shopeeErrorStatus[code]
		if status == 0 {
			status = http.StatusBadRequest
		}
	}
	d.write(w, status, map[string]any{"request_id": d.s.randHex(16), "error": code, "message": msg})
}

func (d *shopeeDialect) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeFault renders error_server and error_rate_limit.
func (d *shopeeDialect) writeFault(w http.ResponseWriter, kind FaultKind, status int) {
	switch kind {
	case FaultErrorRateLimit:
		d.fail(w, status, "error_rate_limit", msgRateLimit)
	default:
		d.fail(w, status, "error_server", msgServerError)
	}
}

// decodeBody decodes a POST body into v, answering error_param on failure.
func (d *shopeeDialect) decodeBody(w http.ResponseWriter, req shopeeRequest, v any) bool {
	dec := json.NewDecoder(bytesReader(req.body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		d.fail(w, 0, "error_param", "Invalid request body: "+err.Error())
		return false
	}
	return true
}
