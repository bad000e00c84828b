package lazada

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// storeTokens caches one store's tokens. Its mutex single-flights loads and
// refreshes: two concurrent refreshes would spend one refresh token twice.
type storeTokens struct {
	mu     sync.Mutex
	loaded bool
	tok    bridge.Tokens
	// unsaved is set between a refresh and a successful SaveTokens; the new
	// access token is not used until the new pair is saved.
	unsaved bool
}

// saveTimeout bounds the detached context of a token call and its save:
// once Lazada has issued new tokens they must be saved even if the caller
// gives up.
const saveTimeout = 2 * time.Minute

func (c *Client) entry(id bridge.StoreID) *storeTokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.tokenCache[id]
	if !ok {
		st = &storeTokens{}
		c.tokenCache[id] = st
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
			return &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformLazada),
				Op: "load tokens", Message: "store " + string(store.ID) + ": " + bridge.ErrTokensUnreadable.Error() + "; authorize the store again", Err: err}
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

func (c *Client) saveLocked(ctx context.Context, store bridge.Store, st *storeTokens) error {
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

// refreshLocked calls /auth/token/refresh and saves the new pair before the
// new access token is used. A refresh token past its expiry is not sent:
// Lazada documents that the seller must authorize again [DOC LZ-AUTH].
func (c *Client) refreshLocked(ctx context.Context, store bridge.Store, st *storeTokens) (bridge.Tokens, error) {
	const op = "refresh access token"
	if st.tok.RefreshToken == "" {
		return bridge.Tokens{}, c.authErr(op, store, "no refresh token: re-authorize the store")
	}
	if exp := st.tok.RefreshExpiresAt; !exp.IsZero() && !c.clock.Now().Before(exp) {
		return bridge.Tokens{}, c.authErr(op, store, "the refresh token expired on "+exp.UTC().Format(time.RFC3339)+": re-authorize the store")
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	body, err := c.do(rctx, store, c.authBase, apiCall{path: pathTokenRefresh, op: op, method: http.MethodPost, idempotent: true,
		params: url.Values{"refresh_token": {st.tok.RefreshToken}}}, "")
	if err != nil {
		return bridge.Tokens{}, c.tokenCallFailed(op, store, err, "refresh refused, re-authorize the store")
	}
	wt, err := decodeTokens(body)
	if err != nil {
		return bridge.Tokens{}, c.tokenCallFailed(op, store, c.decodeErr(op, err), "")
	}
	st.tok, st.unsaved = c.tokensFrom(wt, st.tok, true), true
	if err := c.saveLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("access token refreshed", "store", string(store.ID), "expires", st.tok.AccessExpiresAt.Format(time.RFC3339))
	return st.tok, nil
}

// tokenCallFailed classifies a failed token call: network trouble, rate
// limits and garbled answers stay retryable; anything Lazada refused means
// the store needs authorizing again.
func (c *Client) tokenCallFailed(op string, store bridge.Store, err error, refused string) error {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) && (pe.Kind == bridge.KindTransient || pe.Kind == bridge.KindRateLimited) {
		return err
	}
	out := &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(bridge.PlatformLazada), Op: op,
		Message: "store " + string(store.ID) + ": " + refused, Err: err}
	if pe != nil {
		out.Code, out.RequestID = pe.Code, pe.RequestID
		if pe.Message != "" {
			out.Message += " (" + pe.Message + ")"
		}
	}
	c.log.Warn("token call refused", "op", op, "store", string(store.ID), "code", out.Code, "request_id", out.RequestID)
	return out
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
	st := c.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	body, err := c.do(rctx, store, c.authBase, apiCall{path: pathTokenCreate, op: op, method: http.MethodPost, idempotent: true,
		params: url.Values{"code": {code}}}, "")
	if err != nil {
		return bridge.Tokens{}, c.tokenCallFailed(op, store, err,
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
	st.tok, st.loaded, st.unsaved = c.tokensFrom(wt, bridge.Tokens{}, false), true, true
	if err := c.saveLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	c.log.Info("store authorized", "store", string(store.ID), "refresh_expires", st.tok.RefreshExpiresAt.Format(time.RFC3339))
	return st.tok, nil
}
