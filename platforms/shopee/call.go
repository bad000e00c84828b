package shopee

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// apiCall is one Open Platform request before signing.
type apiCall struct {
	path       string
	op         string
	method     string
	query      url.Values
	body       any
	idempotent bool
}

// api is the call's short name, e.g. "get_message": its rate-limit bucket.
func (a apiCall) api() string {
	for i := len(a.path) - 1; i >= 0; i-- {
		if a.path[i] == '/' {
			return a.path[i+1:]
		}
	}
	return a.path
}

// callShop runs a Shop API call with the store's access token. An invalid
// access token is refreshed (single-flighted per store) and the call retried
// once: the server refused the first attempt, so even a send is safe to repeat.
func (c *Client) callShop(ctx context.Context, store bridge.Store, a apiCall) (json.RawMessage, error) {
	for try := 0; ; try++ {
		token, err := c.tok.AccessToken(ctx, store)
		if err != nil {
			return nil, err
		}
		body, err := c.do(ctx, store, a, token)
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
		env, err := decodeEnvelope(body)
		if err != nil {
			return nil, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: string(bridge.PlatformShopee), Op: a.op, Message: err.Error()}
		}
		return env.Response, nil
	}
}

// callPublic runs a Public API call (auth, push) and returns the whole body.
func (c *Client) callPublic(ctx context.Context, store bridge.Store, a apiCall) ([]byte, error) {
	return c.do(ctx, store, a, "")
}

// do signs and sends one call; token == "" signs it as a Public API.
func (c *Client) do(ctx context.Context, store bridge.Store, a apiCall, token string) ([]byte, error) {
	u := *c.base
	u.Path = c.base.Path + a.path
	q := url.Values{}
	for k, v := range a.query {
		q[k] = v
	}
	q.Set("partner_id", strconv.FormatInt(c.cfg.PartnerID, 10))
	if token != "" {
		q.Set("shop_id", store.ShopID)
		q.Set("access_token", token)
	}
	u.RawQuery = q.Encode()
	var body []byte
	if a.body != nil {
		b, err := json.Marshal(a.body)
		if err != nil {
			return nil, &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformShopee), Op: a.op, Message: "encode request: " + err.Error()}
		}
		body = b
	}
	method := a.method
	if method == "" {
		method = http.MethodGet
	}
	resp, err := c.http.Do(ctx, httpx.Call{
		Store:      store,
		API:        a.api(),
		Op:         a.op,
		Method:     method,
		URL:        &u,
		Body:       body,
		Sign:       func(u *url.URL) { c.signURL(u, a.path, token, store.ShopID) },
		Idempotent: a.idempotent,
		Classify:   c.classify,
	})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// signURL sets timestamp and sign on u for the API at path.
func (c *Client) signURL(u *url.URL, path, token, shopID string) {
	ts := c.clock.Now().Unix()
	base := publicBase(c.cfg.PartnerID, path, ts)
	if token != "" {
		base = shopBase(c.cfg.PartnerID, path, ts, token, shopID)
	}
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", sign(c.cfg.PartnerKey, base))
	u.RawQuery = q.Encode()
}

func codeOf(err error) string {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
