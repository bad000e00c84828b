package telegram

import (
	"context"
	"errors"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// call runs one API call that posts nothing into a chat (reads, reactions,
// button answers, webhook setup): paced globally, held only by a 429 on
// such a call to the same chat.
func (s *Surface) call(ctx context.Context, op string, chat int64, fn func(context.Context) error) error {
	return s.attempt(ctx, op, chat, prioFree, time.Time{}, false, fn)
}

// spend runs one call that posts into chat (a message, a topic, a pin, an
// edit) and so spends the group's budget: it waits in the chat's lane in
// priority order (see priority) and returns its outcome. A call made from
// inside the lane (by the job the lane is running) goes straight to the
// pacer.
func (s *Surface) spend(ctx context.Context, pr priority, op string, chat int64, fn func(context.Context) error) error {
	ctx, cancel := s.abortable(ctx)
	defer cancel()
	if chat == 0 {
		return s.attempt(ctx, op, chat, prioFree, time.Time{}, false, fn)
	}
	if inLane(ctx, chat) {
		return s.attempt(ctx, op, chat, pr, time.Time{}, false, fn)
	}
	l := s.lane(chat)
	j := &job{prio: pr, ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	l.enqueue(j)
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		if l.cancel(j) {
			return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: op,
				Message: "stopped while queued for the rate limit", NotDelivered: true, Err: ctx.Err()}
		}
		// Already being sent: its outcome must be known.
		return <-j.done
	}
}

// spendLater queues a call that posts into chat without waiting for it
// (pins): nobody needs its outcome before going on, and waiting for a
// low-priority call would hold the caller behind every buyer message.
// onDone, if set, gets the outcome.
func (s *Surface) spendLater(pr priority, op string, chat int64, fn func(context.Context) error, onDone func(error)) {
	s.lane(chat).enqueue(&job{prio: pr, ctx: context.Background(), op: op, fn: fn, onDone: onDone})
}

// attempt runs one API call of priority pr to chat: it waits for the
// pacer unless the caller holds a reservation (at), runs fn with a record
// of what the HTTP layer saw, learns from and waits out 429s of up to
// MaxRetryAfter (or, with requeue, hands the call back to its lane after
// the first), retries a request that never left twice, and classifies any
// other failure. The request itself is not cut short by ctx (only by
// RequestTimeout): a send whose outcome is unknown would be posted twice.
func (s *Surface) attempt(ctx context.Context, op string, chat int64, pr priority, at time.Time, requeue bool, fn func(context.Context) error) error {
	if s.aborted() {
		return abortedError(op, true)
	}
	ctx, cancelAbort := s.abortable(ctx)
	defer cancelAbort()
	netRetries := 0
	for {
		if at.IsZero() {
			var err error
			if at, err = s.pacer.wait(ctx, chat, pr, nil); err != nil {
				if s.aborted() {
					return abortedError(op, true)
				}
				return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: op,
					Message: "stopped while waiting for the rate limit", NotDelivered: true, Err: err}
			}
		}
		// Not cut by ctx (see above), only by RequestTimeout and AbortCalls.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.RequestTimeout)
		hctx, cancelH := s.abortable(hctx)
		hctx, rec := withRecord(hctx)
		err := fn(hctx)
		cancelH()
		cancel()
		if err == nil {
			if chat != 0 {
				s.health.chatOK(chat)
			}
			return nil
		}
		if s.aborted() {
			return abortedError(op, false)
		}
		cerr := classify(op, rec, err)
		var pe *bridge.PlatformError
		errors.As(cerr, &pe)
		switch {
		case pe.Kind == bridge.KindRateLimited:
			s.pacer.rejected(chat, pr, at, pe.RetryAfter)
			at = time.Time{}
			if pe.RetryAfter > s.cfg.Pacing.MaxRetryAfter {
				return cerr
			}
			s.log.Warn("rate limited by Telegram; waiting", "op", op, "chat", chat, "retry_after", pe.RetryAfter,
				"group_limit", s.pacer.groupLimit(chat))
			if requeue {
				return requeueError{cerr}
			}
			continue
		case pe.NotDelivered && netRetries < 2 && ctx.Err() == nil:
			// The request never reached Telegram: its slot is unspent.
			s.pacer.release(chat, pr, at)
			at = time.Time{}
			netRetries++
			select {
			case <-ctx.Done():
			case <-s.clock.After(time.Duration(netRetries) * time.Second):
			}
			continue
		case pe.Kind == bridge.KindAuth && chat != 0:
			s.health.chatFailed(chat, cerr)
		}
		return cerr
	}
}

// requeueError tells the lane to put a job back in its place after a 429.
type requeueError struct{ err error }

func (e requeueError) Error() string { return e.err.Error() }
func (e requeueError) Unwrap() error { return e.err }
