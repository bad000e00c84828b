package sqlstore

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const incidentColumns = `id, scope, stores, error, started_at, ended_at, caught_up, catch_up_failed,
	alert_channel, alert_id`

func (s *Store) scanIncident(row Row) (bridge.Incident, error) {
	var (
		in             bridge.Incident
		started, ended int64
	)
	stores, decode := s.d.ScanStores()
	err := row.Scan(&in.ID, &in.Scope, stores, &in.Error, &started, &ended, &in.CaughtUp, &in.CatchUpFailed,
		&in.Alert.Channel, &in.Alert.ID)
	if err != nil {
		return bridge.Incident{}, err
	}
	if in.Stores, err = decode(); err != nil {
		return bridge.Incident{}, err
	}
	in.StartedAt = state.FromUnixNano(started)
	in.EndedAt = state.FromUnixNano(ended)
	return in, nil
}

// OpenIncident stores a new incident and returns its ID (in.ID is ignored).
func (s *Store) OpenIncident(ctx context.Context, in bridge.Incident) (int64, error) {
	id, err := s.conn.InsertID(ctx,
		`INSERT INTO incidents (scope, stores, error, started_at, ended_at, caught_up, catch_up_failed,
		   alert_channel, alert_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		 RETURNING id`,
		in.Scope, s.d.EncodeStores(in.Stores), in.Error, state.UnixNano(in.StartedAt), state.UnixNano(in.EndedAt),
		in.CaughtUp, in.CatchUpFailed, in.Alert.Channel, in.Alert.ID)
	if err != nil {
		return 0, s.wrapErr(err, "open %s incident", in.Scope)
	}
	return id, nil
}

// UpdateIncident writes every field of an incident but its ID
// (bridge.ErrNotFound for an unknown ID).
func (s *Store) UpdateIncident(ctx context.Context, in bridge.Incident) error {
	err := mustAffect(s.conn.Exec(ctx,
		`UPDATE incidents SET scope = $2, stores = $3, error = $4, started_at = $5, ended_at = $6,
		   caught_up = $7, catch_up_failed = $8, alert_channel = $9, alert_id = $10
		 WHERE id = $1`,
		in.ID, in.Scope, s.d.EncodeStores(in.Stores), in.Error, state.UnixNano(in.StartedAt),
		state.UnixNano(in.EndedAt), in.CaughtUp, in.CatchUpFailed, in.Alert.Channel, in.Alert.ID))
	return s.wrapErr(err, "update incident %d", in.ID)
}

// Incidents lists incidents that ended at or after since or are still open,
// by start time.
func (s *Store) Incidents(ctx context.Context, since time.Time) ([]bridge.Incident, error) {
	out, err := queryAll(ctx, s, s.scanIncident,
		`SELECT `+incidentColumns+` FROM incidents WHERE ended_at = 0 OR ended_at >= $1 ORDER BY started_at, id`,
		state.UnixNano(since))
	if err != nil {
		return nil, s.wrapErr(err, "list incidents")
	}
	return out, nil
}
