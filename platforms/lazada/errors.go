package lazada

import (
	"errors"
	"net/http"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Error codes with a classification of their own [DOC LZ-TOKEN, LZ-IM error
// tables, LZ-QA; SDK LZ-PHP]. Any other code is classified by its type:
// ISP and SYSTEM are transient (retry later [DOC pages articleId=108138]),
// ISV is permanent (the request or its data is wrong).
var errorKinds = map[string]bridge.ErrorKind{
	codeIllegalAccessToken:  bridge.KindAuth,
	codeIllegalRefreshToken: bridge.KindAuth,
	"AUTH_TYPE_UNSUPPORTED": bridge.KindAuth, // service-market apps cannot refresh: authorize again
	"InvalidCode":           bridge.KindAuth,
	codeAPICallLimit:        bridge.KindRateLimited,
	"IncompleteSignature":   bridge.KindPermanent,
	"MissingParameter":      bridge.KindPermanent,
}

const (
	codeIllegalAccessToken  = "IllegalAccessToken"
	codeIllegalRefreshToken = "IllegalRefreshToken"
	codeAPICallLimit        = "ApiCallLimit"
)

// classify turns a Lazada response into nil (success) or a classified
// error. The JSON body decides whatever the HTTP status; the status decides
// only for a body that is not a Lazada envelope.
func (c *Client) classify(status int, h http.Header, body []byte) *bridge.PlatformError {
	var env envelope
	isEnvelope := len(body) > 0 && decodeObject(body, &env) == nil
	code := string(env.Code)
	if !isEnvelope || code == "" || code == "0" {
		if pe := httpx.StatusError(status, h, string(env.RequestID), c.clock, c.cfg.RateLimitWait); pe != nil {
			return pe
		}
		if !isEnvelope {
			return httpx.NotEnvelope(status, "Lazada")
		}
		// code "0": the IM APIs may still report a business failure.
		if failed, code, msg := imFailure(env); failed {
			return &bridge.PlatformError{Kind: bridge.KindPermanent, Code: code, Message: msg, RequestID: string(env.RequestID)}
		}
		return nil
	}
	return c.classifyCode(string(env.Type), code, string(env.Message), string(env.RequestID), status, h)
}

// classifyCode classifies an error envelope {type, code, message}.
func (c *Client) classifyCode(typ, code, msg, requestID string, status int, h http.Header) *bridge.PlatformError {
	pe := &bridge.PlatformError{Code: code, Message: msg, RequestID: requestID}
	kind, known := errorKinds[code]
	switch {
	case known:
	case timestampCode(code):
		// Signed too long before Lazada checked it (a stalled proxy, a
		// skewed host clock): a re-signed retry may pass.
		kind = bridge.KindTransient
	case strings.EqualFold(typ, "ISP"), strings.EqualFold(typ, "SYSTEM"):
		kind = bridge.KindTransient
	case strings.EqualFold(typ, "ISV"):
		kind = bridge.KindPermanent
	case status >= 500 || status == http.StatusRequestTimeout:
		kind = bridge.KindTransient
	case status == http.StatusTooManyRequests:
		kind = bridge.KindRateLimited
	default:
		kind = bridge.KindPermanent
	}
	pe.Kind = kind
	if kind == bridge.KindRateLimited {
		pe.RetryAfter = banDuration(msg, c.cfg.RateLimitWait)
		if h.Get("Retry-After") != "" {
			pe.RetryAfter = httpx.RetryAfter(h, c.clock.Now(), pe.RetryAfter)
		}
	}
	if pe.Message == "" {
		pe.Message = code
	}
	return pe
}

// isAccessTokenError reports whether err says the access token is invalid
// or expired: the one case that is refreshed and retried once.
func isAccessTokenError(err error) bool {
	var pe *bridge.PlatformError
	return errors.As(err, &pe) && pe.Kind == bridge.KindAuth && pe.Code == codeIllegalAccessToken
}

func codeOf(err error) string {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func (c *Client) decodeErr(op string, err error) error {
	return httpx.DecodeError(bridge.PlatformLazada, op, err)
}

func (c *Client) permanentErr(op, msg string) error {
	return httpx.PermanentError(bridge.PlatformLazada, op, msg)
}

func (c *Client) authErr(op string, store bridge.Store, msg string) error {
	return httpx.AuthError(bridge.PlatformLazada, op, store, msg)
}
