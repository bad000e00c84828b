package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// StoreState returns the store's runtime state (the zero value for a store
// never seen).
func (db *DB) StoreState(ctx context.Context, id bridge.StoreID) (bridge.StoreState, error) {
	var (
		s              bridge.StoreState
		cursor, lastAt int64
	)
	err := db.pool.QueryRow(ctx,
		`SELECT paused, cursor, last_sync_at FROM store_state WHERE store = $1`, string(id)).
		Scan(&s.Paused, &cursor, &lastAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return bridge.StoreState{}, nil
	}
	if err != nil {
		return bridge.StoreState{}, wrapErr(err, "read state of store %s", id)
	}
	s.Cursor = state.FromUnixNano(cursor)
	s.LastSyncAt = state.FromUnixNano(lastAt)
	return s, nil
}

// SetPaused pauses or resumes a store.
func (db *DB) SetPaused(ctx context.Context, id bridge.StoreID, paused bool) error {
	_, err := db.pool.Exec(ctx,
		`INSERT INTO store_state (store, paused) VALUES ($1, $2)
		 ON CONFLICT (store) DO UPDATE SET paused = excluded.paused`,
		string(id), paused)
	return wrapErr(err, "set paused of store %s", id)
}

// SaveSyncCursor records a successful sync of a store.
func (db *DB) SaveSyncCursor(ctx context.Context, id bridge.StoreID, cursor, syncedAt time.Time) error {
	_, err := db.pool.Exec(ctx,
		`INSERT INTO store_state (store, cursor, last_sync_at) VALUES ($1, $2, $3)
		 ON CONFLICT (store) DO UPDATE SET cursor = excluded.cursor, last_sync_at = excluded.last_sync_at`,
		string(id), state.UnixNano(cursor), state.UnixNano(syncedAt))
	return wrapErr(err, "save sync cursor of store %s", id)
}
