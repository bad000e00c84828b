package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the embedded migrations that the schema has not seen, in
// one transaction under an advisory lock: replicas starting together apply
// each migration once, and a failed migration leaves the schema as it was.
func (db *DB) migrate(ctx context.Context) error {
	migrations, err := state.Migrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	applied, err := sqlstore.Migrate(ctx, db.store, migrations)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if len(applied) > 0 {
		db.opts.logger.Info("state migrated", "backend", "postgres", "schema", db.opts.schema, "applied", applied)
	}
	return nil
}
