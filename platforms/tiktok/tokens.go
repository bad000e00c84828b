package tiktok

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Tokens [DOC TT-AUTH]: GET auth host /api/v2/token/get (auth_code) and
// /api/v2/token/refresh (refresh_token), app_key and app_secret in the
// query. Both *_expire_in fields are absolute Unix timestamps. The access
// token lasts 7 days by default; the refresh token's duration is not
// documented (see unverified.go), so the client saves whatever refresh
// token each answer carries.

// saveTimeout bounds the detached context of a refresh and its save: once
// TikTok has issued a new pair, it must be saved even if the caller gives up.
const saveTimeout = 2 * time.Minute

// accessToken returns a usable access token for store, refreshing it first
// when it is about to expire.
func (c *Client) accessToken(ctx context.Context, store bridge.Store) (string, error) {
	st := c.state(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := c.loadLocked(ctx, store, st); err != nil {
		return "", err
	}
	if st.tok.AccessToken == "" {
		return "", c.authErr("authorize", store, "no tokens: authorize the store (or give it initial tokens in the config)")
	}
	if c.expiresSoon(st.tok) {
		if _, err := c.refreshLocked(ctx, store, st); err != nil {
			return "", err
		}
	}
	return st.tok.AccessToken, nil
}

// refresh refreshes the store's tokens unless stale (the access token the
// caller saw refused) was already replaced, by a concurrent refresh or by
// newer tokens saved elsewhere (an admin's re-authorization).
func (c *Client) refresh(ctx context.Context, store bridge.Store, stale string) (bridge.Tokens, error) {
	st := c.state(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := c.loadLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	if st.tok.AccessToken != "" && st.tok.AccessToken != stale {
		return st.tok, nil
	}
	if !st.unsaved {
		if t, err := c.tokens.LoadTokens(ctx, store.ID); err == nil && t.AccessToken != "" && t.AccessToken != stale {
			st.tok = t
			if !c.expiresSoon(t) {
				return t, nil
			}
		}
	}
	return c.refreshLocked(ctx, store, st)
}

// RefreshTokens refreshes the store's tokens now and saves them
// (bridge.Authorizer).
func (c *Client) RefreshTokens(ctx context.Context, store bridge.Store) (bridge.Tokens, error) {
	st := c.state(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := c.loadLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	return c.refreshLocked(ctx, store, st)
}

// loadLocked loads the store's tokens once: the saved ones, else the
// initial ones from the config. It also retries saving a refreshed pair.
func (c *Client) loadLocked(ctx context.Context, store bridge.Store, st *storeState) error {
	if !st.loaded {
		t, err := c.tokens.LoadTokens(ctx, store.ID)
		switch {
		case errors.Is(err, bridge.ErrNotFound):
			t = c.initial[store.ID]
		case errors.Is(err, bridge.ErrTokensUnreadable):
			return &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformTikTok), Op: "load tokens",
				Message: "store " + string(store.ID) + ": " + bridge.ErrTokensUnreadable.Error() + "; authorize the store again", Err: err}
		case err != nil:
			return &bridge.StateError{Op: "load tokens of store " + string(store.ID), Err: err}
		}
		st.tok, st.loaded = t, true
	}
	if st.unsaved {
		return c.saveLocked(ctx, store, st)
	}
	return nil
}

func (c *Client) saveLocked(ctx context.Context, store bridge.Store, st *storeState) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := c.tokens.SaveTokens(sctx, store.ID, st.tok); err != nil {
		// Kept in memory (unsaved) and saved again before the next use.
		return &bridge.StateError{Op: "save the refreshed tokens of store " + string(store.ID), Write: true, Err: err}
	}
	st.unsaved = false
	return nil
}

func (c *Client) expiresSoon(t bridge.Tokens) bool {
	return !t.AccessExpiresAt.IsZero() && !c.clock.Now().Before(t.AccessExpiresAt.Add(-c.cfg.TokenRefreshMargin))
}

// refreshLocked spends the refresh token and saves the new pair before the
// new access token is used.
func (c *Client) refreshLocked(ctx context.Context, store bridge.Store, st *storeState) (bridge.Tokens, error) {
	const op = "refresh access token"
	if st.tok.RefreshToken == "" {
		return bridge.Tokens{}, c.authErr(op, store, "no refresh token: authorize the store again")
	}
	if !st.tok.RefreshExpiresAt.IsZero() && !c.clock.Now().Before(st.tok.RefreshExpiresAt) {
		return bridge.Tokens{}, c.authErr(op, store, "the refresh token expired on "+st.tok.RefreshExpiresAt.UTC().Format("2006-01-02")+": authorize the store again")
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	data, err := c.callAuth(rctx, store, "token_refresh", op, pathTokenRefresh, url.Values{
		"refresh_token": {st.tok.RefreshToken}, "grant_type": {"refresh_token"},
	})
	if err != nil {
		return bridge.Tokens{}, c.refreshFailed(store, op, err)
	}
	t, _, err := c.tokensFrom(data)
	if err != nil {
		return bridge.Tokens{}, c.refreshFailed(store, op, err)
	}
	st.tok, st.unsaved = t, true
	if err := c.saveLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("access token refreshed", "store", string(store.ID), "expires", t.AccessExpiresAt.UTC().Format(time.RFC3339))
	return t, nil
}

// refreshFailed classifies a failed token call: network trouble and rate
// limits stay retryable; anything TikTok refused means the store needs
// authorizing again.
func (c *Client) refreshFailed(store bridge.Store, op string, err error) error {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) && (pe.Kind == bridge.KindTransient || pe.Kind == bridge.KindRateLimited) {
		return err
	}
	out := &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformTikTok), Op: op,
		Message: "store " + string(store.ID) + ": TikTok refused the refresh token: authorize the store again", Err: err}
	if pe != nil {
		out.Code, out.RequestID = pe.Code, pe.RequestID
		if pe.Message != "" {
			out.Message += " (" + pe.Message + ")"
		}
	}
	c.log.Warn("token refresh refused", "store", string(store.ID), "code", out.Code, "request_id", out.RequestID)
	return out
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
	st := c.state(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	data, err := c.callAuth(rctx, store, "token_get", op, pathTokenGet, url.Values{
		"auth_code": {code}, "grant_type": {"authorized_code"},
	})
	if err != nil {
		var pe *bridge.PlatformError
		if errors.As(err, &pe) && (pe.Kind == bridge.KindTransient || pe.Kind == bridge.KindRateLimited) {
			return bridge.Tokens{}, err
		}
		out := &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformTikTok), Op: op,
			Message: "store " + string(store.ID) + ": TikTok refused the authorization code (codes are single-use and last 30 minutes): authorize again", Err: err}
		if pe != nil {
			out.Code, out.RequestID = pe.Code, pe.RequestID
		}
		return bridge.Tokens{}, out
	}
	t, wt, err := c.tokensFrom(data)
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
	shops, serr := c.authorizedShops(rctx, store, t.AccessToken)
	if serr == nil {
		cipher, ok := cipherOf(shops, store.ShopID)
		if !ok {
			return bridge.Tokens{}, &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformTikTok), Op: op,
				Message: "the seller authorized shops " + shopList(shops) + ", not shop " + store.ShopID + " of store " + string(store.ID), Err: bridge.ErrShopMismatch}
		}
		st.cipherMu.Lock()
		st.cipher = cipher
		st.cipherMu.Unlock()
	} else {
		c.log.Warn("could not check which shops the new tokens cover; keeping them", "store", string(store.ID), "err", serr)
	}
	st.tok, st.loaded, st.unsaved = t, true, true
	if err := c.saveLocked(ctx, store, st); err != nil {
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
