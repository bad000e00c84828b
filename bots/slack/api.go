package slack

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// Slack Web API methods the surface calls, with their rate-limit tier.
const (
	methodPostMessage   = "chat.postMessage"
	methodUpdate        = "chat.update"
	methodPostEphemeral = "chat.postEphemeral"
	methodPermalink     = "chat.getPermalink"
	methodReactionAdd   = "reactions.add"
	methodReactionDel   = "reactions.remove"
	methodReplies       = "conversations.replies"
	methodGroupMembers  = "usergroups.users.list"
	methodUserInfo      = "users.info"
	methodAuthTest      = "auth.test"
)

// methodTier is the Slack rate-limit tier of each method; chat.postMessage is
// paced per channel instead.
var methodTier = map[string]int{
	methodUpdate:        3,
	methodPostEphemeral: 4,
	methodPermalink:     4,
	methodReactionAdd:   3,
	methodReactionDel:   2,
	methodReplies:       3,
	methodGroupMembers:  2,
	methodUserInfo:      4,
	methodAuthTest:      4,
}

// call describes one Web API request for pacing, retries and health.
type call struct {
	// op is what is being done, for errors and logs ("post message").
	op     string
	method string
	// channel is the channel the request targets, if any: posts are paced
	// per channel and channel failures mark that channel broken.
	channel string
	prio    priority
	// idempotent calls are retried on transient failures; a post is retried
	// only when it certainly did not reach Slack.
	idempotent bool
}

// pacing returns the bucket key of c and how its bucket starts: posts per
// channel from the documented one per second, tiered methods per method
// from their tier's documented rate; each capped by the configured maximum.
func (s *Surface) pacing(c call) (string, bucketSpec) {
	p := s.cfg.Pacing
	if c.method == methodPostMessage {
		return "post:" + c.channel, bucketSpec{start: p.PostPerSecond, burst: float64(p.PostBurst), cap: p.PostMaxPerSecond}
	}
	perMinute := p.Tier3PerMinute
	switch methodTier[c.method] {
	case 2:
		perMinute = p.Tier2PerMinute
	case 4:
		perMinute = p.Tier4PerMinute
	}
	return "method:" + c.method, bucketSpec{start: perMinute / 60, burst: float64(p.MethodBurst), cap: p.MethodMaxPerMinute / 60}
}

// do runs fn under the call's pacing. A 429 blocks the bucket for Slack's
// Retry-After, teaches the bucket's learner, and the request is repeated, so
// nothing is lost to a rate limit; only when ctx ends or the waits exceed
// Pacing.MaxRateLimitWait does it return a rate-limited error (the caller's
// work then stays queued). Idempotent calls are retried on transient
// failures. Every error returned is a classified *bridge.PlatformError, and
// auth and channel failures feed the surface's health.
func (s *Surface) do(ctx context.Context, c call, fn func(context.Context) error) error {
	if s.aborted() {
		return abortedError(c.op, true)
	}
	ctx, cancel := s.abortable(ctx)
	defer cancel()
	key, spec := s.pacing(c)
	var waited time.Duration
	var lastRate *bridge.PlatformError
	attempt := 0
	backoff := s.cfg.Pacing.RetryBackoff
	for {
		pm, err := s.pacer.wait(ctx, key, spec, c.prio)
		if err != nil {
			if s.aborted() {
				return abortedError(c.op, true)
			}
			if lastRate != nil {
				return lastRate
			}
			return classify(c.op, err)
		}
		err = fn(ctx)
		if err == nil {
			pm.accepted()
			s.health.succeeded(c.channel)
			return nil
		}
		if s.aborted() {
			pm.release()
			return abortedError(c.op, false)
		}
		pe := classify(c.op, err)
		switch {
		case pe.Kind == bridge.KindRateLimited:
			pm.limited(pe.RetryAfter)
		case answered(err):
			pm.accepted()
		default:
			pm.release()
		}
		switch pe.Kind {
		case bridge.KindRateLimited:
			lastRate = pe
			waited += pe.RetryAfter
			if waited > s.cfg.Pacing.MaxRateLimitWait {
				return pe
			}
			s.log.Debug("rate limited by Slack; waiting", "op", c.op, "method", c.method, "channel", c.channel, "retry_after", pe.RetryAfter)
			continue
		case bridge.KindTransient:
			if ctx.Err() == nil && attempt < s.cfg.Pacing.TransientRetries && (c.idempotent || pe.NotDelivered) {
				attempt++
				s.log.Debug("transient Slack failure; retrying", "op", c.op, "method", c.method, "attempt", attempt, "err", pe)
				if !bridge.Sleep(ctx, s.clock, backoff) {
					return pe
				}
				backoff *= 2
				continue
			}
		}
		s.health.failed(c, pe)
		return pe
	}
}

// answered reports whether err is an answer from Slack (an error code or
// an HTTP status), which means Slack's rate limiter let the request through,
// rather than a request that got no answer.
func answered(err error) bool {
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	return errors.As(err, &se) || errors.As(err, &sc)
}

// ignoreCodes turns the listed Slack error codes into success.
func ignoreCodes(err error, codes ...string) error {
	if err == nil {
		return nil
	}
	code := codeOf(err)
	for _, c := range codes {
		if code == c {
			return nil
		}
	}
	return err
}

// isCode reports whether err carries Slack error code code.
func isCode(err error, code string) bool {
	return err != nil && codeOf(err) == code
}

// asPlatform returns err's PlatformError, or nil.
func asPlatform(err error) *bridge.PlatformError {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
