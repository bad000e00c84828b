package tiktok

import (
	"fmt"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The customer-service APIs share a quota of 10,000 calls per shop and day
// [DOC TT-CS: 45101004 "The query quota has been reached (10000 request per
// day). Please try again tomorrow."]. Once TikTok answers 45101004 for a
// store, the client makes no more customer-service calls for it until the
// quota resets: each one would only be refused (and the engine, told
// RetryAfter, pauses the store's polls until then anyway). Webhooks keep
// delivering messages meanwhile; they cost no quota.

// quotaReset is when the daily quota resets after now: the next midnight
// at UTC+offset (00:00 UTC by default; UNVERIFIED, see unverified.go).
func quotaReset(now time.Time, offset time.Duration) time.Time {
	z := time.FixedZone("quota", int(offset/time.Second))
	n := now.In(z)
	return time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, z)
}

// quotaGate remembers, per store, until when its quota is used up.
type quotaGate struct {
	mu    sync.Mutex
	until map[bridge.StoreID]time.Time
}

func newQuotaGate() *quotaGate { return &quotaGate{until: map[bridge.StoreID]time.Time{}} }

// blocked returns the reset time while the store's quota is used up.
func (g *quotaGate) blocked(id bridge.StoreID, now time.Time) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.until[id]
	if ok && !now.Before(t) {
		delete(g.until, id)
		return time.Time{}, false
	}
	return t, ok
}

// exhausted records that the store's quota is used up until until; it
// reports whether this is news (for one log line per exhaustion).
func (g *quotaGate) exhausted(id bridge.StoreID, until time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.until[id]; ok && !t.Before(until) {
		return false
	}
	g.until[id] = until
	return true
}

// quotaErr is the error of a call not made because the quota is used up.
func (c *Client) quotaErr(op string, until time.Time) error {
	now := c.clock.Now()
	return &bridge.PlatformError{Kind: bridge.KindRateLimited, Platform: string(bridge.PlatformTikTok), Op: op,
		Code: fmt.Sprint(codeDailyQuota), RetryAfter: until.Sub(now),
		Message: fmt.Sprintf("%s; no calls until it resets at %s", explanations[codeDailyQuota], until.UTC().Format(time.RFC3339))}
}
