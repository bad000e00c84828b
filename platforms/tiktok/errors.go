package tiktok

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// TikTok error codes [DOC TT-ERR common-errors, TT-CS error lists].
const (
	codeTooManyRequests    = 36009002
	codeInternal           = 36009003
	codeCredentials        = 36009004
	codeRequestTimeout     = 36009007
	codeInvalidPath        = 36009009
	codeInvalidMethod      = 36009010
	codeIPNotAllowed       = 36009033
	codeShopMismatch       = 101000
	codeTokenExpired       = 105002
	codeMissingScope       = 105005
	codeInvalidSign        = 106001
	codeMissingShopCipher  = 106013
	codeCSInternal         = 45101001
	codeRefundCardRules    = 45101002
	codeRecordNotFound     = 45101003
	codeDailyQuota         = 45101004
	codeSensitiveContent   = 45101006
	codeNoPermission       = 45102007
	codeConversationRules  = 45109001
	codeNotSupported       = 45111001
	codeCouponCardQPS      = 45111012
	codeCouponCardRules    = 45111017
	couponCardQPSRetryWait = 2 * time.Second // 0.5 QPS [DOC]
)

// errorKinds classifies the codes whose meaning does not depend on the
// message (see classifyCode for those that do).
var errorKinds = map[int64]bridge.ErrorKind{
	codeTooManyRequests:   bridge.KindRateLimited,
	codeCouponCardQPS:     bridge.KindRateLimited,
	codeDailyQuota:        bridge.KindRateLimited,
	codeInternal:          bridge.KindTransient,
	codeRequestTimeout:    bridge.KindTransient,
	codeTokenExpired:      bridge.KindAuth,
	codeMissingScope:      bridge.KindAuth,
	codeShopMismatch:      bridge.KindAuth,
	codeInvalidSign:       bridge.KindPermanent,
	codeMissingShopCipher: bridge.KindPermanent,
	codeIPNotAllowed:      bridge.KindPermanent,
	codeInvalidPath:       bridge.KindPermanent,
	codeInvalidMethod:     bridge.KindPermanent,
	codeRefundCardRules:   bridge.KindPermanent,
	codeRecordNotFound:    bridge.KindPermanent,
	codeSensitiveContent:  bridge.KindPermanent,
	codeNoPermission:      bridge.KindPermanent,
	codeConversationRules: bridge.KindPermanent,
	codeNotSupported:      bridge.KindPermanent,
	codeCouponCardRules:   bridge.KindPermanent,
}

// explanations are added to TikTok's own message where it alone would not
// tell an agent or an operator what to do.
var explanations = map[int64]string{
	codeConversationRules: "TikTok Shop does not allow replies in this conversation now (conversation rules: the buyer chatted within 30 days, ordered within 60 days, or has a return/refund; a conversation closes when nobody writes for a while)",
	codeSensitiveContent:  "TikTok Shop refused the reply: it contains words its policies do not allow; rephrase it",
	codeNoPermission:      "the shop has no permission for this conversation",
	codeMissingScope:      "the app or the shop's authorization lacks the Customer Service scope (seller.customer_service): check the app's scopes in Partner Center (it needs Partner Manager approval) and authorize the store again",
	codeShopMismatch:      "the access token does not belong to this shop (or is invalid): authorize the store again",
	codeInvalidSign:       "TikTok refused the signature: check tiktok.app_secret",
	codeIPNotAllowed:      "this host's IP address is not in the app's IP allow list in Partner Center",
	codeMissingShopCipher: "TikTok wants the shop's shop_cipher",
	codeDailyQuota:        "the shop's daily customer-service quota (10,000 calls) is used up",
}

// classify turns a TikTok response into nil (success) or a classified
// error. The envelope's code decides whatever the HTTP status; the status
// decides only for a body that is not an envelope (a gateway's page).
func (c *Client) classify(op string) func(status int, h http.Header, body []byte) *bridge.PlatformError {
	return func(status int, h http.Header, body []byte) *bridge.PlatformError {
		env, ok := decodeEnvelope(body)
		if !ok {
			if pe := httpx.StatusError(status, h, "", c.clock, c.cfg.RateLimitWait); pe != nil {
				return pe
			}
			// A 2xx that is not a TikTok envelope: a proxy page or a cut body.
			return httpx.NotEnvelope(status, "TikTok")
		}
		code := env.code()
		if code == 0 {
			return nil
		}
		return c.classifyCode(op, status, h, code, string(env.Message), string(env.RequestID))
	}
}

// classifyCode classifies one error code (see the table in errors_test.go).
func (c *Client) classifyCode(op string, status int, h http.Header, code int64, msg, requestID string) *bridge.PlatformError {
	pe := &bridge.PlatformError{Code: strconv.FormatInt(code, 10), RequestID: requestID, Message: msg}
	kind, known := errorKinds[code]
	lower := strings.ToLower(msg)
	switch {
	case code == codeCredentials:
		// One code, several documented meanings [DOC TT-ERR].
		switch {
		case strings.Contains(lower, "timestamp"):
			// Signed too long before TikTok checked it (a stalled proxy)
			// or a skewed host clock: a re-signed retry may pass, and a
			// skewed clock shows up in the connectivity alert.
			kind = bridge.KindTransient
		case strings.Contains(lower, "access_token"), strings.Contains(lower, "access-token"), strings.Contains(lower, "access token"):
			kind = bridge.KindAuth
		default: // app_key, a missing signature, an unexpected parameter
			kind = bridge.KindPermanent
		}
	case code == codeCSInternal:
		// "Internal error" on the reads, "Invalid parameter" on Send
		// Message [DOC TT-CS]: the message tells which.
		kind = bridge.KindTransient
		if strings.Contains(lower, "invalid param") {
			kind = bridge.KindPermanent
		}
	case !known && (status >= 500 || status == http.StatusRequestTimeout):
		kind = bridge.KindTransient
	case !known && status == http.StatusTooManyRequests:
		kind = bridge.KindRateLimited
	case !known:
		kind = bridge.KindPermanent
	}
	pe.Kind = kind
	if kind == bridge.KindRateLimited {
		now := c.clock.Now()
		switch code {
		case codeDailyQuota:
			pe.RetryAfter = quotaReset(now, c.cfg.QuotaResetUTCOffset).Sub(now)
		case codeCouponCardQPS:
			pe.RetryAfter = couponCardQPSRetryWait
		default:
			pe.RetryAfter = httpx.RetryAfter(h, now, c.cfg.RateLimitWait)
		}
	}
	if ex := explanations[code]; ex != "" {
		if pe.Message == "" {
			pe.Message = ex
		} else {
			pe.Message = ex + " (TikTok: " + pe.Message + ")"
		}
	}
	if pe.Message == "" {
		pe.Message = "TikTok error " + pe.Code
	}
	if op != "" {
		pe.Op = op
	}
	return pe
}

// codeOf returns the TikTok code of err, or 0.
func codeOf(err error) int64 {
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) {
		return 0
	}
	n, _ := strconv.ParseInt(pe.Code, 10, 64)
	return n
}

// isTokenError reports whether err says the access token expired or is
// invalid: refreshed (or reloaded) and the call retried once.
func isTokenError(err error) bool {
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindAuth {
		return false
	}
	code := codeOf(err)
	return code == codeTokenExpired || code == codeCredentials
}

// isCipherError reports whether err may come from a stale shop_cipher: the
// cipher is fetched again and the call retried once.
func isCipherError(err error) bool {
	code := codeOf(err)
	return code == codeMissingShopCipher || code == codeShopMismatch
}
