package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopbridge/shopbridge/bridge"
)

// SQLSTATE codes the backend classifies.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// wrapErr adds context to a database error and classifies it: a missing row
// becomes bridge.ErrNotFound, a uniqueness violation bridge.ErrConflict, a
// foreign key violation (a row for a conversation without a record)
// bridge.ErrNotFound. PostgreSQL's message names the constraint; the
// detail, which holds key values, is left out.
func wrapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf(format, args...)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, bridge.ErrNotFound)
	}
	if errors.Is(err, bridge.ErrNotFound) || errors.Is(err, bridge.ErrConflict) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("postgres: %s: %w (%s)", op, bridge.ErrConflict, pe.Message)
		case codeForeignKeyViolation:
			return fmt.Errorf("postgres: %s: %w (%s)", op, bridge.ErrNotFound, pe.Message)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// mustAffect turns an UPDATE that matched no row into pgx.ErrNoRows.
func mustAffect(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	return nil
}
