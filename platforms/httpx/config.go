// Package httpx is the HTTP layer shared by the marketplace clients
// (platforms/shopee and later lazada and tiktok). It is built on
// hashicorp/go-retryablehttp and adds what a marketplace client needs on top
// of it:
//
//   - a timeout per attempt and the caller's context for the whole call;
//   - a per-store HTTP proxy (bridge.Store.ProxyURL), one pooled transport per proxy;
//   - a client-side rate limiter per store and per API (golang.org/x/time/rate),
//     driven by the injected bridge.Clock;
//   - retries with exponential backoff and jitter for idempotent calls (reads
//     and token calls), waited on the injected clock;
//   - no automatic retry of non-idempotent calls (sends) unless the failure
//     certainly happened before the request reached the server (dial or DNS
//     failure): the engine's outbox retries and reconciles those instead;
//   - a size limit on response bodies;
//   - every failure classified as a *bridge.PlatformError, with the platform's
//     code and request ID when the platform's classifier finds them.
//
// URLs are never logged and never put into errors: marketplace URLs carry the
// signature and the access token in their query.
package httpx

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Config tunes the HTTP layer of one marketplace client.
type Config struct {
	// Timeout bounds one attempt (connect, send, read the whole response).
	Timeout time.Duration `yaml:"timeout"`
	// RetryMax is how many times an idempotent call is retried after the
	// first attempt; -1 means never (0 takes the default).
	RetryMax int `yaml:"retry_max"`
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between attempts.
	RetryWaitMin time.Duration `yaml:"retry_wait_min"`
	RetryWaitMax time.Duration `yaml:"retry_wait_max"`
	// MaxResponseBytes refuses larger response bodies.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// RateLimit is the client-side limit, in requests per second, per store
	// and per API; -1 disables it (0 takes the default). RateBurst is the
	// bucket size.
	RateLimit float64 `yaml:"rate_limit"`
	RateBurst int     `yaml:"rate_burst"`
	// APIRateLimits overrides RateLimit for single APIs (keyed by the API's
	// short name, e.g. "send_message").
	APIRateLimits map[string]float64 `yaml:"api_rate_limits"`
}

// Defaults. The marketplaces do not publish per-API limits for chat (see the
// reference), so these are conservative guesses that the operator can change.
const (
	DefaultTimeout          = 15 * time.Second
	DefaultRetryMax         = 3
	DefaultRetryWaitMin     = 500 * time.Millisecond
	DefaultRetryWaitMax     = 10 * time.Second
	DefaultMaxResponseBytes = 4 << 20
	DefaultRateLimit        = 5
	DefaultRateBurst        = 10
)

// SetDefaults fills the unset fields.
func (c *Config) SetDefaults() {
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.RetryMax = cmp.Or(c.RetryMax, DefaultRetryMax)
	c.RetryWaitMin = cmp.Or(c.RetryWaitMin, DefaultRetryWaitMin)
	c.RetryWaitMax = cmp.Or(c.RetryWaitMax, DefaultRetryWaitMax)
	c.MaxResponseBytes = cmp.Or(c.MaxResponseBytes, DefaultMaxResponseBytes)
	c.RateLimit = cmp.Or(c.RateLimit, DefaultRateLimit)
	c.RateBurst = cmp.Or(c.RateBurst, DefaultRateBurst)
}

// Validate returns one line per problem, each naming the field under
// prefix (for example "shopee.http.").
func (c Config) Validate(prefix string) []string {
	var errs []string
	if c.Timeout < 0 {
		errs = append(errs, prefix+"timeout: must not be negative")
	}
	if c.RetryMax < -1 {
		errs = append(errs, prefix+"retry_max: must be -1 (no retries), 0 (the default) or a positive count")
	}
	if c.RetryMax > 10 {
		errs = append(errs, prefix+"retry_max: must be at most 10")
	}
	if c.RetryWaitMin < 0 || c.RetryWaitMax < 0 {
		errs = append(errs, prefix+"retry_wait_min/retry_wait_max: must not be negative")
	}
	if c.RetryWaitMin > 0 && c.RetryWaitMax > 0 && c.RetryWaitMin > c.RetryWaitMax {
		errs = append(errs, fmt.Sprintf("%sretry_wait_min: %s is longer than retry_wait_max %s", prefix, c.RetryWaitMin, c.RetryWaitMax))
	}
	if c.MaxResponseBytes < 0 {
		errs = append(errs, prefix+"max_response_bytes: must not be negative")
	}
	if c.RateLimit < 0 && c.RateLimit != -1 {
		errs = append(errs, prefix+"rate_limit: must be a positive number of requests per second, or -1 to disable the limiter")
	}
	if c.RateBurst < 0 {
		errs = append(errs, prefix+"rate_burst: must not be negative")
	}
	for api, r := range c.APIRateLimits {
		if r <= 0 {
			errs = append(errs, fmt.Sprintf("%sapi_rate_limits.%s: must be a positive number of requests per second", prefix, api))
		}
	}
	return errs
}

// CheckURL returns what is wrong with a configured URL ("" when nothing):
// it must be an absolute http(s) URL.
func CheckURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http(s) URL", s)
	}
	return ""
}

// Prepare checks and completes what every marketplace client's New is
// given: problems are its config's (Config.Validate, one line each), and a
// TokenStore is required; the clock defaults to the system clock and the
// logger to discarding. The logger returned names the platform.
func Prepare(platform bridge.Platform, problems []string, tokens bridge.TokenStore, clock bridge.Clock, logger *slog.Logger) (bridge.Clock, *slog.Logger, error) {
	if len(problems) > 0 {
		return nil, nil, errors.New(strings.Join(problems, "\n"))
	}
	if tokens == nil {
		return nil, nil, errors.New(string(platform) + ": a TokenStore is required")
	}
	if clock == nil {
		clock = bridge.SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return clock, logger.With("platform", string(platform)), nil
}
