package postgres

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const incidentColumns = `id, scope, stores, error, started_at, ended_at, caught_up, catch_up_failed,
	alert_channel, alert_id`

func scanIncident(s scanner) (bridge.Incident, error) {
	var (
		in             bridge.Incident
		stores         []string
		started, ended int64
	)
	err := s.Scan(&in.ID, &in.Scope, &stores, &in.Error, &started, &ended, &in.CaughtUp, &in.CatchUpFailed,
		&in.Alert.Channel, &in.Alert.ID)
	if err != nil {
		return bridge.Incident{}, err
	}
	for _, s := range stores {
		in.Stores = append(in.Stores, bridge.StoreID(s))
	}
	in.StartedAt = state.FromUnixNano(started)
	in.EndedAt = state.FromUnixNano(ended)
	return in, nil
}

// OpenIncident stores a new incident and returns its ID (in.ID is ignored).
func (db *DB) OpenIncident(ctx context.Context, in bridge.Incident) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx,
		`INSERT INTO incidents (scope, stores, error, started_at, ended_at, caught_up, catch_up_failed,
		   alert_channel, alert_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		 RETURNING id`,
		in.Scope, storeList(in.Stores), in.Error, state.UnixNano(in.StartedAt), state.UnixNano(in.EndedAt),
		in.CaughtUp, in.CatchUpFailed, in.Alert.Channel, in.Alert.ID).Scan(&id)
	if err != nil {
		return 0, wrapErr(err, "open %s incident", in.Scope)
	}
	return id, nil
}

// UpdateIncident writes every field of an incident but its ID
// (bridge.ErrNotFound for an unknown ID).
func (db *DB) UpdateIncident(ctx context.Context, in bridge.Incident) error {
	res, err := db.pool.Exec(ctx,
		`UPDATE incidents SET scope = $2, stores = $3, error = $4, started_at = $5, ended_at = $6,
		   caught_up = $7, catch_up_failed = $8, alert_channel = $9, alert_id = $10
		 WHERE id = $1`,
		in.ID, in.Scope, storeList(in.Stores), in.Error, state.UnixNano(in.StartedAt),
		state.UnixNano(in.EndedAt), in.CaughtUp, in.CatchUpFailed, in.Alert.Channel, in.Alert.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrapErr(err, "update incident %d", in.ID)
}

// Incidents lists incidents that ended at or after since or are still open,
// by start time.
func (db *DB) Incidents(ctx context.Context, since time.Time) ([]bridge.Incident, error) {
	out, err := queryAll(ctx, db, scanIncident,
		`SELECT `+incidentColumns+` FROM incidents WHERE ended_at = 0 OR ended_at >= $1 ORDER BY started_at, id`,
		state.UnixNano(since))
	if err != nil {
		return nil, wrapErr(err, "list incidents")
	}
	return out, nil
}

// storeList is an incident's stores as a text[] (never NULL).
func storeList(ids []bridge.StoreID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
