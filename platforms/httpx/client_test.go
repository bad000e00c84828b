package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

const secret = "SECRETTOKEN123"

// jsonClassifier is a tiny platform: {"error": "..."} in the body.
func jsonClassifier(status int, h http.Header, body []byte) *bridge.PlatformError {
	var env struct {
		Error     string `json:"error"`
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(body, &env)
	switch {
	case status == http.StatusTooManyRequests:
		return &bridge.PlatformError{Kind: bridge.KindRateLimited, RetryAfter: 2 * time.Second, Code: "429"}
	case status >= 500:
		return &bridge.PlatformError{Kind: bridge.KindTransient, Code: env.Error, RequestID: env.RequestID}
	case env.Error != "":
		return &bridge.PlatformError{Kind: bridge.KindPermanent, Code: env.Error, RequestID: env.RequestID}
	}
	return nil
}

func testConfig() Config {
	return Config{Timeout: 2 * time.Second, RetryMax: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 3 * time.Second, RateLimit: -1}
}

func call(t *testing.T, srv string, idempotent bool) Call {
	t.Helper()
	u, err := url.Parse(srv + "/api/thing")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	return Call{
		Store: bridge.Store{ID: "s1"}, API: "thing", Op: "do the thing", Method: http.MethodGet, URL: u,
		Sign: func(u *url.URL) {
			q := u.Query()
			q.Set("access_token", secret)
			q.Set("sign", secret+string(rune('a'+n.Add(1))))
			u.RawQuery = q.Encode()
		},
		Idempotent: idempotent, Classify: jsonClassifier,
	}
}

// pump advances a fake clock to its next timer whenever something waits on it.
func pump(t *testing.T, c *bridgetest.Clock) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for c.BlockUntil(ctx, 1) == nil {
			if d, ok := c.NextTimer(); ok {
				c.Advance(d)
			}
		}
	}()
}

func TestRetriesIdempotentCallsAndResigns(t *testing.T) {
	var hits atomic.Int32
	var mu sync.Mutex
	var signs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		signs = append(signs, r.URL.Query().Get("sign"))
		mu.Unlock()
		if hits.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`{"error":"error_server"}`))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := New(testConfig(), "test", nil, nil)
	resp, err := c.Do(context.Background(), call(t, srv.URL, true))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if string(resp.Body) != `{"ok":true}` || hits.Load() != 3 {
		t.Fatalf("got body %q after %d hits, want ok after 3", resp.Body, hits.Load())
	}
	if signs[0] == signs[1] || signs[1] == signs[2] {
		t.Errorf("retries were not re-signed: %v", signs)
	}
}

func TestSendIsNotRetriedOnceItReachedTheServer(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"error_server","request_id":"rq1"}`))
	}))
	defer srv.Close()
	c := New(testConfig(), "test", nil, nil)
	cl := call(t, srv.URL, false)
	cl.Method = http.MethodPost
	cl.Body = []byte(`{"text":"hi"}`)
	_, err := c.Do(context.Background(), cl)
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a PlatformError", err)
	}
	if hits.Load() != 1 {
		t.Errorf("send hit the server %d times, want exactly 1", hits.Load())
	}
	if pe.Kind != bridge.KindTransient || pe.NotDelivered || pe.RequestID != "rq1" || pe.Op != "do the thing" {
		t.Errorf("got %+v, want transient, maybe delivered, request rq1", pe)
	}
}

func TestSendTimeoutIsNotMarkedUndelivered(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := testConfig()
	cfg.Timeout = 100 * time.Millisecond
	c := New(cfg, "test", nil, nil)
	cl := call(t, srv.URL, false)
	cl.Method = http.MethodPost
	cl.Body = []byte(`{}`)
	_, err := c.Do(context.Background(), cl)
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindTransient || pe.NotDelivered {
		t.Fatalf("got %v, want a transient error that may have been delivered", err)
	}
	if hits.Load() != 1 {
		t.Errorf("timed-out send was tried %d times, want 1", hits.Load())
	}
}

func TestConnectionRefusedIsNotDeliveredAndSecretFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := New(testConfig(), "test", nil, log)
	cl := call(t, "http://"+addr, false)
	cl.Method = http.MethodPost
	cl.Body = []byte(`{}`)
	_, err = c.Do(context.Background(), cl)
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindTransient || !pe.NotDelivered {
		t.Fatalf("got %v, want transient and not delivered", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
		t.Errorf("a secret leaked into the error or the log:\nerror: %v\nlog: %s", err, logs.String())
	}
	if strings.Count(logs.String(), "marketplace call") != 4 {
		t.Errorf("an undelivered send should be retried (1+3 attempts); log:\n%s", logs.String())
	}
}

func TestResponseSizeLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 2048))
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.MaxResponseBytes = 1024
	c := New(cfg, "test", nil, nil)
	_, err := c.Do(context.Background(), call(t, srv.URL, true))
	if bridge.Classify(err) != bridge.KindPermanent || !strings.Contains(err.Error(), "larger than 1024") {
		t.Fatalf("got %v, want a permanent 'larger than' error", err)
	}
}

func TestRateLimitedResponseWaitsOnTheClock(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := bridgetest.NewClock(start)
	pump(t, clock)
	c := New(testConfig(), "test", clock, nil)
	if _, err := c.Do(context.Background(), call(t, srv.URL, true)); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if waited := clock.Now().Sub(start); waited < 2*time.Second {
		t.Errorf("retried after %s of clock time, want at least the 2s asked for", waited)
	}
}

func TestLongRateLimitIsReturned(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.RetryWaitMax = time.Second // shorter than the 2s asked for
	c := New(cfg, "test", nil, nil)
	_, err := c.Do(context.Background(), call(t, srv.URL, true))
	if bridge.Classify(err) != bridge.KindRateLimited || bridge.RetryAfterOf(err) != 2*time.Second || hits.Load() != 1 {
		t.Fatalf("got %v after %d hits, want rate-limited 2s after 1 hit", err, hits.Load())
	}
}

func TestClientSideRateLimitPerStoreAndAPI(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	clock := bridgetest.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 1, 1
	c := New(cfg, "test", clock, nil)
	ctx := context.Background()
	cl := call(t, srv.URL, true)
	if _, err := c.Do(ctx, cl); err != nil {
		t.Fatal(err)
	}
	other := cl
	other.Store = bridge.Store{ID: "s2"}
	if _, err := c.Do(ctx, other); err != nil { // another store has its own bucket
		t.Fatal(err)
	}
	otherAPI := cl
	otherAPI.API = "other"
	if _, err := c.Do(ctx, otherAPI); err != nil { // and so has another API
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := c.Do(ctx, cl); done <- err }()
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 3 {
		t.Fatalf("the fourth call went out before its token: %d hits", hits.Load())
	}
	clock.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 4 {
		t.Errorf("got %d hits, want 4", hits.Load())
	}
}

func TestPerStoreProxy(t *testing.T) {
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy receives the absolute URL of the target.
		if r.URL.Host == "marketplace.invalid" {
			proxied.Add(1)
		}
		w.Write([]byte(`{}`))
	}))
	defer proxy.Close()
	c := New(testConfig(), "test", nil, nil)
	cl := call(t, "http://marketplace.invalid", true)
	cl.Store = bridge.Store{ID: "s1", ProxyURL: proxy.URL}
	if _, err := c.Do(context.Background(), cl); err != nil {
		t.Fatalf("Do through proxy: %v", err)
	}
	if proxied.Load() != 1 {
		t.Errorf("the proxy saw %d requests, want 1", proxied.Load())
	}
	bad := cl
	bad.Store = bridge.Store{ID: "s3", ProxyURL: "::not a url:" + secret}
	_, err := c.Do(context.Background(), bad)
	if bridge.Classify(err) != bridge.KindPermanent || strings.Contains(err.Error(), secret) {
		t.Errorf("bad proxy: got %v, want a permanent error without the URL", err)
	}
}

func TestBackoffGrowsAndStaysWithinBounds(t *testing.T) {
	c := New(Config{RetryWaitMin: 100 * time.Millisecond, RetryWaitMax: time.Second}, "test", nil, nil)
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 6: time.Second} {
		for range 20 {
			if d := c.backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, want/2, want)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	bad := Config{Timeout: -1, RetryMax: 20, RetryWaitMin: 2 * time.Second, RetryWaitMax: time.Second, RateLimit: -3, APIRateLimits: map[string]float64{"x": 0}}
	errs := bad.Validate("shopee.http.")
	if len(errs) != 5 {
		t.Fatalf("got %d problems, want 5: %q", len(errs), errs)
	}
	for _, e := range errs {
		if !strings.HasPrefix(e, "shopee.http.") {
			t.Errorf("problem %q lacks the prefix", e)
		}
	}
	var good Config
	good.SetDefaults()
	if errs := good.Validate(""); len(errs) != 0 {
		t.Errorf("defaults are invalid: %q", errs)
	}
}

func TestExtraHeadersOnEveryAttempt(t *testing.T) {
	var hits atomic.Int32
	var mu sync.Mutex
	var tokens, types []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.Header.Get("X-Tts-Access-Token"))
		types = append(types, r.Header.Get("Content-Type"))
		mu.Unlock()
		if hits.Add(1) < 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := New(testConfig(), "test", nil, nil)
	cl := call(t, srv.URL, true)
	cl.Header = http.Header{"x-tts-access-token": {secret}, "Content-Type": {"application/json"}}
	if _, err := c.Do(context.Background(), cl); err != nil {
		t.Fatalf("Do: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tokens) != 2 || tokens[0] != secret || tokens[1] != secret {
		t.Errorf("x-tts-access-token per attempt %q, want the token on both", tokens)
	}
	if types[0] != "application/json" {
		t.Errorf("Content-Type of a GET %q, want the one from Header", types[0])
	}
}
