package sqlstore

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

func scanRestart(row Row) (bridge.RestartEvent, error) {
	var (
		r  bridge.RestartEvent
		at int64
	)
	if err := row.Scan(&at, &r.Resumed, &r.Stores, &r.StoresWithCursor); err != nil {
		return bridge.RestartEvent{}, err
	}
	r.At = state.FromUnixNano(at)
	return r, nil
}

// RecordRestart stores one engine start.
func (s *Store) RecordRestart(ctx context.Context, r bridge.RestartEvent) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO restarts (at, resumed, stores, stores_with_cursor) VALUES ($1, $2, $3, $4)`,
		state.UnixNano(r.At), r.Resumed, r.Stores, r.StoresWithCursor)
	return s.wrapErr(err, "record restart")
}

// Restarts lists engine starts at or after since, oldest first.
func (s *Store) Restarts(ctx context.Context, since time.Time) ([]bridge.RestartEvent, error) {
	out, err := queryAll(ctx, s, scanRestart,
		`SELECT at, resumed, stores, stores_with_cursor FROM restarts WHERE at >= $1 ORDER BY at, id`,
		state.UnixNano(since))
	if err != nil {
		return nil, s.wrapErr(err, "list restarts")
	}
	return out, nil
}
