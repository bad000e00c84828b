package httpx

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// StatusError classifies the HTTP status of a response whose body names no
// platform error (the marketplaces put their errors in the body, so the
// status decides only then): nil for a 2xx; 429 is rate-limited, waiting
// what Retry-After says or else rateLimitWait; 408 and 5xx are transient;
// any other status is permanent. requestID is the body's, if it has one.
func StatusError(status int, h http.Header, requestID string, clock bridge.Clock, rateLimitWait time.Duration) *bridge.PlatformError {
	switch {
	case status == http.StatusTooManyRequests:
		return &bridge.PlatformError{Kind: bridge.KindRateLimited, Code: "http_429", RequestID: requestID,
			RetryAfter: RetryAfter(h, clock.Now(), rateLimitWait), Message: "HTTP 429 Too Many Requests"}
	case status >= 500 || status == http.StatusRequestTimeout:
		return &bridge.PlatformError{Kind: bridge.KindTransient, Code: "http_" + strconv.Itoa(status), RequestID: requestID,
			Message: "HTTP " + strconv.Itoa(status)}
	case status < 200 || status >= 300:
		return &bridge.PlatformError{Kind: bridge.KindPermanent, Code: "http_" + strconv.Itoa(status), RequestID: requestID,
			Message: "HTTP " + strconv.Itoa(status)}
	}
	return nil
}

// NotEnvelope is the error of a 2xx response whose body is not the
// platform's JSON envelope: a proxy's page or a cut body, transient.
// platform is the marketplace's name as people write it ("Shopee").
func NotEnvelope(status int, platform string) *bridge.PlatformError {
	return &bridge.PlatformError{Kind: bridge.KindTransient, Code: "bad_response",
		Message: fmt.Sprintf("HTTP %d with a body that is not a %s JSON envelope", status, platform)}
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date); without
// one, or with one that is unreadable or past, fallback applies.
func RetryAfter(h http.Header, now time.Time, fallback time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return fallback
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return fallback
}
