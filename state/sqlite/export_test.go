package sqlite

import (
	"context"

	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// OpenLegacy creates the file database at path as an older release left
// it, with only the migrations up to version applied, for the contract
// suite's upgrade tests (statetest.WithLegacy).
func OpenLegacy(ctx context.Context, path string, version int) (statetest.LegacyDB, error) {
	fsys, err := statetest.MigrationsUpTo(migrationFiles, "migrations", version)
	if err != nil {
		return nil, err
	}
	// A new file, empty until the old migrations run.
	db, err := connect(ctx, path, WithAcceptEmpty(true))
	if err != nil {
		return nil, err
	}
	if err := sqlstore.Migrate(ctx, db.store, fsys); err != nil {
		db.Close()
		return nil, err
	}
	return legacyDB{db}, nil
}

// legacyDB writes an older schema's tables directly.
type legacyDB struct{ db *DB }

func (l legacyDB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := l.db.w.ExecContext(ctx, query, args...)
	return err
}

func (l legacyDB) Close() error { return l.db.Close() }
