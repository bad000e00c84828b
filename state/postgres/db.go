// Package postgres is shopbridge's PostgreSQL state backend: bridge.State on
// jackc/pgx (pgxpool), for deployments where several replicas share one
// database. It stores the same values the same way as state/sqlite and
// passes the same contract suite (state/statetest).
//
// Statements are prepared and cached per connection by pgx. Uniqueness is
// enforced by the schema; unique violations become bridge.ErrConflict.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

// store is the shared implementation of the bridge.State queries; DB
// embeds it under an unexported name.
type store = sqlstore.Store

// DB is the PostgreSQL state backend. It is safe for concurrent use.
// It implements bridge.State (documented there); the methods are the shared
// queries of state/internal/sqlstore, promoted from the embedded store.
type DB struct {
	*store

	pool *pgxpool.Pool
	opts options

	closeOnce sync.Once
}

var (
	_ bridge.State        = (*DB)(nil)
	_ bridge.InboundQueue = (*DB)(nil)
	_ bridge.Leases       = (*DB)(nil)
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string), applies the embedded migrations and returns the
// backend. The DSN's password never appears in an error.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	db, err := connect(ctx, dsn, opts...)
	if err != nil {
		return nil, err
	}
	if db.opts.readOnly {
		if err := sqlstore.CheckSchema(ctx, db.store, migrationFiles); err != nil {
			db.Close()
			return nil, fmt.Errorf("postgres: %w", err)
		}
		if err := sqlstore.CheckTokenKey(ctx, db.store); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := sqlstore.SealPlainTokens(ctx, db.store); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// connect connects to the database (creating the schema of WithSchema),
// leaving the schema's tables as they are.
func connect(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts passwords only on a best-effort basis: say nothing of the DSN.
		return nil, errors.New("postgres: the DSN cannot be parsed (expected postgres://user@host:port/db?… or key=value pairs)")
	}
	if o.schema != "" {
		if !schemaName.MatchString(o.schema) {
			return nil, fmt.Errorf("postgres: schema %q must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)", o.schema)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = o.schema
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)

	if o.schema != "" && !o.readOnly {
		// The schema must exist before a connection with it as search_path
		// can create tables.
		if err := createSchema(ctx, cfg.ConnConfig.Copy(), o.schema); err != nil {
			return nil, fmt.Errorf("postgres: %s: create schema %s: %w", where, o.schema, err)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect to %s: %w", where, err)
	}
	db := &DB{pool: pool, opts: o}
	db.store = sqlstore.New(poolConn{conn{pool}, pool}, dialect, sqlstore.Options{Cipher: o.cipher, Logger: o.logger, Now: o.now})
	if err := pool.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", where, err)
	}
	return db, nil
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	delete(cfg.RuntimeParams, "search_path")
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	if err != nil {
		var pe *pgconn.PgError
		// Two replicas creating the schema at once: the loser sees a
		// unique violation on the catalog; the schema exists either way.
		if errors.As(err, &pe) && pe.Code == "23505" {
			return nil
		}
	}
	return err
}

// Pool is the connection pool, for callers that need PostgreSQL directly
// (for example store leases between replicas).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the pool. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(db.pool.Close)
	return nil
}
