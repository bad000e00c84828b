package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
)

// WrapErr adds context to a database error and classifies it: a missing row
// (sql.ErrNoRows, which pgx.ErrNoRows also is) becomes bridge.ErrNotFound,
// and what d.Classify recognises becomes its kind.
func WrapErr(d Dialect, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %s: %w", d.Name, op, bridge.ErrNotFound)
	}
	if errors.Is(err, bridge.ErrNotFound) || errors.Is(err, bridge.ErrConflict) {
		return fmt.Errorf("%s: %s: %w", d.Name, op, err)
	}
	if detail, kind := d.Classify(err); kind != nil {
		return fmt.Errorf("%s: %s: %w (%s)", d.Name, op, kind, detail)
	}
	return fmt.Errorf("%s: %s: %w", d.Name, op, err)
}

func (s *Store) wrapErr(err error, format string, args ...any) error {
	return WrapErr(s.d, err, format, args...)
}

// mustAffect turns an UPDATE that matched no row into sql.ErrNoRows.
func mustAffect(n int64, err error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}
