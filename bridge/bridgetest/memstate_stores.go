package bridgetest

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Each store's runtime state and tokens, and the surfaces' meta keys.

// StoreState returns the store's runtime state (the zero value for a store
// never seen).
func (s *MemState) StoreState(ctx context.Context, id bridge.StoreID) (bridge.StoreState, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.StoreState{}, err
	}
	defer db.mu.Unlock()
	return db.storeStates[id], nil
}

// SetPaused pauses or resumes a store.
func (s *MemState) SetPaused(ctx context.Context, id bridge.StoreID, paused bool) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	st := db.storeStates[id]
	st.Paused = paused
	db.storeStates[id] = st
	return nil
}

// SaveSyncCursor records a successful sync of a store (its pause stays).
func (s *MemState) SaveSyncCursor(ctx context.Context, id bridge.StoreID, cursor, syncedAt time.Time) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	st := db.storeStates[id]
	st.Cursor, st.LastSyncAt = stamp(cursor), stamp(syncedAt)
	db.storeStates[id] = st
	return nil
}

// LoadTokens returns the store's tokens (bridge.ErrNotFound when it has none).
func (s *MemState) LoadTokens(ctx context.Context, id bridge.StoreID) (bridge.Tokens, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.Tokens{}, err
	}
	defer db.mu.Unlock()
	t, ok := db.tokens[id]
	if !ok {
		return bridge.Tokens{}, fail(bridge.ErrNotFound, "load tokens of store %s", id)
	}
	return t, nil
}

// SaveTokens stores the store's tokens (in the clear: there is no disk).
func (s *MemState) SaveTokens(ctx context.Context, id bridge.StoreID, t bridge.Tokens) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	t.AccessExpiresAt, t.RefreshExpiresAt, t.UpdatedAt = stamp(t.AccessExpiresAt), stamp(t.RefreshExpiresAt), stamp(t.UpdatedAt)
	db.tokens[id] = t
	return nil
}

// Meta returns a bookkeeping value (bridge.ErrNotFound for a missing key).
func (s *MemState) Meta(ctx context.Context, key string) (string, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	defer db.mu.Unlock()
	v, ok := db.meta[key]
	if !ok {
		return "", fail(bridge.ErrNotFound, "read meta %q", key)
	}
	return v, nil
}

// SetMeta stores a bookkeeping value.
func (s *MemState) SetMeta(ctx context.Context, key, value string) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	db.meta[key] = value
	return nil
}
