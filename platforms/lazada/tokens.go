package lazada

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// RefreshTokens refreshes the store's tokens now and saves them
// (bridge.Authorizer).
func (c *Client) RefreshTokens(ctx context.Context, store bridge.Store) (bridge.Tokens, error) {
	return c.tok.RefreshNow(ctx, store)
}

// refreshTokens calls /auth/token/refresh with the refresh token of cur;
// the token provider saves the new pair before the new access token is
// used. A refresh token past its expiry is not sent: Lazada documents that
// the seller must authorize again [DOC LZ-AUTH].
func (c *Client) refreshTokens(ctx context.Context, store bridge.Store, cur bridge.Tokens) (bridge.Tokens, error) {
	const op = httpx.OpRefresh
	if cur.RefreshToken == "" {
		return bridge.Tokens{}, c.authErr(op, store, "no refresh token: re-authorize the store")
	}
	if exp := cur.RefreshExpiresAt; !exp.IsZero() && !c.clock.Now().Before(exp) {
		return bridge.Tokens{}, c.authErr(op, store, "the refresh token expired on "+exp.UTC().Format(time.RFC3339)+": re-authorize the store")
	}
	body, err := c.do(ctx, store, c.authBase, apiCall{path: pathTokenRefresh, op: op, method: http.MethodPost, idempotent: true,
		params: url.Values{"refresh_token": {cur.RefreshToken}}}, "")
	if err != nil {
		// Network trouble and rate limits stay retryable; anything Lazada
		// refused means the store needs authorizing again.
		return bridge.Tokens{}, c.tok.Refused(op, store, err, "refresh refused, re-authorize the store")
	}
	wt, err := decodeTokens(body)
	if err != nil {
		return bridge.Tokens{}, c.decodeErr(op, err) // a garbled answer stays retryable
	}
	return c.tokensFrom(wt, cur, true), nil
}

// tokensFrom builds Tokens from a token response. expires_in and
// refresh_expires_in are seconds from now [DOC LZ-TOKEN]. A refresh does
// not extend the refresh token's lifetime [DOC LZ-AUTH]: the saved expiry
// of the first grant is kept, unless the response names an earlier one.
func (c *Client) tokensFrom(wt wireTokens, prev bridge.Tokens, refreshed bool) bridge.Tokens {
	now := c.clock.Now()
	t := bridge.Tokens{
		AccessToken:  string(wt.AccessToken),
		RefreshToken: string(wt.RefreshToken),
		UpdatedAt:    now,
	}
	if t.RefreshToken == "" {
		t.RefreshToken = prev.RefreshToken
	}
	if wt.ExpiresIn > 0 {
		t.AccessExpiresAt = now.Add(time.Duration(wt.ExpiresIn) * time.Second)
	}
	var said time.Time
	if wt.RefreshExpiresIn > 0 {
		said = now.Add(time.Duration(wt.RefreshExpiresIn) * time.Second)
	}
	switch {
	case !refreshed || prev.RefreshExpiresAt.IsZero():
		t.RefreshExpiresAt = said
	case !said.IsZero() && said.Before(prev.RefreshExpiresAt):
		t.RefreshExpiresAt = said
	default:
		t.RefreshExpiresAt = prev.RefreshExpiresAt
	}
	return t
}

// AuthorizationURL is the link a shop owner opens to authorize the app
// (bridge.Authorizer) [DOC LZ-AUTH]. redirect must be the callback URL
// registered for the app in the Lazada console.
func (c *Client) AuthorizationURL(store bridge.Store, redirect string) (string, error) {
	if u, err := url.Parse(redirect); err != nil || redirect == "" || u.Scheme == "" || u.Host == "" {
		return "", c.permanentErr("authorization link", "redirect must be an absolute URL")
	}
	u, err := url.Parse(c.cfg.AuthorizeURL)
	if err != nil {
		return "", c.permanentErr("authorization link", "lazada.authorize_url is not a URL")
	}
	q := url.Values{
		"response_type": {"code"},
		"force_auth":    {"true"},
		"redirect_uri":  {redirect},
		"client_id":     {c.cfg.AppKey},
	}
	if country := authorizeCountry(store.Site); country != "" {
		q.Set("country", country)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ExchangeCode trades the authorization callback's code for the store's
// first tokens and saves them (bridge.Authorizer).
func (c *Client) ExchangeCode(ctx context.Context, store bridge.Store, code string) (bridge.Tokens, error) {
	const op = "exchange code"
	if strings.TrimSpace(code) == "" {
		return bridge.Tokens{}, c.permanentErr(op, "the authorization callback carried no code")
	}
	t, err := c.tok.Exchange(ctx, store, func(ctx context.Context) (bridge.Tokens, error) {
		body, err := c.do(ctx, store, c.authBase, apiCall{path: pathTokenCreate, op: op, method: http.MethodPost, idempotent: true,
			params: url.Values{"code": {code}}}, "")
		if err != nil {
			return bridge.Tokens{}, c.tok.Refused(op, store, err,
				"the authorization code was refused (codes are single-use and last 30 minutes): authorize again")
		}
		wt, err := decodeTokens(body)
		if err != nil {
			return bridge.Tokens{}, c.permanentErr(op, err.Error())
		}
		if sellers := wt.sellers(); len(sellers) > 0 {
			found := false
			var ids []string
			for _, s := range sellers {
				found = found || string(s.SellerID) == store.ShopID
				ids = append(ids, string(s.SellerID))
			}
			if !found {
				return bridge.Tokens{}, c.permanentErr(op, fmt.Sprintf("the code authorized seller %s, not seller %s of store %s",
					strings.Join(ids, ", "), store.ShopID, store.ID))
			}
		}
		return c.tokensFrom(wt, bridge.Tokens{}, false), nil
	})
	if err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("store authorized", "store", string(store.ID), "refresh_expires", t.RefreshExpiresAt.Format(time.RFC3339))
	return t, nil
}
