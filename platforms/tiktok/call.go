package tiktok

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// apiCall is one Open API request before signing.
type apiCall struct {
	// path is the request path ("/customer_service/202309/conversations").
	path string
	// api is the short name: rate-limit bucket and log name.
	api    string
	op     string
	method string
	query  url.Values
	// body is marshalled to JSON (and signed); nil sends no body.
	body       any
	idempotent bool
	// shop: a shop API, sent with the store's shop_cipher. cs: a
	// customer-service API, which spends the shop's daily quota.
	shop bool
	cs   bool
}

// Customer-service API paths [DOC TT-CS] and the authorization API.
const (
	pathAuthorizedShops = "/authorization/202309/shops"
	pathConversations   = "/customer_service/202309/conversations"
	pathTokenGet        = "/api/v2/token/get"
	pathTokenRefresh    = "/api/v2/token/refresh"
)

func pathMessages(conv bridge.ConversationID) string {
	return pathConversations + "/" + url.PathEscape(string(conv)) + "/messages"
}

func pathRead(conv bridge.ConversationID) string { return pathMessages(conv) + "/read" }

// callShop runs an API call with the store's access token (and
// shop_cipher). A refused token is refreshed (single-flighted per store)
// and a refused shop_cipher fetched again, each at most once; TikTok
// refused the first attempt, so even a send is safe to repeat.
func (c *Client) callShop(ctx context.Context, store bridge.Store, a apiCall) (json.RawMessage, error) {
	c.learnStore(store)
	if a.cs {
		if until, blocked := c.quota.blocked(store.ID, c.clock.Now()); blocked {
			return nil, c.quotaErr(a.op, until)
		}
	}
	refreshed, refetched := false, false
	for {
		token, err := c.tok.AccessToken(ctx, store)
		if err != nil {
			return nil, err
		}
		cipher := ""
		if a.shop {
			if cipher, err = c.shopCipher(ctx, store, token); err != nil {
				if !refreshed && isTokenError(err) {
					refreshed = true
					if _, rerr := c.tok.Refresh(ctx, store, token); rerr != nil {
						return nil, rerr
					}
					continue
				}
				return nil, err
			}
		}
		data, err := c.do(ctx, store, a, token, cipher)
		switch {
		case err == nil:
			return data, nil
		case !refreshed && isTokenError(err):
			refreshed = true
			c.log.Info("access token refused, refreshing", "store", string(store.ID), "api", a.api, "code", codeOf(err))
			if _, rerr := c.tok.Refresh(ctx, store, token); rerr != nil {
				return nil, rerr
			}
			continue
		case a.shop && !refetched && isCipherError(err):
			refetched = true
			c.log.Info("shop_cipher refused, fetching it again", "store", string(store.ID), "api", a.api, "code", codeOf(err))
			c.dropCipher(store, cipher)
			continue
		case a.cs && codeOf(err) == codeDailyQuota:
			until := quotaReset(c.clock.Now(), c.cfg.QuotaResetUTCOffset)
			if c.quota.exhausted(store.ID, until) {
				c.log.Warn("TikTok Shop daily customer-service quota used up: no calls for this store until it resets; webhooks still deliver messages",
					"store", string(store.ID), "quota", c.cfg.DailyQuota, "resets_at", until.UTC().Format("2006-01-02T15:04:05Z07:00"))
			}
		}
		return nil, err
	}
}

// do signs and sends one API call and returns the envelope's data.
func (c *Client) do(ctx context.Context, store bridge.Store, a apiCall, token, cipher string) (json.RawMessage, error) {
	u := *c.base
	u.Path = c.base.Path + a.path
	q := url.Values{}
	for k, v := range a.query {
		q[k] = v
	}
	q.Set("app_key", c.cfg.AppKey)
	if cipher != "" {
		q.Set("shop_cipher", cipher)
	}
	u.RawQuery = q.Encode()
	var body []byte
	if a.body != nil {
		b, err := json.Marshal(a.body)
		if err != nil {
			return nil, c.permanentErr(a.op, "encode request: "+err.Error())
		}
		body = b
	}
	method := a.method
	if method == "" {
		method = http.MethodGet
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if token != "" {
		h.Set("x-tts-access-token", token)
	}
	resp, err := c.http.Do(ctx, httpx.Call{
		Store:      store,
		API:        a.api,
		Op:         a.op,
		Method:     method,
		URL:        &u,
		Body:       body,
		Header:     h,
		Sign:       func(u *url.URL) { c.signURL(u, a.path, body) },
		Idempotent: a.idempotent,
		Classify:   c.classify(a.op),
	})
	if err != nil {
		return nil, err
	}
	env, ok := decodeEnvelope(resp.Body)
	if !ok {
		return nil, c.decodeErr(a.op, errNotEnvelope)
	}
	return env.Data, nil
}

// signURL sets timestamp (seconds) and sign on u for the API at path.
func (c *Client) signURL(u *url.URL, path string, body []byte) {
	q := u.Query()
	q.Del("sign")
	q.Set("timestamp", strconv.FormatInt(c.clock.Now().Unix(), 10))
	q.Set("sign", Sign(c.cfg.AppSecret, path, q, body))
	u.RawQuery = q.Encode()
}

// callAuth runs a call on the auth host (token get and refresh): a GET
// whose query carries the app secret, so it is not signed. Its URL is never
// logged (httpx strips URLs from errors too).
func (c *Client) callAuth(ctx context.Context, store bridge.Store, api, op, path string, q url.Values) ([]byte, error) {
	u := *c.auth
	u.Path = c.auth.Path + path
	q.Set("app_key", c.cfg.AppKey)
	q.Set("app_secret", c.cfg.AppSecret)
	u.RawQuery = q.Encode()
	resp, err := c.http.Do(ctx, httpx.Call{
		Store: store, API: api, Op: op, Method: http.MethodGet, URL: &u,
		Idempotent: true, Classify: c.classify(op),
	})
	if err != nil {
		return nil, err
	}
	env, ok := decodeEnvelope(resp.Body)
	if !ok {
		return nil, c.decodeErr(op, errNotEnvelope)
	}
	return env.Data, nil
}

type wireError string

func (e wireError) Error() string { return string(e) }

const errNotEnvelope = wireError("the body is not a TikTok JSON envelope")
