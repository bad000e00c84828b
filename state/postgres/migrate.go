package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopbridge/shopbridge/state"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the first key of the advisory lock that serialises
// replicas migrating the same schema at once ("shop").
const migrationLock = 0x73686f70

// migrate applies the embedded migrations that the schema has not seen, in
// one transaction under an advisory lock: replicas starting together apply
// each migration once, and a failed migration leaves the schema as it was.
func (db *DB) migrate(ctx context.Context) error {
	migrations, err := state.Migrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	var applied []string
	err = db.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, migrationLock); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at BIGINT  NOT NULL
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if n := len(migrations); n > 0 && current > migrations[n-1].Version {
			return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade shopbridge",
				current, migrations[n-1].Version)
		}
		for _, m := range migrations {
			if m.Version <= current {
				continue
			}
			// The simple protocol runs a multi-statement file in one round trip.
			if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now().UnixNano()); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
			applied = append(applied, m.Name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if len(applied) > 0 {
		db.opts.logger.Info("state migrated", "backend", "postgres", "schema", db.opts.schema, "applied", applied)
	}
	return nil
}

// SchemaVersion is the newest migration applied to the schema.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, wrapErr(err, "read schema version")
	}
	return v, nil
}
