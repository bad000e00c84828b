package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
)

// An authorization link carries a random state token; what it stands for
// is saved as an AuthRequest under the token's hash, so the database never
// holds a usable token, and taken when the callback uses it (single use).

func authStateHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:20])
}

// saveState mints a random state token and saves what it stands for.
func (a *Flow) saveState(ctx context.Context, req bridge.AuthRequest) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	req.StateHash = authStateHash(token)
	if err := a.state.SaveAuthRequest(ctx, req); err != nil {
		return "", err
	}
	return token, nil
}

func (a *Flow) dropState(ctx context.Context, token string) {
	if _, err := a.state.TakeAuthRequest(context.WithoutCancel(ctx), authStateHash(token)); err != nil {
		a.log.Warn("could not drop an unused authorization state", "err", err)
	}
}

// consumeState returns what a state token stands for and uses it up. An
// unknown, used or expired token is ErrInvalidState; so is one issued for
// another store or platform than the callback names.
func (a *Flow) consumeState(ctx context.Context, token string, store bridge.StoreID, p bridge.Platform) (bridge.AuthRequest, error) {
	if token == "" {
		return bridge.AuthRequest{}, ErrInvalidState
	}
	// Taken before anything else: a replay of this callback finds nothing.
	req, err := a.state.TakeAuthRequest(context.WithoutCancel(ctx), authStateHash(token))
	if errors.Is(err, bridge.ErrNotFound) {
		return bridge.AuthRequest{}, ErrInvalidState
	}
	if err != nil {
		return bridge.AuthRequest{}, fmt.Errorf("use up the link's state: %w", err)
	}
	// A platform that sends the owner back to one fixed redirect URL (TikTok
	// Shop) cannot carry the store: the single-use state names it.
	if store == "" {
		store = req.Store
	}
	if !a.clock.Now().Before(req.ExpiresAt) || req.Store != store || req.Platform != p {
		return req, ErrInvalidState
	}
	return req, nil
}
