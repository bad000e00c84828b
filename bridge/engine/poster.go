package engine

import (
	"context"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// poster drains the conversations of one destination. Conversations whose
// thread exists go first (buyer content into threads agents already see),
// conversations that need a new thread next; a waiting new conversation is
// still taken at least every freshEvery turns, so steady traffic in existing
// threads cannot starve it. Several conversations are posted at once
// (RelayConfig.Concurrency); one conversation never twice at once, so its
// messages stay in order.
type poster struct {
	r    *Relay
	dest string

	mu       sync.Mutex
	threaded *readyRing
	fresh    *readyRing
	// busy conversations are being posted; dirty ones were notified meanwhile.
	busy  map[convKey]bool
	dirty map[convKey]bool
	// cooling conversations wait for a backoff after a failure, until the
	// time each maps to.
	cooling map[convKey]time.Time
	fails   map[convKey]int
	// holdUntil pauses the whole destination (the surface is down or
	// rate-limits it).
	holdUntil time.Time
	holdFails int
	// holding counts workers asleep until the hold ends; holdWake is when
	// the last of their timers fires.
	holding  int
	holdWake time.Time
	streak   int
	inflight int
	wake     chan struct{}
}

// freshEvery bounds how many conversations with a thread are taken in a row
// while a new conversation waits.
const freshEvery = 3

func newPoster(r *Relay, dest string) *poster {
	return &poster{
		r: r, dest: dest, threaded: newReadyRing(), fresh: newReadyRing(),
		busy: map[convKey]bool{}, dirty: map[convKey]bool{}, cooling: map[convKey]time.Time{}, fails: map[convKey]int{},
		wake: make(chan struct{}, 1),
	}
}

func (p *poster) start(ctx context.Context, wg *sync.WaitGroup) {
	for i := 0; i < p.r.cfg.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx)
		}()
	}
}

// add queues a conversation; hasThread says which class it waits in.
func (p *poster) add(k convKey, hasThread bool) {
	p.mu.Lock()
	switch {
	case p.busy[k]:
		p.dirty[k] = true
	case !p.cooling[k].IsZero():
		// It comes back when its backoff ends.
	case hasThread:
		p.fresh.remove(k)
		p.threaded.add(k)
	case !p.threaded.has(k):
		p.fresh.add(k)
	}
	p.mu.Unlock()
	p.signal()
}

func (p *poster) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// take returns the next conversation to post, or how long the destination
// is held.
func (p *poster) take(now time.Time) (convKey, time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Before(p.holdUntil) {
		return convKey{}, p.holdUntil.Sub(now), false
	}
	var (
		k  convKey
		ok bool
	)
	if p.fresh.len() > 0 && (p.streak >= freshEvery || p.threaded.len() == 0) {
		k, ok = p.fresh.take()
		p.streak = 0
	} else if k, ok = p.threaded.take(); ok {
		p.streak++
	}
	if ok {
		p.busy[k] = true
		p.inflight++
		if p.threaded.len()+p.fresh.len() > 0 {
			p.signal() // another worker may take the next one
		}
	}
	return k, 0, ok
}

func (p *poster) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight > 0 {
		return false
	}
	now := p.r.clock.Now()
	for _, until := range p.cooling {
		if !now.Before(until) {
			return false // its backoff is over: it is taken again at once
		}
	}
	if p.threaded.len()+p.fresh.len() == 0 {
		return true
	}
	// Held: what is ready waits for the clock (a worker sleeps on the hold's
	// timer), not for work in progress.
	return now.Before(p.holdUntil) || (p.holding > 0 && now.Before(p.holdWake))
}

func (p *poster) work(ctx context.Context) {
	for ctx.Err() == nil {
		k, hold, ok := p.take(p.r.clock.Now())
		if !ok {
			var timer <-chan time.Time
			if hold > 0 {
				timer = p.r.clock.After(hold)
				// Read after the timer is taken: if the clock moved meanwhile,
				// this is later than the timer, never earlier.
				wake := p.r.clock.Now().Add(hold)
				p.mu.Lock()
				p.holding++
				if wake.After(p.holdWake) {
					p.holdWake = wake
				}
				p.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-p.wake:
			case <-timer:
			}
			if hold > 0 {
				p.mu.Lock()
				p.holding--
				p.mu.Unlock()
			}
			if ctx.Err() != nil {
				return
			}
			continue
		}
		out := p.r.deliver(ctx, k)
		p.finish(k, out)
	}
}

// outcome is how delivering one conversation ended.
type outcome struct {
	// more: the conversation may have more to post now.
	more bool
	// hasThread: the conversation has a thread now.
	hasThread bool
	// err is the failure, if any; holdDest says it concerns the whole
	// destination (the surface is down or rate-limits it).
	err      error
	holdDest bool
	// retryAfter is a wait the surface asked for.
	retryAfter time.Duration
}

func (p *poster) finish(k convKey, out outcome) {
	now := p.r.clock.Now()
	p.mu.Lock()
	delete(p.busy, k)
	p.inflight--
	dirty := p.dirty[k]
	delete(p.dirty, k)
	var due <-chan time.Time
	switch {
	case out.err == nil:
		delete(p.fails, k)
		p.holdFails = 0
		if out.more || dirty {
			if out.hasThread {
				p.threaded.add(k)
			} else {
				p.fresh.add(k)
			}
		}
	case out.holdDest:
		p.holdFails++
		wait := max(bridge.Backoff(p.r.cfg.Backoff, p.r.cfg.BackoffMax, p.holdFails), out.retryAfter)
		if until := now.Add(wait); until.After(p.holdUntil) {
			p.holdUntil = until
		}
		// The conversation keeps its turn once the destination is back.
		if out.hasThread {
			p.threaded.add(k)
		} else {
			p.fresh.add(k)
		}
	default:
		p.fails[k]++
		cool := max(bridge.Backoff(p.r.cfg.Backoff, p.r.cfg.BackoffMax, p.fails[k]), out.retryAfter)
		// The timer is taken before the clock is read again: it fires no
		// later than the time idle counts it due.
		due = p.r.clock.After(cool)
		p.cooling[k] = p.r.clock.Now().Add(cool)
	}
	p.mu.Unlock()
	if due != nil {
		p.r.wg.Add(1)
		go func() {
			defer p.r.wg.Done()
			select {
			case <-due:
			case <-p.r.ctx.Done():
				return
			}
			p.mu.Lock()
			delete(p.cooling, k)
			if out.hasThread {
				p.threaded.add(k)
			} else {
				p.fresh.add(k)
			}
			p.mu.Unlock()
			p.signal()
		}()
	}
	p.signal()
	p.r.idleChanged()
}
