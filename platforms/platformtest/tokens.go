package platformtest

import (
	"context"
	"errors"
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// MemTokens is an in-memory bridge.TokenStore that records every save and
// can be told to fail them.
type MemTokens struct {
	mu    sync.Mutex
	m     map[bridge.StoreID]bridge.Tokens
	saves []bridge.Tokens
	fail  error
}

var _ bridge.TokenStore = (*MemTokens)(nil)

// NewMemTokens returns an empty token store.
func NewMemTokens() *MemTokens { return &MemTokens{m: map[bridge.StoreID]bridge.Tokens{}} }

// LoadTokens implements bridge.TokenStore.
func (s *MemTokens) LoadTokens(_ context.Context, id bridge.StoreID) (bridge.Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	if !ok {
		return bridge.Tokens{}, bridge.ErrNotFound
	}
	return t, nil
}

// SaveTokens implements bridge.TokenStore.
func (s *MemTokens) SaveTokens(_ context.Context, id bridge.StoreID, t bridge.Tokens) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.m[id] = t
	s.saves = append(s.saves, t)
	return nil
}

// Saves returns every saved pair, oldest first.
func (s *MemTokens) Saves() []bridge.Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bridge.Tokens(nil), s.saves...)
}

// FailSaves makes SaveTokens fail (true) or work again (false).
func (s *MemTokens) FailSaves(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = nil
	if fail {
		s.fail = errors.New("platformtest: token store unavailable")
	}
}
