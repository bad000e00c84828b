package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/shopbridge/shopbridge/state"
)

// Migrate applies the migrations in fsys (a backend's embedded
// "migrations/NNNN_*.sql") that the database has not seen, in one
// transaction (after the dialect's MigrationLock): a failed migration leaves
// the schema as it was, and re-opening an up-to-date database changes
// nothing. What it applied is logged with logAttrs.
func Migrate(ctx context.Context, s *Store, fsys fs.FS, logAttrs ...any) error {
	migrations, err := state.Migrations(fsys, "migrations")
	if err != nil {
		return err
	}
	applied, err := migrate(ctx, s, migrations)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		s.o.Logger.Info("state migrated", append(append([]any{"backend", s.d.Name}, logAttrs...), "applied", applied)...)
	}
	return nil
}

func migrate(ctx context.Context, s *Store, migrations []state.Migration) ([]string, error) {
	var applied []string
	err := s.conn.InTx(ctx, func(tx Tx) error {
		applied = nil
		if s.d.MigrationLock != "" {
			if _, err := tx.Exec(ctx, s.d.MigrationLock); err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at `+s.d.BigInt+` NOT NULL
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
			if err := tx.ExecScript(ctx, m.SQL); err != nil {
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
		return nil, err
	}
	return applied, nil
}

// CheckSchema is Migrate for a command that only reads: it changes
// nothing, and refuses a database whose schema is not the one this build
// migrates to (an older one is upgraded by the next `shopbridge run`).
func CheckSchema(ctx context.Context, s *Store, fsys fs.FS) error {
	migrations, err := state.Migrations(fsys, "migrations")
	if err != nil || len(migrations) == 0 {
		return err
	}
	latest := migrations[len(migrations)-1].Version
	var current int
	if err := s.conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version (is this a shopbridge state database?): %w", err)
	}
	switch {
	case current > latest:
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade shopbridge", current, latest)
	case current < latest:
		return fmt.Errorf("database schema version %d is older than this binary's (%d): start the bridge (shopbridge run) once to upgrade it, then read it", current, latest)
	}
	return nil
}

// SchemaVersion is the newest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, s.wrapErr(err, "read schema version")
	}
	return v, nil
}
