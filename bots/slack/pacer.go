package slack

import (
	"context"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// priority orders callers waiting for the same rate limit. Alerts, failure
// notices, reactions and answers to people are high; the backlog of buyer
// messages is normal, so a long backlog never delays what agents wait for.
type priority int

const (
	prioNormal priority = iota
	prioHigh
	numPriorities
)

// limit is a token bucket's rate (per second) and burst.
type limit struct {
	rate  float64
	burst float64
}

// pacer is a set of token buckets keyed by channel or method, on the
// injected clock. Waiters are served strictly by priority, then in arrival
// order. A 429 blocks the whole bucket until Slack's Retry-After has passed.
type pacer struct {
	clock   bridge.Clock
	mu      sync.Mutex
	buckets map[string]*bucket
	// changed is closed and replaced whenever a waiter queues or leaves, so
	// tests can wait for the pacer's state without polling.
	changed chan struct{}
}

type bucket struct {
	lim     limit
	tokens  float64
	last    time.Time
	blocked time.Time
	queues  [numPriorities][]*ticket
	running bool
	// kick wakes the dispatcher early (a waiter left, or the bucket was
	// blocked longer).
	kick chan struct{}
}

type ticket struct {
	ready   chan struct{}
	granted bool
}

func newPacer(clock bridge.Clock) *pacer {
	return &pacer{clock: clock, buckets: map[string]*bucket{}, changed: make(chan struct{})}
}

func (p *pacer) bucketLocked(key string, lim limit) *bucket {
	b, ok := p.buckets[key]
	if !ok {
		b = &bucket{lim: lim, tokens: lim.burst, last: p.clock.Now(), kick: make(chan struct{}, 1)}
		p.buckets[key] = b
	}
	return b
}

// refill adds the tokens earned since last; a blocked bucket earns nothing
// until the block ends, so a burst does not follow a 429.
func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens += now.Sub(b.last).Seconds() * b.lim.rate
		if b.tokens > b.lim.burst {
			b.tokens = b.lim.burst
		}
		b.last = now
	}
}

func (b *bucket) queued() int {
	n := 0
	for _, q := range b.queues {
		n += len(q)
	}
	return n
}

func (b *bucket) head() (*ticket, priority) {
	for pr := numPriorities - 1; pr >= 0; pr-- {
		if len(b.queues[pr]) > 0 {
			return b.queues[pr][0], pr
		}
	}
	return nil, 0
}

func (b *bucket) remove(t *ticket) {
	for pr := range b.queues {
		for i, q := range b.queues[pr] {
			if q == t {
				b.queues[pr] = append(b.queues[pr][:i], b.queues[pr][i+1:]...)
				return
			}
		}
	}
}

func (b *bucket) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (p *pacer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// wait blocks until the caller may make one request under key, or ctx ends.
func (p *pacer) wait(ctx context.Context, key string, lim limit, prio priority) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	b := p.bucketLocked(key, lim)
	now := p.clock.Now()
	b.refill(now)
	if b.queued() == 0 && !now.Before(b.blocked) && b.tokens >= 1 {
		b.tokens--
		p.mu.Unlock()
		return nil
	}
	t := &ticket{ready: make(chan struct{})}
	b.queues[prio] = append(b.queues[prio], t)
	p.notifyLocked()
	if !b.running {
		b.running = true
		go p.dispatch(b)
	}
	p.mu.Unlock()
	select {
	case <-t.ready:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		if t.granted {
			// Granted while we were leaving: give the token back.
			b.tokens = min(b.tokens+1, b.lim.burst)
		} else {
			b.remove(t)
			p.notifyLocked()
			b.wake()
		}
		return ctx.Err()
	}
}

// dispatch grants tokens to a bucket's waiters until none is left.
func (p *pacer) dispatch(b *bucket) {
	for {
		p.mu.Lock()
		t, _ := b.head()
		if t == nil {
			b.running = false
			p.mu.Unlock()
			return
		}
		now := p.clock.Now()
		b.refill(now)
		var wait time.Duration
		switch {
		case now.Before(b.blocked):
			wait = b.blocked.Sub(now)
		case b.tokens < 1:
			wait = time.Duration((1 - b.tokens) / b.lim.rate * float64(time.Second))
			if wait <= 0 {
				wait = time.Nanosecond
			}
		}
		if wait == 0 {
			b.tokens--
			b.remove(t)
			p.notifyLocked()
			t.granted = true
			close(t.ready)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		select {
		case <-p.clock.After(wait):
		case <-b.kick:
		}
	}
}

// block stops every request under key until d has passed (a 429's Retry-After).
func (p *pacer) block(key string, lim limit, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.bucketLocked(key, lim)
	until := p.clock.Now().Add(d)
	if until.After(b.blocked) {
		// One request may go as soon as the block ends; the rest follow at
		// the bucket's rate rather than as a burst that would hit 429 again.
		b.blocked = until
		b.tokens = min(1, b.lim.burst)
		b.last = until
	}
}
