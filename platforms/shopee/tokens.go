package shopee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// storeTokens caches one store's tokens. Its mutex single-flights loads and
// refreshes: two concurrent refreshes would spend the single-use refresh
// token twice and lock the store out.
type storeTokens struct {
	mu     sync.Mutex
	loaded bool
	tok    bridge.Tokens
	// unsaved is set between a refresh and a successful SaveTokens; the new
	// access token is not used until the new refresh token is saved.
	unsaved bool
}

// saveTimeout bounds the detached context of a refresh and its save: once
// Shopee has issued a new refresh token, it must be saved even if the
// caller gives up.
const saveTimeout = 2 * time.Minute

func (c *Client) entry(id bridge.StoreID) *storeTokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stores[id]
	if !ok {
		st = &storeTokens{}
		c.stores[id] = st
	}
	return st
}

// accessToken returns a usable access token for store, refreshing it first
// when it is about to expire.
func (c *Client) accessToken(ctx context.Context, store bridge.Store) (string, error) {
	st := c.entry(store.ID)
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
// caller saw refused) was already replaced by a concurrent refresh.
func (c *Client) refresh(ctx context.Context, store bridge.Store, stale string) (bridge.Tokens, error) {
	st := c.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := c.loadLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	if st.tok.AccessToken != "" && st.tok.AccessToken != stale {
		return st.tok, nil
	}
	// Another process (or an admin's re-authorization) may have saved newer tokens.
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
	st := c.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := c.loadLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	return c.refreshLocked(ctx, store, st)
}

// loadLocked loads the store's tokens once: the saved ones, else the
// initial ones from the config. It also retries saving a refreshed pair.
func (c *Client) loadLocked(ctx context.Context, store bridge.Store, st *storeTokens) error {
	if !st.loaded {
		t, err := c.tokens.LoadTokens(ctx, store.ID)
		switch {
		case errors.Is(err, bridge.ErrNotFound):
			t = c.initial[store.ID]
		case errors.Is(err, bridge.ErrTokensUnreadable):
			// Not a network fault: the store needs authorizing again.
			return &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformShopee),
				Op: "load tokens", Message: "store " + string(store.ID) + ": " + bridge.ErrTokensUnreadable.Error() + "; authorize the store again", Err: err}
		case err != nil:
			// The state database failed, not the network: a local fault.
			return &bridge.StateError{Op: "load tokens of store " + string(store.ID), Err: err}
		}
		st.tok, st.loaded = t, true
	}
	if st.unsaved {
		return c.saveLocked(ctx, store, st)
	}
	return nil
}

func (c *Client) saveLocked(ctx context.Context, store bridge.Store, st *storeTokens) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := c.tokens.SaveTokens(sctx, store.ID, st.tok); err != nil {
		// Kept in memory (unsaved) and saved again before the next use; the
		// state database failed, not the network.
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
func (c *Client) refreshLocked(ctx context.Context, store bridge.Store, st *storeTokens) (bridge.Tokens, error) {
	if st.tok.RefreshToken == "" {
		return bridge.Tokens{}, c.authErr("refresh access token", store, "no refresh token: re-authorize the store")
	}
	shopID, err := strconv.ParseInt(store.ShopID, 10, 64)
	if err != nil {
		return bridge.Tokens{}, c.permanentErr("refresh access token", "store "+string(store.ID)+": shop_id is not numeric")
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	body, err := c.callPublic(rctx, store, apiCall{
		path: pathAccessTokenGet, op: "refresh access token", method: http.MethodPost, idempotent: true,
		body: map[string]any{"refresh_token": st.tok.RefreshToken, "partner_id": c.cfg.PartnerID, "shop_id": shopID},
	})
	if err != nil {
		return bridge.Tokens{}, c.refreshFailed(store, err)
	}
	t, err := c.tokensFrom(body)
	if err != nil {
		return bridge.Tokens{}, c.refreshFailed(store, err)
	}
	st.tok, st.unsaved = t, true
	if err := c.saveLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("access token refreshed", "store", string(store.ID), "expires", t.AccessExpiresAt.Format(time.RFC3339))
	return t, nil
}

// refreshFailed classifies a failed refresh: network trouble and rate
// limits stay retryable; anything Shopee refused means the store needs
// re-authorizing.
func (c *Client) refreshFailed(store bridge.Store, err error) error {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) && (pe.Kind == bridge.KindTransient || pe.Kind == bridge.KindRateLimited) {
		return err
	}
	out := &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformShopee), Op: "refresh access token",
		Message: "store " + string(store.ID) + ": refresh refused, re-authorize the store", Err: err}
	if pe != nil {
		out.Code, out.RequestID = pe.Code, pe.RequestID
		if pe.Message != "" {
			out.Message += " (" + pe.Message + ")"
		}
	}
	c.log.Warn("token refresh refused", "store", string(store.ID), "code", out.Code, "request_id", out.RequestID)
	return out
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
	st := c.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	body, err := c.callPublic(rctx, store, apiCall{
		path: pathTokenGet, op: "exchange code", method: http.MethodPost, idempotent: true,
		body: map[string]any{"code": code, "partner_id": c.cfg.PartnerID, "shop_id": shopID},
	})
	if err != nil {
		var pe *bridge.PlatformError
		if errors.As(err, &pe) && (pe.Kind == bridge.KindTransient || pe.Kind == bridge.KindRateLimited) {
			return bridge.Tokens{}, err
		}
		out := &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformShopee), Op: "exchange code",
			Message: "store " + string(store.ID) + ": the authorization code was refused (codes are single-use and last 10 minutes): authorize again", Err: err}
		if pe != nil {
			out.Code, out.RequestID = pe.Code, pe.RequestID
		}
		return bridge.Tokens{}, out
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
	st.tok, st.loaded, st.unsaved = t, true, true
	if err := c.saveLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("store authorized", "store", string(store.ID))
	return t, nil
}

func (c *Client) authErr(op string, store bridge.Store, msg string) error {
	return &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformShopee), Op: op,
		Message: "store " + string(store.ID) + ": " + msg}
}

func (c *Client) permanentErr(op, msg string) error {
	return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformShopee), Op: op, Message: msg}
}
