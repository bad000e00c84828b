package bridge

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// authState is what an authorization link's state token stands for. It is
// saved in State.Meta under the token's hash, so the database never holds a
// usable token, and emptied when the callback uses it (single use).
type authState struct {
	Store     StoreID       `json:"store"`
	Platform  Platform      `json:"platform"`
	ExpiresAt time.Time     `json:"expires_at"`
	By        AuthRequester `json:"by"`
}

func authStateKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "auth:state:" + hex.EncodeToString(sum[:20])
}

// saveState mints a random state token and saves what it stands for.
func (a *Auth) saveState(ctx context.Context, st authState) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	data, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	if err := a.state.SetMeta(ctx, authStateKey(token), string(data)); err != nil {
		return "", err
	}
	return token, nil
}

func (a *Auth) dropState(ctx context.Context, token string) {
	if err := a.state.SetMeta(context.WithoutCancel(ctx), authStateKey(token), ""); err != nil {
		a.log.Warn("could not drop an unused authorization state", "err", err)
	}
}

// consumeState returns what a state token stands for and uses it up. An
// unknown, used or expired token is ErrAuthState; so is one issued for
// another store or platform than the callback names.
func (a *Auth) consumeState(ctx context.Context, token string, store StoreID, p Platform) (authState, error) {
	if token == "" {
		return authState{}, ErrAuthState
	}
	a.consume.Lock()
	defer a.consume.Unlock()
	key := authStateKey(token)
	raw, err := a.state.Meta(ctx, key)
	if errors.Is(err, ErrNotFound) || (err == nil && raw == "") {
		return authState{}, ErrAuthState
	}
	if err != nil {
		return authState{}, fmt.Errorf("read the link's state: %w", err)
	}
	var st authState
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return authState{}, ErrAuthState
	}
	// Used up before anything else: a replay of this callback finds nothing.
	if err := a.state.SetMeta(context.WithoutCancel(ctx), key, ""); err != nil {
		return authState{}, fmt.Errorf("use up the link's state: %w", err)
	}
	// A platform that sends the owner back to one fixed redirect URL (TikTok
	// Shop) cannot carry the store: the single-use state names it.
	if store == "" {
		store = st.Store
	}
	if !a.clock.Now().Before(st.ExpiresAt) || st.Store != store || st.Platform != p {
		return st, ErrAuthState
	}
	return st, nil
}
