package bridge

import (
	"context"
	"time"
)

// WithTimeout is context.WithTimeout on clock c: the context ends d from now
// on c (a fake clock in tests), with context.DeadlineExceeded as its error.
func WithTimeout(parent context.Context, c Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	expire := func() { cancel(context.DeadlineExceeded) }
	if tc, ok := c.(TimerClock); ok {
		stop := tc.AfterFunc(d, expire)
		return ctx, func() { stop(); cancel(context.Canceled) }
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-c.After(d):
			expire()
		case <-done:
		case <-ctx.Done():
		}
	}()
	return ctx, func() { close(done); cancel(context.Canceled) }
}

// Sleep waits for d on clock c or until ctx ends; it reports whether d
// passed.
func Sleep(ctx context.Context, c Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-c.After(d):
		return true
	}
}
