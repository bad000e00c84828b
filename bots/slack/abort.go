package slack

import (
	"context"
	"errors"

	"github.com/shopbridge/shopbridge/bridge"
)

// errAborted is the cause of a call cut by AbortCalls.
var errAborted = errors.New("slack: call cut at shutdown (the shutdown grace is over)")

// AbortCalls cuts every Web API call in flight, and fails every later one
// at once, so that a stop ends within the application's shutdown grace.
//
// The core makes some chat calls on contexts a stop does not cut (a post
// and the record of it belong together, see engine.Relay), and Slack may be
// unreachable or silent: each such call would then hold the stop for
// RequestTimeout (30s), more with retries and pacing waits. The
// application calls AbortCalls when the grace is over. A call cut this way
// fails as transient; what it carried stays queued in the core and is
// posted at the next start (a post is first looked for in the thread, so
// one that did reach Slack is not posted twice).
func (s *Surface) AbortCalls() { s.abort(errAborted) }

// abortable returns ctx, ended also by AbortCalls.
func (s *Surface) abortable(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.life, func() { cancel(errAborted) })
	return ctx, func() { stop(); cancel(nil) }
}

// aborted reports whether AbortCalls was called.
func (s *Surface) aborted() bool { return s.life.Err() != nil }

// abortedError is the error of a call cut by AbortCalls; notDelivered when
// it was cut before its request was sent.
func abortedError(op string, notDelivered bool) *bridge.PlatformError {
	return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platformName, Op: op,
		Message: "cut at shutdown: the shutdown grace is over", NotDelivered: notDelivered, Err: errAborted}
}
