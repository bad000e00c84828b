package sqlite

import (
	"context"
	"embed"
	"fmt"

	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the embedded migrations that the database has not seen,
// in one transaction: a failed migration leaves the schema as it was.
// Re-opening an up-to-date database changes nothing.
func (db *DB) migrate(ctx context.Context) error {
	if err := sqlstore.Migrate(ctx, db.store, migrationFiles, "path", db.path); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", db.path, err)
	}
	return nil
}

// SchemaVersion is the newest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) { return db.store.SchemaVersion(ctx) }

// LatestSchema is the schema version this build migrates a database to.
func LatestSchema() int {
	ms, err := state.Migrations(migrationFiles, "migrations")
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
