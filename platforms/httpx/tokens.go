package httpx

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// TokenConfig is what a TokenProvider needs from its marketplace client.
type TokenConfig struct {
	// Platform names the marketplace in errors.
	Platform bridge.Platform
	// Store keeps each store's tokens (normally the bridge's State). Required.
	Store bridge.TokenStore
	// Initial are tokens from the config, used for a store that has none in
	// Store yet. Once they are refreshed, the saved ones win.
	Initial map[bridge.StoreID]bridge.Tokens
	// Margin refreshes an access token this long before it expires.
	Margin time.Duration
	// Refresh spends the refresh token of current and returns the new pair.
	// It is called with the store's tokens locked, on a context the caller
	// of the provider cannot cancel (bounded by SaveTimeout), and returns
	// errors classified already (see Refused).
	Refresh func(ctx context.Context, store bridge.Store, current bridge.Tokens) (bridge.Tokens, error)
	// Clock defaults to the system clock; Logger to discarding.
	Clock  bridge.Clock
	Logger *slog.Logger
}

// TokenProvider keeps the tokens of a marketplace client's stores: loaded
// once per store (the saved ones, else the initial ones), refreshed
// TokenConfig.Margin before they expire or when the platform refuses the
// access token, and the new pair saved before the new access token is
// used. It is safe for concurrent use.
type TokenProvider struct {
	cfg TokenConfig

	mu     sync.Mutex
	stores map[bridge.StoreID]*storeTokens
}

// storeTokens caches one store's tokens. Its mutex single-flights loads and
// refreshes: two concurrent refreshes would spend one (single-use) refresh
// token twice and lock the store out.
type storeTokens struct {
	mu     sync.Mutex
	loaded bool
	tok    bridge.Tokens
	// unsaved is set between a refresh and a successful SaveTokens; the new
	// access token is not used until the new pair is saved.
	unsaved bool
}

// SaveTimeout bounds the detached context of a token call and its save:
// once the platform has issued new tokens they must be saved even if the
// caller gives up.
const SaveTimeout = 2 * time.Minute

// OpRefresh is the Op of errors about refreshing an access token.
const OpRefresh = "refresh access token"

// NewTokenProvider returns a provider for cfg.
func NewTokenProvider(cfg TokenConfig) *TokenProvider {
	if cfg.Clock == nil {
		cfg.Clock = bridge.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &TokenProvider{cfg: cfg, stores: map[bridge.StoreID]*storeTokens{}}
}

func (p *TokenProvider) entry(id bridge.StoreID) *storeTokens {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.stores[id]
	if !ok {
		st = &storeTokens{}
		p.stores[id] = st
	}
	return st
}

// AccessToken returns a usable access token for store, refreshing it first
// when it is about to expire.
func (p *TokenProvider) AccessToken(ctx context.Context, store bridge.Store) (string, error) {
	st := p.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := p.loadLocked(ctx, store, st); err != nil {
		return "", err
	}
	if st.tok.AccessToken == "" {
		return "", AuthError(p.cfg.Platform, "authorize", store, "no tokens: authorize the store (or give it initial tokens in the config)")
	}
	if p.expiresSoon(st.tok) {
		if _, err := p.refreshLocked(ctx, store, st); err != nil {
			return "", err
		}
	}
	return st.tok.AccessToken, nil
}

// Refresh refreshes the store's tokens unless stale (the access token the
// caller saw refused) was already replaced, by a concurrent refresh or by
// newer tokens saved elsewhere (another process, an admin's
// re-authorization).
func (p *TokenProvider) Refresh(ctx context.Context, store bridge.Store, stale string) (bridge.Tokens, error) {
	st := p.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := p.loadLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	if st.tok.AccessToken != "" && st.tok.AccessToken != stale {
		return st.tok, nil
	}
	if !st.unsaved {
		if t, err := p.cfg.Store.LoadTokens(ctx, store.ID); err == nil && t.AccessToken != "" && t.AccessToken != stale {
			st.tok = t
			if !p.expiresSoon(t) {
				return t, nil
			}
		}
	}
	return p.refreshLocked(ctx, store, st)
}

// RefreshNow refreshes the store's tokens now and saves them (what
// bridge.Authorizer's RefreshTokens does).
func (p *TokenProvider) RefreshNow(ctx context.Context, store bridge.Store) (bridge.Tokens, error) {
	st := p.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := p.loadLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	return p.refreshLocked(ctx, store, st)
}

// Exchange makes the store's first tokens with exchange (an authorization
// code traded on the platform) and saves them. exchange runs with the
// store's tokens locked, on a context the caller cannot cancel (bounded by
// SaveTimeout), and returns errors classified already.
func (p *TokenProvider) Exchange(ctx context.Context, store bridge.Store, exchange func(ctx context.Context) (bridge.Tokens, error)) (bridge.Tokens, error) {
	st := p.entry(store.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SaveTimeout)
	defer cancel()
	t, err := exchange(rctx)
	if err != nil {
		return bridge.Tokens{}, err
	}
	st.tok, st.loaded, st.unsaved = t, true, true
	if err := p.saveLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	return t, nil
}

// loadLocked loads the store's tokens once: the saved ones, else the
// initial ones from the config. It also retries saving a refreshed pair.
func (p *TokenProvider) loadLocked(ctx context.Context, store bridge.Store, st *storeTokens) error {
	if !st.loaded {
		t, err := p.cfg.Store.LoadTokens(ctx, store.ID)
		switch {
		case errors.Is(err, bridge.ErrNotFound):
			t = p.cfg.Initial[store.ID]
		case errors.Is(err, bridge.ErrTokensUnreadable):
			// Not a network fault: the store needs authorizing again.
			return &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(p.cfg.Platform), Op: "load tokens",
				Message: "store " + string(store.ID) + ": " + bridge.ErrTokensUnreadable.Error() + "; authorize the store again", Err: err}
		case err != nil:
			// The state database failed, not the network: a local fault.
			return &bridge.StateError{Op: "load tokens of store " + string(store.ID), Err: err}
		}
		st.tok, st.loaded = t, true
	}
	if st.unsaved {
		return p.saveLocked(ctx, store, st)
	}
	return nil
}

func (p *TokenProvider) saveLocked(ctx context.Context, store bridge.Store, st *storeTokens) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SaveTimeout)
	defer cancel()
	if err := p.cfg.Store.SaveTokens(sctx, store.ID, st.tok); err != nil {
		// Kept in memory (unsaved) and saved again before the next use; the
		// state database failed, not the network.
		return &bridge.StateError{Op: "save the refreshed tokens of store " + string(store.ID), Write: true, Err: err}
	}
	st.unsaved = false
	return nil
}

func (p *TokenProvider) expiresSoon(t bridge.Tokens) bool {
	return !t.AccessExpiresAt.IsZero() && !p.cfg.Clock.Now().Before(t.AccessExpiresAt.Add(-p.cfg.Margin))
}

// refreshLocked spends the refresh token (TokenConfig.Refresh) and saves
// the new pair before the new access token is used.
func (p *TokenProvider) refreshLocked(ctx context.Context, store bridge.Store, st *storeTokens) (bridge.Tokens, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SaveTimeout)
	defer cancel()
	t, err := p.cfg.Refresh(rctx, store, st.tok)
	if err != nil {
		return bridge.Tokens{}, err
	}
	st.tok, st.unsaved = t, true
	if err := p.saveLocked(ctx, store, st); err != nil {
		return bridge.Tokens{}, err
	}
	p.cfg.Logger.Info("access token refreshed", "store", string(store.ID), "expires", t.AccessExpiresAt.UTC().Format(time.RFC3339))
	return t, nil
}

// Refused is TokenRefusal for a token call of this provider's platform,
// with the platform's own message added to the error, and logged ("token
// refresh refused" for OpRefresh, "token call refused" otherwise).
func (p *TokenProvider) Refused(op string, store bridge.Store, err error, msg string) error {
	out := TokenRefusal(p.cfg.Platform, op, store, err, msg)
	refused, ok := out.(*bridge.PlatformError)
	if !ok || out == err {
		return out
	}
	var pe *bridge.PlatformError
	if errors.As(err, &pe) && pe.Message != "" {
		refused.Message += " (" + pe.Message + ")"
	}
	what := "token call refused"
	if op == OpRefresh {
		what = "token refresh refused"
	}
	p.cfg.Logger.Warn(what, "op", op, "store", string(store.ID), "code", refused.Code, "request_id", refused.RequestID)
	return refused
}

// TokenRefusal classifies the failure err of a token call (op) of store:
// network trouble and rate limits may pass on a retry, and err is returned
// as it is; anything else the platform refused means the store must be
// authorized again: a KindAuth error "store <id>: <msg>" carrying the
// platform's code and request ID.
func TokenRefusal(platform bridge.Platform, op string, store bridge.Store, err error, msg string) error {
	var pe *bridge.PlatformError
	if errors.As(err, &pe) && (pe.Kind == bridge.KindTransient || pe.Kind == bridge.KindRateLimited) {
		return err
	}
	out := &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(platform), Op: op,
		Message: "store " + string(store.ID) + ": " + msg, Err: err}
	if pe != nil {
		out.Code, out.RequestID = pe.Code, pe.RequestID
	}
	return out
}

// AuthError is a KindAuth error about store: "store <id>: <msg>".
func AuthError(platform bridge.Platform, op string, store bridge.Store, msg string) error {
	return &bridge.PlatformError{Kind: bridge.KindAuth, Platform: string(platform), Op: op,
		Message: "store " + string(store.ID) + ": " + msg}
}

// PermanentError is a KindPermanent error: a retry cannot pass.
func PermanentError(platform bridge.Platform, op, msg string) error {
	return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(platform), Op: op, Message: msg}
}

// DecodeError classifies a response that could not be decoded: transient
// (a cut or garbled body is likelier than a format change; the
// connectivity alert surfaces it if it persists).
func DecodeError(platform bridge.Platform, op string, err error) error {
	return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: string(platform), Op: op, Code: "bad_response", Message: err.Error()}
}
