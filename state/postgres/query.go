package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// scanner is a pgx.Row or a row being collected.
type scanner interface {
	Scan(dest ...any) error
}

// queryAll runs a query on the pool and scans every row with scan.
func queryAll[T any](ctx context.Context, db *DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
