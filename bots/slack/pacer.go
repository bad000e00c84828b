package slack

import (
	"context"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// priority orders callers waiting for the same bucket, strictly. What a
// person is waiting for right now — alerts, reply statuses (reactions and
// failure notices), answers to commands and buttons — is urgent; buyer
// content (and the crash-window check before it) is high; opening a thread
// is normal (a thread is useless until its messages follow); header edits,
// resumed notices and reports are low, so they never go ahead of buyer
// content in the same bucket. Urgent calls are few and small, so they never
// hold buyer content back for long, while a backlog of buyer posts would
// hold an alert for minutes.
type priority int

const (
	prioLow priority = iota
	prioNormal
	prioHigh
	prioUrgent
	numPriorities
)

// promoteAfter bounds how long a normal waiter (opening a thread) waits
// behind buyer content: after it, it competes with buyer content in arrival
// order. Without it, a saturated channel would never open a new
// conversation's thread, since existing conversations always have content
// waiting. Low waiters are never promoted.
const promoteAfter = 5 * time.Second

// bucketSpec is how a bucket starts: the documented rate (per second), its
// burst, and the configured cap (0: learn without a cap).
type bucketSpec struct {
	start float64
	burst float64
	cap   float64
}

// pacer is a set of token buckets keyed by channel or method, on the
// injected clock, whose rates are learned from Slack's answers (learn.go).
// Waiters are served strictly by priority, then in arrival order. A 429
// blocks the whole bucket until Slack's Retry-After has passed; then one
// request goes alone (the probe), and the rest follow at the learned rate
// once it was accepted — never a burst into a limit that just refused.
type pacer struct {
	clock   bridge.Clock
	mu      sync.Mutex
	buckets map[string]*bucket
	// changed is closed and replaced whenever a waiter queues or leaves or a
	// dispatcher parks or wakes, so tests can wait for the pacer's state
	// without polling.
	changed chan struct{}
}

// probe states of a bucket after a 429.
const (
	probeNone = iota
	// probeNext: the next grant, once the block has passed, is the probe.
	probeNext
	// probeOut: the probe is in flight; nothing else goes until it is answered.
	probeOut
)

type bucket struct {
	learn   *learner
	tokens  float64
	last    time.Time
	blocked time.Time
	probe   int
	queues  [numPriorities][]*ticket
	running bool
	// parked is set while the dispatcher waits; wakeAt is its timer (zero
	// when it waits for a probe's answer) and kicked a pending early wake.
	parked bool
	wakeAt time.Time
	kicked bool
	kick   chan struct{}
}

type ticket struct {
	ready   chan struct{}
	granted bool
	probe   bool
	since   time.Time
}

// permit is one granted request. The caller reports how Slack answered
// exactly once: accepted, limited or released.
type permit struct {
	p     *pacer
	b     *bucket
	probe bool
	// immediate: granted out of the burst, without waiting.
	immediate bool
	done      bool
}

func newPacer(clock bridge.Clock) *pacer {
	return &pacer{clock: clock, buckets: map[string]*bucket{}, changed: make(chan struct{})}
}

func (p *pacer) bucketLocked(key string, spec bucketSpec) *bucket {
	b, ok := p.buckets[key]
	if !ok {
		b = &bucket{learn: newLearner(spec.start, spec.burst, spec.cap), tokens: spec.burst, last: p.clock.Now(), kick: make(chan struct{}, 1)}
		p.buckets[key] = b
	}
	return b
}

// refill adds the tokens earned since last at the current rate; a blocked
// bucket earns nothing until the block ends.
func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens += now.Sub(b.last).Seconds() * b.learn.rate
		if b.tokens > b.learn.burst {
			b.tokens = b.learn.burst
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

// head is the waiter to serve next: by priority, then arrival, except that
// a normal waiter older than promoteAfter goes before younger high ones.
func (b *bucket) head(now time.Time) *ticket {
	if q := b.queues[prioUrgent]; len(q) > 0 {
		return q[0]
	}
	if hq, nq := b.queues[prioHigh], b.queues[prioNormal]; len(nq) > 0 && now.Sub(nq[0].since) >= promoteAfter &&
		(len(hq) == 0 || nq[0].since.Before(hq[0].since)) {
		return nq[0]
	}
	for pr := numPriorities - 1; pr >= 0; pr-- {
		if len(b.queues[pr]) > 0 {
			return b.queues[pr][0]
		}
	}
	return nil
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

// wakeLocked makes a parked dispatcher look at the bucket again.
func (p *pacer) wakeLocked(b *bucket) {
	if !b.running {
		return
	}
	b.kicked = true
	p.notifyLocked()
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
func (p *pacer) wait(ctx context.Context, key string, spec bucketSpec, prio priority) (*permit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	b := p.bucketLocked(key, spec)
	now := p.clock.Now()
	b.refill(now)
	if b.queued() == 0 && !now.Before(b.blocked) && b.probe == probeNone && b.tokens >= 1 {
		b.tokens--
		b.learn.immediate()
		p.mu.Unlock()
		return &permit{p: p, b: b, immediate: true}, nil
	}
	t := &ticket{ready: make(chan struct{}), since: now}
	b.queues[prio] = append(b.queues[prio], t)
	p.notifyLocked()
	if !b.running {
		b.running = true
		go p.dispatch(b)
	}
	p.mu.Unlock()
	select {
	case <-t.ready:
		return &permit{p: p, b: b, probe: t.probe}, nil
	case <-ctx.Done():
		p.mu.Lock()
		defer p.mu.Unlock()
		if t.granted {
			// Granted while we were leaving: hand the grant back.
			if t.probe {
				b.probe = probeNext
			} else {
				b.tokens = min(b.tokens+1, b.learn.burst)
			}
		} else {
			b.remove(t)
		}
		p.notifyLocked()
		p.wakeLocked(b)
		return nil, ctx.Err()
	}
}

// dispatch grants a bucket's waiters until none is left.
func (p *pacer) dispatch(b *bucket) {
	for {
		p.mu.Lock()
		now := p.clock.Now()
		t := b.head(now)
		if t == nil {
			b.running = false
			p.notifyLocked()
			p.mu.Unlock()
			return
		}
		b.refill(now)
		var wait time.Duration // < 0: until kicked (a probe is out)
		switch {
		case now.Before(b.blocked):
			wait = b.blocked.Sub(now)
		case b.probe == probeOut:
			wait = -1
		case b.probe == probeNext:
			b.probe = probeOut
			t.probe = true
		case b.tokens >= 1:
			b.tokens--
			b.learn.queued(now)
		default:
			wait = max(time.Duration((1-b.tokens)/b.learn.rate*float64(time.Second)), time.Nanosecond)
		}
		if wait == 0 {
			b.remove(t)
			t.granted = true
			close(t.ready)
			p.notifyLocked()
			p.mu.Unlock()
			continue
		}
		var timer <-chan time.Time
		b.wakeAt = time.Time{}
		if wait > 0 {
			timer = p.clock.After(wait)
			b.wakeAt = now.Add(wait)
		}
		b.parked = true
		p.notifyLocked()
		p.mu.Unlock()
		select {
		case <-timer:
		case <-b.kick:
		}
		p.mu.Lock()
		select {
		case <-b.kick:
		default:
		}
		b.parked, b.kicked = false, false
		p.notifyLocked()
		p.mu.Unlock()
	}
}

// accepted reports that Slack answered the request without a 429 (an
// error answer counts: Slack's limiter let it through).
func (pm *permit) accepted() {
	p, b := pm.p, pm.b
	p.mu.Lock()
	defer p.mu.Unlock()
	if pm.done {
		return
	}
	pm.done = true
	b.learn.accept()
	if pm.probe && b.probe == probeOut {
		// The probe passed: the rest follow at the learned rate, from an
		// empty bucket rather than as a burst.
		now := p.clock.Now()
		b.probe = probeNone
		b.learn.probeAccepted()
		b.tokens, b.last = 0, now
		p.wakeLocked(b)
	}
}

// limited reports a 429: the bucket is blocked until retryAfter has passed,
// and the next request is a probe. The first 429 of an episode on an
// ordinary request lowers the learned rate; a refused probe undoes that
// (see learner.probeRefused); a 429 on a request that was already in flight
// when the bucket got blocked says nothing new.
func (pm *permit) limited(retryAfter time.Duration) {
	p, b := pm.p, pm.b
	p.mu.Lock()
	defer p.mu.Unlock()
	if pm.done {
		return
	}
	pm.done = true
	now := p.clock.Now()
	b.refill(now)
	switch {
	case pm.probe:
		b.learn.probeRefused(now)
	case !now.Before(b.blocked) && b.probe == probeNone:
		b.learn.limited(now, pm.immediate)
	}
	until := now.Add(retryAfter)
	if until.After(b.blocked) {
		b.blocked = until
	}
	b.probe = probeNext
	b.tokens, b.last = 0, b.blocked
	p.wakeLocked(b)
}

// release reports a request without an answer from Slack (network error,
// cancelled): it teaches nothing, and a probe's turn passes to the next.
func (pm *permit) release() {
	p, b := pm.p, pm.b
	p.mu.Lock()
	defer p.mu.Unlock()
	if pm.done {
		return
	}
	pm.done = true
	if pm.probe && b.probe == probeOut {
		b.probe = probeNext
		p.wakeLocked(b)
	}
}

// rate returns the learned rate of key (0 when the bucket does not exist).
func (p *pacer) rate(key string) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.buckets[key]; ok {
		return b.learn.rate
	}
	return 0
}
