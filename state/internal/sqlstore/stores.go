package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// StoreState returns the store's runtime state (the zero value for a store
// never seen).
func (s *Store) StoreState(ctx context.Context, id bridge.StoreID) (bridge.StoreState, error) {
	var (
		st             bridge.StoreState
		cursor, lastAt int64
	)
	err := s.conn.QueryRow(ctx,
		`SELECT paused, cursor, last_sync_at FROM store_state WHERE store = $1`, string(id)).
		Scan(&st.Paused, &cursor, &lastAt)
	if errors.Is(err, sql.ErrNoRows) {
		return bridge.StoreState{}, nil
	}
	if err != nil {
		return bridge.StoreState{}, s.wrapErr(err, "read state of store %s", id)
	}
	st.Cursor = state.FromUnixNano(cursor)
	st.LastSyncAt = state.FromUnixNano(lastAt)
	return st, nil
}

// SetPaused pauses or resumes a store.
func (s *Store) SetPaused(ctx context.Context, id bridge.StoreID, paused bool) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO store_state (store, paused) VALUES ($1, $2)
		 ON CONFLICT (store) DO UPDATE SET paused = excluded.paused`,
		string(id), paused)
	return s.wrapErr(err, "set paused of store %s", id)
}

// SaveSyncCursor records a successful sync of a store.
func (s *Store) SaveSyncCursor(ctx context.Context, id bridge.StoreID, cursor, syncedAt time.Time) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO store_state (store, cursor, last_sync_at) VALUES ($1, $2, $3)
		 ON CONFLICT (store) DO UPDATE SET cursor = excluded.cursor, last_sync_at = excluded.last_sync_at`,
		string(id), state.UnixNano(cursor), state.UnixNano(syncedAt))
	return s.wrapErr(err, "save sync cursor of store %s", id)
}
