package shopee

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// RefreshTokens refreshes the store's tokens now and saves them
// (bridge.Authorizer).
func (c *Client) RefreshTokens(ctx context.Context, store bridge.Store) (bridge.Tokens, error) {
	return c.tok.RefreshNow(ctx, store)
}

// refreshTokens spends the refresh token of cur (auth/access_token/get);
// the token provider saves the new pair before the new access token is
// used.
func (c *Client) refreshTokens(ctx context.Context, store bridge.Store, cur bridge.Tokens) (bridge.Tokens, error) {
	const op = httpx.OpRefresh
	if cur.RefreshToken == "" {
		return bridge.Tokens{}, c.authErr(op, store, "no refresh token: re-authorize the store")
	}
	shopID, err := strconv.ParseInt(store.ShopID, 10, 64)
	if err != nil {
		return bridge.Tokens{}, c.permanentErr(op, "store "+string(store.ID)+": shop_id is not numeric")
	}
	body, err := c.callPublic(ctx, store, apiCall{
		path: pathAccessTokenGet, op: op, method: http.MethodPost, idempotent: true,
		body: map[string]any{"refresh_token": cur.RefreshToken, "partner_id": c.cfg.PartnerID, "shop_id": shopID},
	})
	if err == nil {
		var t bridge.Tokens
		if t, err = c.tokensFrom(body); err == nil {
			return t, nil
		}
	}
	// Network trouble and rate limits stay retryable; anything Shopee
	// refused means the store needs re-authorizing.
	return bridge.Tokens{}, c.tok.Refused(op, store, err, "refresh refused, re-authorize the store")
}

// tokensFrom builds Tokens from a token endpoint's body.
func (c *Client) tokensFrom(body []byte) (bridge.Tokens, error) {
	env, err := decodeEnvelope(body)
	if err != nil {
		return bridge.Tokens{}, err
	}
	wt, err := decodeTokens(body, env)
	if err != nil {
		return bridge.Tokens{}, err
	}
	now := c.clock.Now()
	t := bridge.Tokens{
		AccessToken:      string(wt.AccessToken),
		RefreshToken:     string(wt.RefreshToken),
		RefreshExpiresAt: now.Add(refreshTokenLifetime),
		UpdatedAt:        now,
	}
	if wt.ExpireIn > 0 {
		t.AccessExpiresAt = now.Add(time.Duration(wt.ExpireIn) * time.Second)
	}
	return t, nil
}

// AuthorizationURL is the link a shop owner opens to authorize the app
// (bridge.Authorizer). It is signed as a Public API and valid for 5 minutes.
func (c *Client) AuthorizationURL(store bridge.Store, redirect string) (string, error) {
	if _, err := url.ParseRequestURI(redirect); err != nil || redirect == "" {
		return "", c.permanentErr("authorization link", "redirect must be an absolute URL")
	}
	u := *c.base
	u.Path = c.base.Path + pathAuthPartner
	u.RawQuery = url.Values{"partner_id": {strconv.FormatInt(c.cfg.PartnerID, 10)}, "redirect": {redirect}}.Encode()
	c.signURL(&u, pathAuthPartner, "", "")
	return u.String(), nil
}

// ExchangeCode trades the authorization callback's code for the store's
// first tokens and saves them (bridge.Authorizer).
func (c *Client) ExchangeCode(ctx context.Context, store bridge.Store, code string) (bridge.Tokens, error) {
	shopID, err := strconv.ParseInt(store.ShopID, 10, 64)
	if err != nil {
		return bridge.Tokens{}, c.permanentErr("exchange code", "store "+string(store.ID)+": shop_id is not numeric")
	}
	if code == "" {
		return bridge.Tokens{}, c.permanentErr("exchange code", "the authorization callback carried no code")
	}
	t, err := c.tok.Exchange(ctx, store, func(ctx context.Context) (bridge.Tokens, error) {
		body, err := c.callPublic(ctx, store, apiCall{
			path: pathTokenGet, op: "exchange code", method: http.MethodPost, idempotent: true,
			body: map[string]any{"code": code, "partner_id": c.cfg.PartnerID, "shop_id": shopID},
		})
		if err != nil {
			return bridge.Tokens{}, httpx.TokenRefusal(bridge.PlatformShopee, "exchange code", store, err,
				"the authorization code was refused (codes are single-use and last 10 minutes): authorize again")
		}
		env, _ := decodeEnvelope(body)
		if wt, err := decodeTokens(body, env); err == nil && len(wt.ShopIDList) > 0 {
			found := false
			for _, id := range wt.ShopIDList {
				found = found || string(id) == store.ShopID
			}
			if !found {
				return bridge.Tokens{}, c.permanentErr("exchange code", fmt.Sprintf("the code authorized other shops, not shop %s of store %s", store.ShopID, store.ID))
			}
		}
		t, err := c.tokensFrom(body)
		if err != nil {
			return bridge.Tokens{}, c.permanentErr("exchange code", err.Error())
		}
		return t, nil
	})
	if err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("store authorized", "store", string(store.ID))
	return t, nil
}

func (c *Client) authErr(op string, store bridge.Store, msg string) error {
	return httpx.AuthError(bridge.PlatformShopee, op, store, msg)
}

func (c *Client) permanentErr(op, msg string) error {
	return httpx.PermanentError(bridge.PlatformShopee, op, msg)
}
