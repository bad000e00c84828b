package lazada

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// apiCall is one LazOP request before signing.
type apiCall struct {
	path   string
	op     string
	method string
	params url.Values
	// idempotent calls (reads, token calls, mark-read) are retried on
	// transient failures; sends only when certainly not delivered.
	idempotent bool
}

// api is the call's rate-limit bucket and log name: the path without its
// leading slash ("im/message/send").
func (a apiCall) api() string { return strings.TrimPrefix(a.path, "/") }

// callSeller runs a seller API call with the store's access token on the
// store's country gateway and returns the envelope's data. An access token
// Lazada refuses (IllegalAccessToken) is refreshed (single-flighted per
// store) and the call retried once: the first attempt was refused, so even
// a send is safe to repeat.
func (c *Client) callSeller(ctx context.Context, store bridge.Store, a apiCall) (json.RawMessage, error) {
	gw, err := c.gatewayOf(store, a.op)
	if err != nil {
		return nil, err
	}
	c.remember(store)
	for try := 0; ; try++ {
		token, err := c.tok.AccessToken(ctx, store)
		if err != nil {
			return nil, err
		}
		body, err := c.do(ctx, store, gw, a, token)
		if err != nil {
			if try == 0 && isAccessTokenError(err) {
				c.log.Info("access token refused, refreshing", "store", string(store.ID), "api", a.api(), "code", codeOf(err))
				if _, rerr := c.tok.Refresh(ctx, store, token); rerr != nil {
					return nil, rerr
				}
				continue
			}
			return nil, err
		}
		var env envelope
		if err := decodeObject(body, &env); err != nil {
			return nil, c.decodeErr(a.op, err)
		}
		return env.Data, nil
	}
}

// gatewayOf returns the parsed gateway of the store's site.
func (c *Client) gatewayOf(store bridge.Store, op string) (*url.URL, error) {
	raw := c.cfg.gateway(store.Site)
	if raw == "" {
		return nil, c.permanentErr(op, "store "+string(store.ID)+": site "+strconvQuote(store.Site)+" has no Lazada gateway (sites are SG, MY, TH, VN, PH, ID)")
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, c.permanentErr(op, "store "+string(store.ID)+": bad gateway URL")
	}
	return u, nil
}

// do signs and sends one call to base+path; token == "" signs it without
// an access token (the token APIs). GET carries every parameter in the
// query, re-signed with a fresh timestamp on each attempt; POST carries
// them all form-encoded in the body, as the official SDK does [SDK LZ-PY].
func (c *Client) do(ctx context.Context, store bridge.Store, base *url.URL, a apiCall, token string) ([]byte, error) {
	u := *base
	u.Path = base.Path + a.path
	params := url.Values{}
	for k, v := range a.params {
		params[k] = v
	}
	params.Set("app_key", c.cfg.AppKey)
	params.Set("sign_method", "sha256")
	if token != "" {
		params.Set("access_token", token)
	}
	method := a.method
	if method == "" {
		method = http.MethodGet
	}
	call := httpx.Call{
		Store:      store,
		API:        a.api(),
		Op:         a.op,
		Method:     method,
		URL:        &u,
		Idempotent: a.idempotent,
		Classify:   c.classify,
	}
	if method == http.MethodGet {
		u.RawQuery = params.Encode()
		call.Sign = func(u *url.URL) {
			q := u.Query()
			c.signParams(q, a.path)
			u.RawQuery = q.Encode()
		}
	} else {
		// The body is built once: a retried POST (token calls, mark-read,
		// a send that never left) carries the first timestamp, well within
		// Lazada's 7200 s window.
		c.signParams(params, a.path)
		call.Body = []byte(params.Encode())
		call.ContentType = "application/x-www-form-urlencoded;charset=utf-8"
	}
	resp, err := c.http.Do(ctx, call)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// signParams sets timestamp (ms on the injected clock) and sign.
func (c *Client) signParams(q url.Values, path string) {
	q.Del("sign")
	q.Set("timestamp", strconv.FormatInt(c.clock.Now().UnixMilli(), 10))
	q.Set("sign", Sign(c.cfg.AppSecret, path, q))
}

func strconvQuote(s string) string { return strconv.Quote(s) }
