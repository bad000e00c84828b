package telegram

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"

	"github.com/shopbridge/shopbridge/bridge"
)

const platform = "telegram"

// callRecord is what the HTTP layer saw of one API call: the status and the
// Bot API's error fields, parsed from the body before the library does, so
// classification does not depend on the library's error strings.
type callRecord struct {
	status      int
	errorCode   int
	description string
	retryAfter  int
	netErr      error
}

type recordKey struct{}

// withRecord returns a context whose API call fills the returned record.
func withRecord(ctx context.Context) (context.Context, *callRecord) {
	rec := &callRecord{}
	return context.WithValue(ctx, recordKey{}, rec), rec
}

func recordFrom(ctx context.Context) *callRecord {
	rec, _ := ctx.Value(recordKey{}).(*callRecord)
	return rec
}

// classify turns a failed call into a *bridge.PlatformError:
//   - 429 → rate-limited with the body's retry_after;
//   - 401, 403 (bot kicked, blocked), "chat not found", "not enough rights" →
//     auth: the surface is down until someone fixes the bot or the group;
//   - "message thread not found" and friends → permanent, wrapping
//     bridge.ErrThreadGone, so the engine opens a new thread;
//   - network trouble, 5xx → transient (NotDelivered when the connection was
//     never made);
//   - other 4xx → permanent.
func classify(op string, rec *callRecord, err error) error {
	if err == nil {
		return nil
	}
	var pe *bridge.PlatformError
	if errors.As(err, &pe) {
		return err
	}
	var tm *bot.TooManyRequestsError
	if errors.As(err, &tm) {
		return rateLimited(op, tm.RetryAfter, err)
	}
	if rec != nil && rec.netErr != nil {
		return networkError(op, rec.netErr)
	}
	if rec != nil && rec.errorCode != 0 {
		return apiError(op, rec.errorCode, rec.description, rec.retryAfter, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: op, Message: "timed out or cancelled", Err: err}
	}
	// The library's sentinel errors, for calls made without a record.
	desc := strings.TrimSpace(err.Error())
	if _, after, ok := strings.Cut(desc, ", "); ok {
		desc = after
	}
	switch {
	case errors.Is(err, bot.ErrorUnauthorized):
		return apiError(op, 401, desc, 0, err)
	case errors.Is(err, bot.ErrorForbidden):
		return apiError(op, 403, desc, 0, err)
	case errors.Is(err, bot.ErrorBadRequest):
		return apiError(op, 400, desc, 0, err)
	case errors.Is(err, bot.ErrorNotFound):
		return apiError(op, 404, desc, 0, err)
	case errors.Is(err, bot.ErrorConflict):
		return apiError(op, 409, desc, 0, err)
	case bot.IsMigrateError(err):
		return apiError(op, 400, "group chat was upgraded to a supergroup chat", 0, err)
	}
	return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: op, Message: "request failed", Err: err}
}

func rateLimited(op string, seconds int, err error) error {
	if seconds < 1 {
		seconds = 1
	}
	d := time.Duration(seconds) * time.Second
	return &bridge.PlatformError{Kind: bridge.KindRateLimited, Platform: platform, Op: op, Code: "429",
		Message: fmt.Sprintf("Too Many Requests: retry after %d", seconds), RetryAfter: d, Err: err}
}

// networkError classifies a failure below HTTP. The URL (which carries the
// token) is never part of the message.
func networkError(op string, err error) error {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	pe := &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: op, Message: "network: " + inner.Error(), Err: redactedError{inner}}
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &de) || (errors.As(err, &oe) && oe.Op == "dial") {
		pe.NotDelivered = true
	}
	return pe
}

// redactedError hides the wrapped error's URL from Error() while keeping it
// reachable for errors.Is.
type redactedError struct{ err error }

func (r redactedError) Error() string { return r.err.Error() }
func (r redactedError) Unwrap() error { return r.err }

// apiError classifies a Bot API error response.
func apiError(op string, code int, desc string, retryAfter int, err error) error {
	if code == 429 {
		return rateLimited(op, retryAfter, err)
	}
	pe := &bridge.PlatformError{Platform: platform, Op: op, Code: strconv.Itoa(code), Message: desc, Err: err}
	d := strings.ToLower(desc)
	switch {
	case code == 401:
		pe.Kind = bridge.KindAuth
		pe.Message = "the bot token was rejected (401 Unauthorized): check telegram.token or issue a new one with BotFather"
	case threadGone(d):
		pe.Kind = bridge.KindPermanent
		pe.Err = fmt.Errorf("%w: %s", bridge.ErrThreadGone, desc)
	case code == 403 || accessProblem(d):
		pe.Kind = bridge.KindAuth
	case code >= 500 || code == 409 || code == 0:
		pe.Kind = bridge.KindTransient
	default:
		pe.Kind = bridge.KindPermanent
	}
	return pe
}

// threadGone matches the descriptions of a deleted topic or a deleted
// reply-chain header.
func threadGone(d string) bool {
	return strings.Contains(d, "message thread not found") ||
		strings.Contains(d, "topic_deleted") ||
		strings.Contains(d, "topic_id_invalid") ||
		strings.Contains(d, "message to be replied not found") ||
		strings.Contains(d, "replied message not found")
}

// accessProblem matches errors that only a person can fix: the bot was
// removed, lacks a right, or the chat id is wrong.
func accessProblem(d string) bool {
	for _, s := range []string{
		"chat not found", "not enough rights", "chat_admin_required", "chat_write_forbidden",
		"have no rights", "bot is not a member", "bot was kicked", "need administrator rights",
		"group chat was upgraded", "bot was blocked", "user is deactivated",
	} {
		if strings.Contains(d, s) {
			return true
		}
	}
	return false
}

// description returns the Bot API's description of a classified error,
// lower-cased, for the few answers the adapter handles itself.
func description(err error) string {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) {
		return strings.ToLower(pe.Message)
	}
	if err == nil {
		return ""
	}
	return strings.ToLower(err.Error())
}

func isNotModified(err error) bool {
	d := description(err)
	return strings.Contains(d, "message is not modified") || strings.Contains(d, "topic_not_modified")
}

func isTopicClosed(err error) bool { return strings.Contains(description(err), "topic_closed") }

func isEditTargetGone(err error) bool {
	d := description(err)
	return strings.Contains(d, "message to edit not found") || strings.Contains(d, "message can't be edited")
}

func isReactionTargetGone(err error) bool {
	d := description(err)
	return strings.Contains(d, "message to react not found") || strings.Contains(d, "message_id_invalid")
}

func kindOf(err error) bridge.ErrorKind {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return 0
}
