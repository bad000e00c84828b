package shopee

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Shopee error codes [DOC SH-SCHEMA] with their classification. The retry
// policy follows the reference's proposal: back off on rate limits and
// server errors, refresh on an invalid access token, never retry a bad
// signature, a bad parameter or a permission error. A code not listed here
// is transient with a 5xx or 408 status, rate-limited with 429, and
// permanent otherwise.
var errorKinds = map[string]bridge.ErrorKind{
	"error_rate_limit":          bridge.KindRateLimited,
	"error_limit":               bridge.KindRateLimited,
	"error_server":              bridge.KindTransient,
	codeSystemBusy:              bridge.KindTransient,
	"error_auth":                bridge.KindAuth,
	"invalid_acceess_token":     bridge.KindAuth, // sic: Shopee's own spelling
	codeInvalidAccessToken:      bridge.KindAuth,
	"refresh_token_expired":     bridge.KindAuth,
	"error_shop_refresh_token":  bridge.KindAuth,
	"shop_access_expired":       bridge.KindAuth,
	"shop_no_linked":            bridge.KindAuth,
	"partner_shop_no_link":      bridge.KindAuth,
	"shop_banned":               bridge.KindAuth,
	"error_sign":                bridge.KindPermanent,
	"error_param":               bridge.KindPermanent,
	"error_api_permission":      bridge.KindPermanent,
	"error_api_call_restricted": bridge.KindPermanent,
	"source_ip_undeclared":      bridge.KindPermanent,
	"error_partner_key_expired": bridge.KindPermanent,
}

// classify turns a Shopee response into nil (success) or a classified error.
// The JSON body decides whatever the HTTP status (which is UNVERIFIED).
func (c *Client) classify(status int, h http.Header, body []byte) *bridge.PlatformError {
	var env envelope
	isEnvelope := decodeObject(body, &env) == nil && len(body) > 0
	if !isEnvelope || env.Error == "" {
		if pe := httpx.StatusError(status, h, string(env.RequestID), c.clock, c.cfg.RateLimitWait); pe != nil {
			return pe
		}
		if !isEnvelope {
			// A 2xx that is not a Shopee envelope: a proxy page or a cut body.
			return httpx.NotEnvelope(status, "Shopee")
		}
		return nil
	}
	code, msg := string(env.Error), string(env.Message)
	pe := &bridge.PlatformError{Code: code, Message: msg, RequestID: string(env.RequestID)}
	kind, known := errorKinds[code]
	switch {
	case !known && (status >= 500 || status == http.StatusRequestTimeout):
		kind = bridge.KindTransient
	case !known && status == http.StatusTooManyRequests:
		kind = bridge.KindRateLimited
	case !known:
		kind = bridge.KindPermanent
	}
	if code == "error_auth" {
		switch transient, permission := errorAuthMeaning(msg); {
		case transient:
			kind = bridge.KindTransient
		case permission:
			kind = bridge.KindPermanent
		}
	}
	if expiredTimestamp(code, msg) {
		kind = bridge.KindTransient
	}
	pe.Kind = kind
	if kind == bridge.KindRateLimited {
		now := c.clock.Now()
		if code == "error_limit" {
			pe.RetryAfter = dailyLimitReset(now).Sub(now)
		} else {
			pe.RetryAfter = httpx.RetryAfter(h, now, c.cfg.RateLimitWait)
		}
	}
	if pe.Message == "" {
		pe.Message = code
	}
	return pe
}

// isAccessTokenError reports whether err says the access token is invalid or
// expired: the one case that is refreshed and retried once.
func isAccessTokenError(err error) bool {
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindAuth {
		return false
	}
	return pe.Code == "error_auth" || pe.Code == "invalid_acceess_token" || pe.Code == codeInvalidAccessToken
}

// decodeEnvelope reads a successful body's envelope.
func decodeEnvelope(body []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return env, fmt.Errorf("decode envelope: %w", err)
	}
	return env, nil
}
