package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// Refusals of the Lazada and TikTok endpoints are counted by reason (the
// signature is checked again to tell a forgery from a stale push), and the
// clients' own line per refused request is dropped.
func TestPushRefusalsCountedByReason(t *testing.T) {
	refusals := bridge.NewRefusals(nil, nil, 0)
	// The client: 401 for every body but "ok", whose signature is "good".
	client := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		if b.String() == "ok" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	mux := http.NewServeMux()
	countingRoutes{routes: mux, refusals: refusals, path: "/push/x", endpoint: "x_push",
		verify: func(body []byte, sig string) bool { return sig == "good" }}.Handle("/push/x", client)
	for _, c := range []struct{ body, sig string }{{"ok", "good"}, {"forged", "bad"}, {"forged", ""}, {"replayed", "good"}, {"replayed", "good"}} {
		req := httptest.NewRequest(http.MethodPost, "/push/x", strings.NewReader(c.body))
		if c.sig != "" {
			req.Header.Set("Authorization", c.sig)
		}
		mux.ServeHTTP(httptest.NewRecorder(), req)
	}
	got := map[string]uint64{}
	for _, c := range refusals.Counts() {
		got[c.Endpoint+"/"+c.Reason] = c.Total
	}
	want := map[string]uint64{"x_push/bad_signature": 1, "x_push/no_signature": 1, "x_push/stale": 2}
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d, want %d (all: %v)", k, got[k], n, got)
		}
	}

	var logs bytes.Buffer
	log := quietRefusals(slog.New(slog.NewTextHandler(&logs, nil)).With("platform", "lazada"), "push refused: ")
	log.Warn("push refused: signature mismatch", "remote", "1.2.3.4")
	log.Warn("IM push refused, Lazada will deliver it again")
	log.Info("push refused: an info line is kept")
	if s := logs.String(); strings.Contains(s, "signature mismatch") || !strings.Contains(s, "deliver it again") || !strings.Contains(s, "info line") {
		t.Errorf("logs:\n%s", s)
	}
}
