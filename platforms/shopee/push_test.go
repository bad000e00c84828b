package shopee_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

func TestPushEdgeCases(t *testing.T) {
	r := newRig(t, "MY", true)
	const callback = "https://bridge.example" + shopee.DefaultPushPath
	h := r.client.PushHandler()
	post := func(method, body, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, callback, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	signed := func(body string) string { return simulator.PushSignature(r.sim.PartnerKey(), callback, []byte(body)) }
	bodyOnly := func(body string) string {
		m := hmac.New(sha256.New, []byte(r.sim.PartnerKey()))
		m.Write([]byte(body))
		return hex.EncodeToString(m.Sum(nil))
	}
	now := r.clock.Now().Unix()
	expiring := `{"shop_id":2002,"code":12,"timestamp":` + itoa(now) + `}`
	cases := []struct {
		name, method, body, auth string
		status                   int
		hint                     bool
		log                      string
	}{
		{"GET is refused", http.MethodGet, "", "", http.StatusMethodNotAllowed, false, ""},
		{"too large", http.MethodPost, strings.Repeat("x", 2<<20), "x", http.StatusRequestEntityTooLarge, false, ""},
		{"body-only HMAC refused but explained", http.MethodPost, `{"shop_id":2002,"code":10}`, bodyOnly(`{"shop_id":2002,"code":10}`), http.StatusUnauthorized, false, "body only"},
		{"signed but not an object", http.MethodPost, `[1]`, signed(`[1]`), http.StatusOK, false, "not a push object"},
		{"authorization expiry is logged, not hinted", http.MethodPost, expiring, signed(expiring), http.StatusOK, false, "expires within 7 days"},
		{"whitespace-only verification push", http.MethodPost, " \n", "", http.StatusOK, false, ""},
	}
	for _, c := range cases {
		rec := post(c.method, c.body, c.auth)
		if rec.Code != c.status || rec.Body.Len() != 0 {
			t.Errorf("%s: status %d body %q, want %d and empty", c.name, rec.Code, rec.Body.String(), c.status)
		}
		if got := len(r.hints.Drain()) > 0; got != c.hint {
			t.Errorf("%s: hinted %v, want %v", c.name, got, c.hint)
		}
		if c.log != "" && !strings.Contains(r.logs.String(), c.log) {
			t.Errorf("%s: log lacks %q:\n%s", c.name, c.log, r.logs.String())
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
