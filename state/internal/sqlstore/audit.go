package sqlstore

import (
	"context"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

func scanAudit(row Row) (bridge.AuditEntry, error) {
	var (
		a  bridge.AuditEntry
		at int64
	)
	if err := row.Scan(&at, &a.Surface, &a.UserID, &a.UserName, &a.Command, &a.OK, &a.Result); err != nil {
		return bridge.AuditEntry{}, err
	}
	a.At = state.FromUnixNano(at)
	return a, nil
}

// RecordAudit stores one admin action.
func (s *Store) RecordAudit(ctx context.Context, a bridge.AuditEntry) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO audit (at, surface, user_id, user_name, command, ok, result)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		state.UnixNano(a.At), a.Surface, a.UserID, a.UserName, a.Command, a.OK, a.Result)
	return s.wrapErr(err, "record audit entry")
}

// Audit returns the latest n entries, newest first (none for n <= 0).
// Entries with the same time come newest-recorded first.
func (s *Store) Audit(ctx context.Context, n int) ([]bridge.AuditEntry, error) {
	if n <= 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s, scanAudit,
		`SELECT at, surface, user_id, user_name, command, ok, result FROM audit
		 ORDER BY at DESC, id DESC LIMIT $1`, n)
	if err != nil {
		return nil, s.wrapErr(err, "read audit")
	}
	return out, nil
}
