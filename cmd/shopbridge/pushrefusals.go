package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// Endpoints of the Lazada push and the TikTok webhook in refusal logs and
// metrics (shopbridge_refused_requests_total{endpoint}).
const (
	LazadaPushEndpoint    = "lazada_push"
	TikTokWebhookEndpoint = "tiktok_webhook"
)

// The Lazada and TikTok clients, unlike Shopee's, take no *bridge.Refusals:
// they log every refused push at WARN, so a flood of forged pushes would
// be a flood of log lines. Until their Deps accept one, the wiring counts
// their refusals into the bridge's Refusals (first of each kind logged,
// then counts; /metrics) and drops the clients' own per-request lines.

// countingRoutes registers a client's routes, wrapping the one at path so
// that its refusals are counted.
type countingRoutes struct {
	routes   bridge.Routes
	refusals *bridge.Refusals
	path     string
	endpoint string
	// verify reports whether sig is the right signature of body (the same
	// check as the client's), to tell a forgery from a stale push.
	verify func(body []byte, sig string) bool
}

func (c countingRoutes) Handle(pattern string, h http.Handler) {
	if pattern == c.path || strings.HasSuffix(pattern, " "+c.path) {
		h = countRefusals(h, c.refusals, c.endpoint, c.verify)
	}
	c.routes.Handle(pattern, h)
}

// countRefusals counts the requests h answers 401 (no signature, a wrong
// one, or a signed push too old or too far ahead) or 413 into refusals.
func countRefusals(h http.Handler, refusals *bridge.Refusals, endpoint string, verify func([]byte, string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			status, reason := bridge.BodyRefusal(err)
			refusals.Refuse(endpoint, reason, "remote", r.RemoteAddr)
			w.WriteHeader(status)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		switch sw.status {
		case http.StatusUnauthorized:
			sig := r.Header.Get("Authorization")
			reason := "stale"
			switch {
			case sig == "":
				reason = "no_signature"
			case !verify(body, sig):
				reason = "bad_signature"
			}
			refusals.Refuse(endpoint, reason, "remote", r.RemoteAddr)
		case http.StatusRequestEntityTooLarge:
			refusals.Refuse(endpoint, bridge.ReasonBodyTooLarge, "remote", r.RemoteAddr)
		}
	})
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// quietRefusals drops a client's WARN lines about refused requests (their
// messages start with prefix): countRefusals logs and counts them instead.
func quietRefusals(log *slog.Logger, prefix string) *slog.Logger {
	return slog.New(dropHandler{Handler: log.Handler(), prefix: prefix})
}

type dropHandler struct {
	slog.Handler
	prefix string
}

func (d dropHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && strings.HasPrefix(r.Message, d.prefix) {
		return nil
	}
	return d.Handler.Handle(ctx, r)
}

func (d dropHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return dropHandler{Handler: d.Handler.WithAttrs(attrs), prefix: d.prefix}
}

func (d dropHandler) WithGroup(name string) slog.Handler {
	return dropHandler{Handler: d.Handler.WithGroup(name), prefix: d.prefix}
}
