package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// ReportDelivery returns the record of a scheduled report.
func (s *Store) ReportDelivery(ctx context.Context, key string) (bridge.ReportDelivery, error) {
	var (
		d                       bridge.ReportDelivery
		status                  string
		since, until, updatedAt int64
	)
	err := s.conn.QueryRow(ctx,
		`SELECT key, schedule, status, since, until, attempts, ref_channel, ref_id, error, updated_at
		 FROM report_deliveries WHERE key = $1`, key).
		Scan(&d.Key, &d.Schedule, &status, &since, &until, &d.Attempts, &d.Ref.Channel, &d.Ref.ID, &d.Error, &updatedAt)
	if err != nil {
		return bridge.ReportDelivery{}, s.wrapErr(err, "read delivery of report %s", key)
	}
	d.Status = bridge.DeliveryStatus(status)
	d.Since, d.Until, d.UpdatedAt = state.FromUnixNano(since), state.FromUnixNano(until), state.FromUnixNano(updatedAt)
	return d, nil
}

// SaveReportDelivery creates or replaces the record of a scheduled report.
func (s *Store) SaveReportDelivery(ctx context.Context, d bridge.ReportDelivery) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO report_deliveries (key, schedule, status, since, until, attempts, ref_channel, ref_id, error, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		 ON CONFLICT (key) DO UPDATE SET schedule = excluded.schedule, status = excluded.status,
		   since = excluded.since, until = excluded.until, attempts = excluded.attempts,
		   ref_channel = excluded.ref_channel, ref_id = excluded.ref_id, error = excluded.error,
		   updated_at = excluded.updated_at`,
		d.Key, d.Schedule, string(d.Status), state.UnixNano(d.Since), state.UnixNano(d.Until), d.Attempts,
		d.Ref.Channel, d.Ref.ID, d.Error, state.UnixNano(d.UpdatedAt))
	return s.wrapErr(err, "save delivery of report %s", d.Key)
}

// LastReportPosted returns the end of the period of the schedule's latest
// posted report (the zero time when none was posted).
func (s *Store) LastReportPosted(ctx context.Context, schedule string) (time.Time, error) {
	var until sql.NullInt64
	err := s.conn.QueryRow(ctx,
		`SELECT MAX(until) FROM report_deliveries WHERE schedule = $1 AND status = 'posted'`, schedule).Scan(&until)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, s.wrapErr(err, "read the last posted report of schedule %s", schedule)
	}
	return state.FromUnixNano(until.Int64), nil
}
