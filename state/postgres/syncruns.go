package postgres

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const syncRunColumns = `store, started_at, duration_ns, ok, messages, catch_up, error`

func scanSyncRun(s scanner) (bridge.SyncRun, error) {
	var (
		r                 bridge.SyncRun
		store             string
		started, duration int64
	)
	if err := s.Scan(&store, &started, &duration, &r.OK, &r.Messages, &r.CatchUp, &r.Error); err != nil {
		return bridge.SyncRun{}, err
	}
	r.Store = bridge.StoreID(store)
	r.StartedAt = state.FromUnixNano(started)
	r.Duration = time.Duration(duration)
	return r, nil
}

// RecordSync stores one sync run.
func (db *DB) RecordSync(ctx context.Context, s bridge.SyncRun) error {
	_, err := db.pool.Exec(ctx,
		`INSERT INTO sync_runs (store, started_at, duration_ns, ok, messages, catch_up, error)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		string(s.Store), state.UnixNano(s.StartedAt), int64(s.Duration), s.OK, s.Messages, s.CatchUp, s.Error)
	return wrapErr(err, "record sync of store %s", s.Store)
}

// SyncRuns lists a store's runs (every store's for "") that started at or
// after since, oldest first.
func (db *DB) SyncRuns(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.SyncRun, error) {
	var (
		out []bridge.SyncRun
		err error
	)
	if store == "" {
		out, err = queryAll(ctx, db, scanSyncRun,
			`SELECT `+syncRunColumns+` FROM sync_runs WHERE started_at >= $1 ORDER BY started_at, id`,
			state.UnixNano(since))
	} else {
		out, err = queryAll(ctx, db, scanSyncRun,
			`SELECT `+syncRunColumns+` FROM sync_runs WHERE store = $1 AND started_at >= $2 ORDER BY started_at, id`,
			string(store), state.UnixNano(since))
	}
	if err != nil {
		return nil, wrapErr(err, "list sync runs of store %q", store)
	}
	return out, nil
}
