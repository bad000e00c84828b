package sqlstore

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const syncRunColumns = `store, started_at, duration_ns, ok, messages, catch_up, error`

func scanSyncRun(row Row) (bridge.SyncRun, error) {
	var (
		r                 bridge.SyncRun
		store             string
		started, duration int64
	)
	if err := row.Scan(&store, &started, &duration, &r.OK, &r.Messages, &r.CatchUp, &r.Error); err != nil {
		return bridge.SyncRun{}, err
	}
	r.Store = bridge.StoreID(store)
	r.StartedAt = state.FromUnixNano(started)
	r.Duration = time.Duration(duration)
	return r, nil
}

// RecordSync stores one sync run.
func (s *Store) RecordSync(ctx context.Context, run bridge.SyncRun) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO sync_runs (store, started_at, duration_ns, ok, messages, catch_up, error)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		string(run.Store), state.UnixNano(run.StartedAt), int64(run.Duration), run.OK, run.Messages, run.CatchUp, run.Error)
	return s.wrapErr(err, "record sync of store %s", run.Store)
}

// SyncRuns lists a store's runs (every store's for "") that started at or
// after since, oldest first.
func (s *Store) SyncRuns(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.SyncRun, error) {
	out, err := querySince(ctx, s, scanSyncRun, syncRunColumns, "sync_runs", "started_at", store, since)
	if err != nil {
		return nil, s.wrapErr(err, "list sync runs of store %q", store)
	}
	return out, nil
}
