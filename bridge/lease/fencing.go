package lease

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Fencing: the timer that ends a lease locally before the database could
// give it to another replica, the stop, and the bounded database calls.

// arm sets the fencing timer for the earliest end of a held lease.
func (c *Coordinator) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	var first time.Time
	for _, h := range c.held {
		if first.IsZero() || h.Until.Before(first) {
			first = h.Until
		}
	}
	if first.Equal(c.timerAt) && c.stopTimer != nil {
		return
	}
	if c.stopTimer != nil {
		c.stopTimer()
		c.stopTimer = nil
	}
	c.timerAt = first
	c.timerGen++
	if first.IsZero() {
		return
	}
	gen := c.timerGen
	c.stopTimer = afterFunc(c.clock, first.Sub(c.clock.Now()), func() { c.expire(gen) })
}

// expire ends the tenures whose time has passed without a renewal: the
// fencing, independent of a round that may be stuck on the database.
func (c *Coordinator) expire(gen int) {
	now := c.clock.Now()
	c.mu.Lock()
	if gen == c.timerGen {
		c.stopTimer, c.timerAt = nil, time.Time{}
	}
	for name, h := range c.held {
		if !now.Before(h.Until) {
			c.endLocked(name, "not renewed in time", false)
		}
	}
	c.mu.Unlock()
	c.flush()
	c.arm()
}

// stop ends every tenure (OnLost first), releases the leases and removes
// the heartbeat, on a context of its own bounded by RenewEvery per call.
func (c *Coordinator) stop() {
	c.round.Lock()
	defer c.round.Unlock()
	c.mu.Lock()
	c.stopped = true
	if c.stopTimer != nil {
		c.stopTimer()
		c.stopTimer = nil
	}
	var names []string
	for name := range c.held {
		names = append(names, name)
		c.endLocked(name, "replica stopping", true)
	}
	c.mu.Unlock()
	c.flush()
	ctx := context.Background()
	slices.Sort(names)
	for _, n := range names {
		c.release(ctx, n)
	}
	if err := c.call(ctx, func(ctx context.Context) error { return c.leases.RemoveReplica(ctx, c.holder) }); err != nil {
		c.log.Warn("replica heartbeat not removed (it will expire)", "err", err)
	}
}

// call runs one call to the database, cut after RenewEvery on the clock.
func (c *Coordinator) call(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := afterFunc(c.clock, c.cfg.RenewEvery, func() { cancel(context.DeadlineExceeded) })
	defer stop()
	err := fn(ctx)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", err, context.Cause(ctx))
	}
	return err
}

// afterFunc runs f after d on clock c; stop cancels it.
func afterFunc(c bridge.Clock, d time.Duration, f func()) (stop func() bool) {
	if tc, ok := c.(bridge.TimerClock); ok {
		return tc.AfterFunc(d, f)
	}
	done := make(chan struct{})
	var once sync.Once
	go func() {
		select {
		case <-c.After(d):
			f()
		case <-done:
		}
	}()
	return func() bool {
		stopped := false
		once.Do(func() { close(done); stopped = true })
		return stopped
	}
}
