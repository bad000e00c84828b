package postgres

import (
	"context"

	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// OpenLegacy creates the schema as an older release left it, with only the
// migrations up to version applied, for the contract suite's upgrade tests
// (statetest.WithLegacy).
func OpenLegacy(ctx context.Context, dsn, schema string, version int) (statetest.LegacyDB, error) {
	fsys, err := statetest.MigrationsUpTo(migrationFiles, "migrations", version)
	if err != nil {
		return nil, err
	}
	db, err := connect(ctx, dsn, WithSchema(schema))
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
	_, err := l.db.pool.Exec(ctx, query, args...)
	return err
}

func (l legacyDB) Close() error { return l.db.Close() }

// LatestSchema is the schema version this build migrates a schema to.
func LatestSchema() int {
	ms, err := state.Migrations(migrationFiles, "migrations")
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
