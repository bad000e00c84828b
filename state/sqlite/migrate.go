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
	migrations, err := state.Migrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	applied, err := sqlstore.Migrate(ctx, db.store, migrations)
	if err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", db.path, err)
	}
	if len(applied) > 0 {
		db.opts.logger.Info("state migrated", "backend", "sqlite", "path", db.path, "applied", applied)
	}
	return nil
}
