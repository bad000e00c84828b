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
	"time"

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

// A validly signed push is refused when its timestamp is further in the
// future than push_max_skew, like one older than push_max_age: it is a
// push kept for a later replay (or a clock far off), not a new one.
func TestPushDatedInTheFutureIsRefused(t *testing.T) {
	r := newRig(t, "MY", true)
	const callback = "https://bridge.example" + shopee.DefaultPushPath
	h := r.client.PushHandler()
	now := r.clock.Now()
	for _, c := range []struct {
		name   string
		at     time.Time
		status int
		hint   bool
	}{
		{"a year ahead", now.AddDate(1, 0, 0), http.StatusUnauthorized, false},
		{"just past the skew", now.Add(shopee.DefaultPushMaxSkew + time.Second), http.StatusUnauthorized, false},
		{"within the skew", now.Add(shopee.DefaultPushMaxSkew - time.Second), http.StatusOK, true},
		{"now", now, http.StatusOK, true},
		{"older than push_max_age", now.Add(-shopee.DefaultPushMaxAge - time.Second), http.StatusUnauthorized, false},
	} {
		body := `{"shop_id":2002,"code":10,"timestamp":` + itoa(c.at.Unix()) + `,"data":{"type":"message","content":{"conversation_id":"` + itoa(c.at.UnixNano()) + `"}}}`
		req := httptest.NewRequest(http.MethodPost, callback, strings.NewReader(body))
		req.Header.Set("Authorization", simulator.PushSignature(r.sim.PartnerKey(), callback, []byte(body)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status || rec.Body.Len() != 0 {
			t.Errorf("%s: status %d body %q, want %d and empty", c.name, rec.Code, rec.Body.String(), c.status)
		}
		if got := len(r.hints.Drain()) > 0; got != c.hint {
			t.Errorf("%s: hinted %v, want %v", c.name, got, c.hint)
		}
	}
	if !strings.Contains(r.logs.String(), "push_max_skew") {
		t.Errorf("the refusal does not name push_max_skew:\n%s", r.logs.String())
	}
}

// 2,000 forged pushes make one log line per reason, not one per push, and
// are all counted.
func TestForgedPushFloodLogsBoundedLines(t *testing.T) {
	r := newRig(t, "MY", true)
	const callback = "https://bridge.example" + shopee.DefaultPushPath
	h := r.client.PushHandler()
	before := strings.Count(r.logs.String(), "\n")
	for i := range 2000 {
		body := `{"shop_id":2002,"code":10,"timestamp":` + itoa(r.clock.Now().Unix()) + `,"n":` + itoa(int64(i)) + `}`
		req := httptest.NewRequest(http.MethodPost, callback, strings.NewReader(body))
		req.Header.Set("Authorization", strings.Repeat("0", 64))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("forged push %d answered %d", i, rec.Code)
		}
	}
	if lines := strings.Count(r.logs.String(), "\n") - before; lines != 1 {
		t.Errorf("2,000 forged pushes logged %d lines, want 1:\n%s", lines, r.logs.String())
	}
	if n := r.client.Refusals().Total(shopee.PushEndpoint, "bad_signature"); n != 2000 {
		t.Errorf("counted %d refusals, want 2000", n)
	}
	if len(r.hints.Drain()) != 0 {
		t.Error("a forged push woke the syncer")
	}
}
