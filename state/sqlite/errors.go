package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/shopbridge/shopbridge/bridge"
)

// wrapErr adds context to a database error and classifies it: a missing row
// becomes bridge.ErrNotFound, a uniqueness violation bridge.ErrConflict, a
// foreign key violation (a row for a conversation without a record)
// bridge.ErrNotFound. SQLite's message names the constraint, never values.
func wrapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, bridge.ErrNotFound)
	}
	if errors.Is(err, bridge.ErrNotFound) || errors.Is(err, bridge.ErrConflict) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w (%s)", op, bridge.ErrConflict, se.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: %w (%s)", op, bridge.ErrNotFound, se.Error())
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// mustAffect turns an UPDATE that matched no row into sql.ErrNoRows.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}
