package simulator

import (
	"fmt"
	"net/http"

	"github.com/shopbridge/shopbridge/bridge"
)

// dialect is one marketplace's wire protocol, served over the shared state
// (state.go) and fault injection (faults.go). Shopee's is shopee*.go; the
// Lazada and TikTok dialects implement the same interface and register in
// New beside it.
type dialect interface {
	platform() bridge.Platform
	// routes registers the platform's API paths.
	routes(mux *http.ServeMux)
	// authorize issues the first tokens of a newly added shop.
	authorize(shopID string)
	// messageAdded pushes a new message; it is called with the state lock
	// held, in storage order, and must not block.
	messageAdded(m Message, shop Shop, shopUserID, buyerName string)
	// Token operations behind Tokens, ExpireAccessToken, RevokeTokens and
	// AuthorizationCode.
	tokens(shopID string) (TokenInfo, bool)
	expireAccess(shopID string) bool
	revoke(shopID string) bool
	authCode(shopID string) string
	// startPushes starts push delivery; wait waits for it after Close.
	startPushes()
	wait()
}

// dialectOf returns the dialect of a shop's platform.
func (s *Simulator) dialectOf(shopID string) (dialect, error) {
	s.mu.Lock()
	shop, ok := s.shops[shopID]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("simulator: no shop %s", shopID)
	}
	return s.dialects[shop.Platform], nil
}

// Tokens returns the shop's current token pair (the initial one from
// AddShop, or the latest refresh).
func (s *Simulator) Tokens(shopID string) (TokenInfo, error) {
	d, err := s.dialectOf(shopID)
	if err != nil {
		return TokenInfo{}, err
	}
	t, ok := d.tokens(shopID)
	if !ok {
		return TokenInfo{}, fmt.Errorf("simulator: no tokens for shop %s", shopID)
	}
	return t, nil
}

// ExpireAccessToken makes every access token of the shop expired now; its
// refresh token still works.
func (s *Simulator) ExpireAccessToken(shopID string) error {
	d, err := s.dialectOf(shopID)
	if err != nil {
		return err
	}
	if !d.expireAccess(shopID) {
		return fmt.Errorf("simulator: no tokens for shop %s", shopID)
	}
	return nil
}

// RevokeTokens revokes every token of the shop (as a deauthorization does):
// the store must be authorized again.
func (s *Simulator) RevokeTokens(shopID string) error {
	d, err := s.dialectOf(shopID)
	if err != nil {
		return err
	}
	if !d.revoke(shopID) {
		return fmt.Errorf("simulator: no tokens for shop %s", shopID)
	}
	return nil
}

// AuthorizationCode mints a single-use authorization code for the shop, as
// the platform's authorization redirect would carry.
func (s *Simulator) AuthorizationCode(shopID string) (string, error) {
	d, err := s.dialectOf(shopID)
	if err != nil {
		return "", err
	}
	return d.authCode(shopID), nil
}
