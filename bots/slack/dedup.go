package slack

import (
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// dedupMax bounds a dedup set; the oldest keys go first.
const dedupMax = 50000

// dedup remembers keys (Slack event IDs, message timestamps) for a window,
// so Slack's redeliveries are processed once.
type dedup struct {
	clock  bridge.Clock
	window time.Duration
	max    int

	mu    sync.Mutex
	seen  map[string]time.Time
	order []dedupEntry
}

type dedupEntry struct {
	key string
	at  time.Time
}

func newDedup(clock bridge.Clock, window time.Duration, max int) *dedup {
	return &dedup{clock: clock, window: window, max: max, seen: map[string]time.Time{}}
}

// first records key and reports whether it is new. An empty key is always new.
func (d *dedup) first(key string) bool {
	if key == "" {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.expireLocked(now)
	if _, ok := d.seen[key]; ok {
		return false
	}
	d.seen[key] = now
	d.order = append(d.order, dedupEntry{key, now})
	return true
}

// forget drops key, so a delivery that could not be accepted is taken when
// Slack retries it.
func (d *dedup) forget(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, key)
}

func (d *dedup) expireLocked(now time.Time) {
	i := 0
	for ; i < len(d.order); i++ {
		e := d.order[i]
		if now.Sub(e.at) < d.window && len(d.order)-i <= d.max {
			break
		}
		// A key forgotten and seen again has a newer entry: keep that one.
		if at, ok := d.seen[e.key]; ok && at.Equal(e.at) {
			delete(d.seen, e.key)
		}
	}
	if i > 0 {
		d.order = append(d.order[:0:0], d.order[i:]...)
	}
}
