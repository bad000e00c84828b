package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/shopbridge/shopbridge/bridge"
)

// Classifier turns one complete HTTP response into nil (success) or a
// classified error. It sees every response, whatever its status, because
// marketplaces put their error codes in the body.
type Classifier func(status int, header http.Header, body []byte) *bridge.PlatformError

// Call is one marketplace API call.
type Call struct {
	// Store is the store the call acts for: its ID keys the rate limiter and
	// its ProxyURL picks the transport. A zero Store (partner-level calls)
	// shares one bucket per API.
	Store bridge.Store
	// API is the short API name ("get_message"): rate-limit bucket and log name.
	API string
	// Op describes the call for errors ("list messages").
	Op string
	// Method and URL are the request's; the URL must not be signed yet.
	Method string
	URL    *url.URL
	// Body is sent as is (JSON for the marketplaces); nil for none.
	Body []byte
	// ContentType defaults to application/json when Body is set.
	ContentType string
	// Header holds extra request headers, sent on every attempt (TikTok
	// Shop's x-tts-access-token). They are never logged; Content-Type set
	// here wins over ContentType.
	Header http.Header
	// Sign adds the timestamp and signature to the URL before every attempt,
	// so a retry never carries an expired timestamp.
	Sign func(u *url.URL)
	// Idempotent calls (reads, token calls) are retried on transient
	// failures. Others (sends) are retried only when the request certainly
	// never reached the server.
	Idempotent bool
	// Classify is required.
	Classify Classifier
}

// Response is a complete, size-limited response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Client sends marketplace calls. It is safe for concurrent use.
type Client struct {
	cfg      Config
	platform string
	clock    bridge.Clock
	log      *slog.Logger

	mu          sync.Mutex
	clients     map[string]*http.Client
	limiters    map[limiterKey]*limiter
	proxyWarned map[bridge.StoreID]bool
}

// New returns a client for platform ("shopee"). cfg gets its defaults applied.
// log is the marketplace client's logger, which names the platform already
// (its lines do not repeat it).
func New(cfg Config, platform string, clock bridge.Clock, log *slog.Logger) *Client {
	cfg.SetDefaults()
	if clock == nil {
		clock = bridge.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		cfg:         cfg,
		platform:    platform,
		clock:       clock,
		log:         log,
		clients:     map[string]*http.Client{},
		limiters:    map[limiterKey]*limiter{},
		proxyWarned: map[bridge.StoreID]bool{},
	}
}

// Config returns the configuration in use, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// Do runs call with the rate limiter, the retry policy and the classifier,
// and returns the final response. The error, if any, is a *bridge.PlatformError.
func (c *Client) Do(ctx context.Context, call Call) (Response, error) {
	if call.Classify == nil {
		return Response{}, c.permanent(call, "internal error: no response classifier")
	}
	hc, err := c.httpClient(call.Store)
	if err != nil {
		return Response{}, err
	}
	retryMax := max(c.cfg.RetryMax, 0)
	if bridge.IsProbe(ctx) {
		// A probe of a store that is down makes one attempt: the engine
		// probes again soon, and a retry's backoff would only delay
		// noticing that the marketplace is back.
		retryMax = 0
	}
	a := &attempt{c: c, call: &call, lim: c.limiter(call.Store.ID, call.API), retryMax: retryMax}
	if err := a.lim.wait(ctx, c.clock); err != nil {
		return Response{}, c.transport(call, err, true)
	}
	u := *call.URL
	if call.Sign != nil {
		call.Sign(&u)
	}
	var body any
	if call.Body != nil {
		body = call.Body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, call.Method, u.String(), body)
	if err != nil {
		// The URL is not quoted: it carries the signature.
		return Response{}, c.permanent(call, "cannot build the request")
	}
	if call.Body != nil {
		ct := call.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range call.Header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}

	rc := &retryablehttp.Client{
		HTTPClient: hc,
		// Logger stays nil: retryablehttp would log the signed URL.
		RetryMax:   retryMax,
		CheckRetry: a.checkRetry,
		// The wait happens in PrepareRetry, on the injected clock.
		Backoff:      func(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 },
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		PrepareRetry: a.prepareRetry,
	}
	resp, doErr := rc.Do(req)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	switch {
	case a.perr != nil:
		return a.resp, a.perr
	case a.terr != nil:
		return Response{}, c.transport(call, a.terr, !a.reached)
	case a.n == 0 || (doErr != nil && !a.ok):
		// Cancelled while waiting to retry, or the request never ran.
		cause := doErr
		if cause == nil {
			cause = ctx.Err()
		}
		if cause == nil {
			cause = errors.New("request not completed")
		}
		return Response{}, c.transport(call, cause, !a.reached)
	}
	return a.resp, nil
}

// CloseIdleConnections closes the idle connections of every transport.
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hc := range c.clients {
		hc.CloseIdleConnections()
	}
}

// attempt is the state of one Do across its attempts.
type attempt struct {
	c    *Client
	call *Call
	lim  *limiter

	retryMax   int
	n          int // attempts made
	ok         bool
	resp       Response
	perr       *bridge.PlatformError
	terr       error
	reached    bool // some attempt may have reached the server
	retryAfter time.Duration
}

func (a *attempt) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	a.n++
	a.ok, a.perr, a.terr, a.resp = false, nil, nil, Response{}
	call := a.call
	if err != nil {
		err = stripURL(err)
		nd := NotDelivered(err)
		if !nd {
			a.reached = true
		}
		a.terr = err
		retry := ctx.Err() == nil && (call.Idempotent || nd) && a.n <= a.retryMax
		a.c.logAttempt(call, a.n, 0, err, retry)
		return retry, nil
	}
	a.reached = true
	body, tooLarge, rerr := readLimited(resp.Body, a.c.cfg.MaxResponseBytes)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		a.terr = fmt.Errorf("reading the response: %w", rerr)
		retry := ctx.Err() == nil && call.Idempotent && a.n <= a.retryMax
		a.c.logAttempt(call, a.n, resp.StatusCode, rerr, retry)
		return retry, nil
	}
	a.resp = Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if tooLarge {
		a.perr = a.c.permanentErr(*call, fmt.Sprintf("response larger than %d bytes", a.c.cfg.MaxResponseBytes))
		a.c.logAttempt(call, a.n, resp.StatusCode, a.perr, false)
		return false, nil
	}
	if perr := call.Classify(resp.StatusCode, resp.Header, body); perr != nil {
		if perr.Platform == "" {
			perr.Platform = a.c.platform
		}
		if perr.Op == "" {
			perr.Op = call.Op
		}
		a.perr = perr
		retry := false
		if call.Idempotent && ctx.Err() == nil && a.n <= a.retryMax {
			switch perr.Kind {
			case bridge.KindTransient:
				retry = true
			case bridge.KindRateLimited:
				// A short wait is taken here; a long one goes back to the
				// engine, which pauses the store instead of holding a goroutine.
				if perr.RetryAfter <= a.c.cfg.RetryWaitMax {
					retry = true
					a.retryAfter = perr.RetryAfter
				}
			}
		}
		a.c.logAttempt(call, a.n, resp.StatusCode, perr, retry)
		return retry, nil
	}
	a.ok = true
	a.c.logAttempt(call, a.n, resp.StatusCode, nil, false)
	return false, nil
}

// prepareRetry waits the backoff and the rate limiter on the injected clock
// and re-signs the request with a fresh timestamp.
func (a *attempt) prepareRetry(r *http.Request) error {
	d := a.c.backoff(a.n)
	if a.retryAfter > d {
		d = a.retryAfter
	}
	a.retryAfter = 0
	if err := sleep(r.Context(), a.c.clock, d); err != nil {
		return err
	}
	if err := a.lim.wait(r.Context(), a.c.clock); err != nil {
		return err
	}
	if a.call.Sign != nil {
		u := *a.call.URL
		a.call.Sign(&u)
		r.URL = &u
	}
	return nil
}

func (c *Client) logAttempt(call *Call, n, status int, err error, retry bool) {
	if !c.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := []any{"store", string(call.Store.ID), "api", call.API, "attempt", n}
	if status != 0 {
		attrs = append(attrs, "status", status)
	}
	if err != nil {
		attrs = append(attrs, "err", err, "retry", retry)
	}
	c.log.Debug("marketplace call", attrs...)
}

func (c *Client) permanentErr(call Call, msg string) *bridge.PlatformError {
	return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: c.platform, Op: call.Op, Message: msg}
}

func (c *Client) permanent(call Call, msg string) error { return c.permanentErr(call, msg) }

// transport classifies a failure without an HTTP response. The error never
// includes the URL (net/http's *url.Error does, with the signature).
func (c *Client) transport(call Call, err error, notDelivered bool) error {
	inner := stripURL(err)
	return &bridge.PlatformError{
		Kind:         bridge.KindTransient,
		Platform:     c.platform,
		Op:           call.Op,
		Message:      fmt.Sprintf("%s %s: %v", call.Method, call.API, inner),
		NotDelivered: notDelivered,
		Err:          inner,
	}
}

func readLimited(r io.Reader, max int64) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > max {
		return nil, true, nil
	}
	return body, false, nil
}

// stripURL drops the *url.Error layer of net/http errors, whose text
// quotes the signed URL with its access token.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
