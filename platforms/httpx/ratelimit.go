package httpx

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"

	"github.com/shopbridge/shopbridge/bridge"
)

type limiterKey struct {
	store bridge.StoreID
	api   string
}

// limiter is a token bucket per store and API, read with the injected clock
// so tests can drive it with a fake one. A nil limiter never waits.
type limiter struct {
	l *rate.Limiter
}

// limiter returns the bucket of (store, api), creating it on first use.
func (c *Client) limiter(store bridge.StoreID, api string) *limiter {
	r := c.cfg.RateLimit
	if v, ok := c.cfg.APIRateLimits[api]; ok {
		r = v
	}
	if r <= 0 {
		return nil
	}
	key := limiterKey{store, api}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.limiters[key]; ok {
		return l
	}
	burst := max(c.cfg.RateBurst, 1)
	l := &limiter{l: rate.NewLimiter(rate.Limit(r), burst)}
	// The bucket starts full at the clock's time, not the wall clock's.
	l.l.SetLimitAt(c.clock.Now(), rate.Limit(r))
	c.limiters[key] = l
	return l
}

// wait takes one token, waiting for it on clock.
func (l *limiter) wait(ctx context.Context, clock bridge.Clock) error {
	if l == nil {
		return ctx.Err()
	}
	now := clock.Now()
	r := l.l.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("rate limiter refused the request")
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		r.CancelAt(clock.Now())
		return ctx.Err()
	case <-clock.After(d):
		return nil
	}
}

// backoff is the wait before retry n (n ≥ 1): exponential from
// RetryWaitMin, capped at RetryWaitMax, with jitter in [d/2, d] so that
// stores failing together do not retry in step.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.RetryWaitMin
	for i := 1; i < n && d < c.cfg.RetryWaitMax; i++ {
		d *= 2
	}
	d = min(d, c.cfg.RetryWaitMax)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}
