package sqlite

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

func scanRestart(s scanner) (bridge.RestartEvent, error) {
	var (
		r  bridge.RestartEvent
		at int64
	)
	if err := s.Scan(&at, &r.Resumed, &r.Stores, &r.StoresWithCursor); err != nil {
		return bridge.RestartEvent{}, err
	}
	r.At = state.FromUnixNano(at)
	return r, nil
}

// RecordRestart stores one engine start.
func (db *DB) RecordRestart(ctx context.Context, r bridge.RestartEvent) error {
	_, err := db.exec(ctx,
		`INSERT INTO restarts (at, resumed, stores, stores_with_cursor) VALUES ($1, $2, $3, $4)`,
		state.UnixNano(r.At), r.Resumed, r.Stores, r.StoresWithCursor)
	return wrapErr(err, "record restart")
}

// Restarts lists engine starts at or after since, oldest first.
func (db *DB) Restarts(ctx context.Context, since time.Time) ([]bridge.RestartEvent, error) {
	out, err := queryAll(ctx, db, scanRestart,
		`SELECT at, resumed, stores, stores_with_cursor FROM restarts WHERE at >= $1 ORDER BY at, id`,
		state.UnixNano(since))
	if err != nil {
		return nil, wrapErr(err, "list restarts")
	}
	return out, nil
}
