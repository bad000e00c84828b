package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the embedded migrations that the schema has not seen, in
// one transaction under an advisory lock: replicas starting together apply
// each migration once, and a failed migration leaves the schema as it was.
func (db *DB) migrate(ctx context.Context) error {
	if err := sqlstore.Migrate(ctx, db.store, migrationFiles, "schema", db.opts.schema); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// SchemaVersion is the newest migration applied to the schema.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) { return db.store.SchemaVersion(ctx) }
