package tiktok

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Tokens [DOC TT-AUTH]: GET auth host /api/v2/token/get (auth_code) and
// /api/v2/token/refresh (refresh_token), app_key and app_secret in the
// query. Both *_expire_in fields are absolute Unix timestamps. The access
// token lasts 7 days by default; the refresh token's duration is not
// documented (see unverified.go), so the client saves whatever refresh
// token each answer carries.

// RefreshTokens refreshes the store's tokens now and saves them
// (bridge.Authorizer).
func (c *Client) RefreshTokens(ctx context.Context, store bridge.Store) (bridge.Tokens, error) {
	return c.tok.RefreshNow(ctx, store)
}

// refreshTokens spends the refresh token of cur; the token provider saves
// the new pair before the new access token is used.
func (c *Client) refreshTokens(ctx context.Context, store bridge.Store, cur bridge.Tokens) (bridge.Tokens, error) {
	const op = httpx.OpRefresh
	if cur.RefreshToken == "" {
		return bridge.Tokens{}, c.authErr(op, store, "no refresh token: authorize the store again")
	}
	if !cur.RefreshExpiresAt.IsZero() && !c.clock.Now().Before(cur.RefreshExpiresAt) {
		return bridge.Tokens{}, c.authErr(op, store, "the refresh token expired on "+cur.RefreshExpiresAt.UTC().Format("2006-01-02")+": authorize the store again")
	}
	data, err := c.callAuth(ctx, store, "token_refresh", op, pathTokenRefresh, url.Values{
		"refresh_token": {cur.RefreshToken}, "grant_type": {"refresh_token"},
	})
	if err == nil {
		var t bridge.Tokens
		if t, _, err = c.tokensFrom(data); err == nil {
			return t, nil
		}
	}
	// Network trouble and rate limits stay retryable; anything TikTok
	// refused means the store needs authorizing again.
	return bridge.Tokens{}, c.tok.Refused(op, store, err, "TikTok refused the refresh token: authorize the store again")
}

// tokensFrom builds Tokens from a token endpoint's data. The expiries are
// absolute Unix timestamps [DOC]; see absoluteExpiry for the guard.
func (c *Client) tokensFrom(data []byte) (bridge.Tokens, wireTokens, error) {
	wt, err := decodeTokens(data)
	if err != nil {
		return bridge.Tokens{}, wt, err
	}
	now := c.clock.Now()
	return bridge.Tokens{
		AccessToken:      string(wt.AccessToken),
		RefreshToken:     string(wt.RefreshToken),
		AccessExpiresAt:  absoluteExpiry(int64(wt.AccessTokenExpireIn), now),
		RefreshExpiresAt: absoluteExpiry(int64(wt.RefreshTokenExpireIn), now),
		UpdatedAt:        now,
	}, wt, nil
}

// AuthorizationURL is the link a shop owner opens to authorize the app
// (bridge.Authorizer): authorize_url?service_id=…&state=…, the service
// authorization link Partner Center gives, with the bridge's single-use
// state. TikTok sends the owner back to the Redirect URL registered in
// Partner Center (not to redirect): register PublicURL+auth_redirect_path
// there; that endpoint forwards to redirect's callback (see RegisterRoutes).
// UNVERIFIED: the link's parameters beyond service_id and state.
func (c *Client) AuthorizationURL(store bridge.Store, redirect string) (string, error) {
	const op = "authorization link"
	if c.cfg.ServiceID == "" {
		return "", c.permanentErr(op, "tiktok.service_id is not set: copy the service_id of the app's authorization link from Partner Center")
	}
	r, err := url.Parse(redirect)
	if err != nil || redirect == "" {
		return "", c.permanentErr(op, "redirect must be an absolute URL")
	}
	state := r.Query().Get("state")
	if state == "" {
		return "", c.permanentErr(op, "the bridge's redirect carries no state")
	}
	c.learnStore(store)
	u, _ := url.Parse(c.cfg.AuthorizeURL)
	q := u.Query()
	q.Set("service_id", c.cfg.ServiceID)
	q.Set("state", packState(store.ID, state))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// ExchangeCode trades the authorization callback's code (single-use, 30
// minutes) for the store's first tokens and saves them (bridge.Authorizer).
// It refuses a token that is not a seller's or lacks the customer-service
// scope, and one whose authorized shops do not include the store's.
func (c *Client) ExchangeCode(ctx context.Context, store bridge.Store, code string) (bridge.Tokens, error) {
	const op = "exchange code"
	if code == "" {
		return bridge.Tokens{}, c.permanentErr(op, "the authorization callback carried no code")
	}
	c.learnStore(store)
	var wt wireTokens
	t, err := c.tok.Exchange(ctx, store, func(ctx context.Context) (bridge.Tokens, error) {
		data, err := c.callAuth(ctx, store, "token_get", op, pathTokenGet, url.Values{
			"auth_code": {code}, "grant_type": {"authorized_code"},
		})
		if err != nil {
			return bridge.Tokens{}, httpx.TokenRefusal(bridge.PlatformTikTok, op, store, err,
				"TikTok refused the authorization code (codes are single-use and last 30 minutes): authorize again")
		}
		var t bridge.Tokens
		t, wt, err = c.tokensFrom(data)
		if err != nil {
			return bridge.Tokens{}, c.permanentErr(op, err.Error())
		}
		if wt.UserType != nil && *wt.UserType != 0 {
			return bridge.Tokens{}, c.permanentErr(op, "the authorization is not a seller's (user_type "+strconv.FormatInt(int64(*wt.UserType), 10)+"): log in as the shop's seller account")
		}
		if len(wt.GrantedScopes) > 0 && !slices.Contains(wt.GrantedScopes, flexString(scopeCustomerService)) {
			return bridge.Tokens{}, c.permanentErr(op, "the authorization does not grant the Customer Service scope ("+scopeCustomerService+"): enable it for the app in Partner Center and authorize again")
		}
		// Which shops the token covers: checked before the tokens are saved
		// for this store. A failure to check is not a refusal: the code is
		// spent, so the tokens are kept, and the first call checks again.
		shops, serr := c.authorizedShops(ctx, store, t.AccessToken)
		if serr == nil {
			cipher, ok := cipherOf(shops, store.ShopID)
			if !ok {
				return bridge.Tokens{}, &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformTikTok), Op: op,
					Message: "the seller authorized shops " + shopList(shops) + ", not shop " + store.ShopID + " of store " + string(store.ID), Err: bridge.ErrShopMismatch}
			}
			st := c.state(store.ID)
			st.cipherMu.Lock()
			st.cipher = cipher
			st.cipherMu.Unlock()
		} else {
			c.log.Warn("could not check which shops the new tokens cover; keeping them", "store", string(store.ID), "err", serr)
		}
		return t, nil
	})
	if err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("store authorized", "store", string(store.ID), "seller", string(wt.SellerName), "region", string(wt.SellerBaseRegion),
		"access_expires", t.AccessExpiresAt.UTC().Format(time.RFC3339))
	return t, nil
}

// scopeCustomerService is the scope key of the Customer Service package
// [DOC TT-CS spec scope_list].
const scopeCustomerService = "seller.customer_service"

// RegisterRoutes registers the webhook endpoint (webhook_path) and the
// authorization redirect (auth_redirect_path) on the bridge's listener.
func (c *Client) RegisterRoutes(r bridge.Routes) {
	r.Handle(c.cfg.WebhookPath, c.WebhookHandler())
	r.Handle(c.cfg.AuthRedirectPath, c.AuthRedirectHandler())
}

// AuthRedirectHandler is the endpoint at auth_redirect_path (see
// serveAuthRedirect).
func (c *Client) AuthRedirectHandler() http.Handler { return http.HandlerFunc(c.serveAuthRedirect) }

// serveAuthRedirect receives the shop owner from TikTok (the Redirect URL
// registered in Partner Center: ?code=…&state=…) and forwards them to the
// bridge's callback with the store the state names.
func (c *Client) serveAuthRedirect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	q := r.URL.Query()
	store, state, ok := unpackState(q.Get("state"))
	if !ok {
		http.Error(w, "This authorization link is not valid. Ask an admin for a new one.", http.StatusBadRequest)
		return
	}
	fwd := url.Values{"store": {string(store)}, "state": {state}, "code": {q.Get("code")}}
	if e := q.Get("error"); e != "" {
		fwd.Set("error", e)
	}
	http.Redirect(w, r, bridge.CallbackPath(bridge.PlatformTikTok)+"?"+fwd.Encode(), http.StatusFound)
}

// packState carries the store with the bridge's state token through
// TikTok's authorization: "<store>~<token>".
func packState(store bridge.StoreID, token string) string { return string(store) + "~" + token }

func unpackState(s string) (bridge.StoreID, string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '~' {
			if i == 0 || i == len(s)-1 {
				return "", "", false
			}
			return bridge.StoreID(s[:i]), s[i+1:], true
		}
	}
	return "", "", false
}
