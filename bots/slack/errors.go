package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// platformName is the Platform of every PlatformError this package returns.
const platformName = "slack"

// Slack error codes the surface treats specially.
const (
	codeAlreadyReacted = "already_reacted"
	codeNoReaction     = "no_reaction"
	codeMessageGone    = "message_not_found"
	codeThreadGone     = "thread_not_found"
	codeCantUpdate     = "cant_update_message"
	codeInvalidBlocks  = "invalid_blocks"
	codeBlocksTooLong  = "msg_blocks_too_long"
)

// authCodes mean the token no longer works: the surface is down.
var authCodes = map[string]bool{
	"invalid_auth":            true,
	"not_authed":              true,
	"token_revoked":           true,
	"token_expired":           true,
	"account_inactive":        true,
	"org_login_required":      true,
	"team_access_not_granted": true,
}

// channelCodes mean the channel cannot take the bridge's messages: archived,
// the bot was removed, or it does not exist. Messages for it stay queued.
var channelCodes = map[string]bool{
	"is_archived":       true,
	"not_in_channel":    true,
	"channel_not_found": true,
	"restricted_action": true,
}

// transientCodes are Slack's own "try again" answers.
var transientCodes = map[string]bool{
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
	"team_added_to_org":   true,
}

// rateCodes are rate-limit answers in the body (without a Retry-After).
var rateCodes = map[string]bool{
	"ratelimited":  true,
	"rate_limited": true,
}

// defaultRetryAfter is used for a 429 without a Retry-After header.
const defaultRetryAfter = time.Second

// classify turns a slack-go error into a classified PlatformError. The
// message never carries a token: slack-go keeps tokens in request bodies,
// and URL errors are reduced to their cause (a response_url is a secret).
func classify(op string, err error) *bridge.PlatformError {
	if err == nil {
		return nil
	}
	var pe *bridge.PlatformError
	if errors.As(err, &pe) {
		return pe
	}
	out := &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platformName, Op: op}

	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var ue *url.Error
	switch {
	case errors.As(err, &rl):
		out.Kind = bridge.KindRateLimited
		out.RetryAfter = max(rl.RetryAfter, defaultRetryAfter)
		out.Code = "ratelimited"
		out.Message = "rate limited, retry after " + out.RetryAfter.String()
		out.Err = err
	case errors.As(err, &sc):
		out.Code = http.StatusText(sc.Code)
		out.Message = "HTTP " + sc.Status
		switch {
		case sc.Code == http.StatusTooManyRequests:
			out.Kind = bridge.KindRateLimited
			out.RetryAfter = defaultRetryAfter
		case sc.Code >= 500:
			out.Kind = bridge.KindTransient
		case sc.Code == http.StatusUnauthorized || sc.Code == http.StatusForbidden:
			out.Kind = bridge.KindAuth
		default:
			out.Kind = bridge.KindPermanent
		}
		out.Err = err
	case errors.As(err, &se):
		code := se.Err
		out.Code = code
		out.Err = err
		switch {
		case rateCodes[code]:
			out.Kind = bridge.KindRateLimited
			out.RetryAfter = defaultRetryAfter
		case authCodes[code]:
			out.Kind = bridge.KindAuth
			out.Message = "the Slack token is not accepted (" + code + "): the app was removed, the token revoked or mistyped"
		case transientCodes[code]:
			out.Kind = bridge.KindTransient
		default:
			out.Kind = bridge.KindPermanent
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		out.Kind = bridge.KindTransient
		out.Message = "timed out or cancelled"
		out.Err = err
	case errors.As(err, &ue):
		// Keep the cause, drop the URL.
		out.Kind = bridge.KindTransient
		out.Err = ue.Err
		out.NotDelivered = notDelivered(ue.Err)
		out.Message = ue.Err.Error()
	default:
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			out.Message = "unreadable answer from Slack"
		}
		out.Kind = bridge.KindTransient
		out.Err = err
		out.NotDelivered = notDelivered(err)
	}
	return out
}

// notDelivered reports whether a network error certainly happened before the
// request reached Slack (so a post can be retried without a duplicate).
func notDelivered(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return false
}

// codeOf returns the Slack error code of err, if it has one.
func codeOf(err error) string {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) && pe.Code != "" {
		return pe.Code
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// threadGone marks a classified error as "the thread no longer exists", so
// the engine opens a new thread and re-posts.
func threadGone(pe *bridge.PlatformError) *bridge.PlatformError {
	out := *pe
	out.Kind = bridge.KindPermanent
	out.Message = "the thread's root message was deleted"
	out.Err = bridge.ErrThreadGone
	return &out
}

// isThreadGoneCode reports whether a code says the root message is gone.
func isThreadGoneCode(code string) bool {
	return code == codeMessageGone || code == codeThreadGone
}
