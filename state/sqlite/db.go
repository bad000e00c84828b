// Package sqlite is shopbridge's embedded state backend: bridge.State on
// SQLite through modernc.org/sqlite (pure Go, no cgo).
//
// A file database runs in WAL mode with one write connection and a small
// read pool: SQLite has a single writer, so serialising writes inside the
// process avoids SQLITE_BUSY between goroutines, while reads proceed
// concurrently. busy_timeout only matters for another process (for example
// "shopbridge report") using the same file. ":memory:" is a private
// in-memory database on a single connection, for tests and demos.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

// Memory is the path of a private in-memory database.
const Memory = ":memory:"

// store is the shared implementation of the bridge.State queries; DB
// embeds it under an unexported name.
type store = sqlstore.Store

// DB is the SQLite state backend. It is safe for concurrent use.
// It implements bridge.State (documented there); the methods are the shared
// queries of state/internal/sqlstore, promoted from the embedded store.
type DB struct {
	*store

	// w is the only connection that writes (MaxOpenConns 1, BEGIN IMMEDIATE).
	w *sql.DB
	// r is the read pool; for an in-memory database it is w.
	r     *sql.DB
	opts  options
	path  string
	stmts stmtCache

	closeOnce sync.Once
	closeErr  error
}

var (
	_ bridge.State        = (*DB)(nil)
	_ bridge.InboundQueue = (*DB)(nil)
)

// Open opens (creating if needed) the database at path, or a private
// in-memory database for ":memory:", and applies the embedded migrations.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	db, err := connect(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := sqlstore.SealPlainTokens(ctx, db.store); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.prepareTxStatements(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// connect opens the database's connections, leaving its schema as it is.
func connect(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	db := &DB{opts: o, path: path}
	db.store = sqlstore.New((*conn)(db), dialect, sqlstore.Options{Cipher: o.cipher, Logger: o.logger, Now: o.now})
	if err := db.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) open(ctx context.Context) error {
	busy := strconv.FormatInt(db.opts.busyTimeout.Milliseconds(), 10)
	if db.path == "" {
		return errors.New("sqlite: open: no database path (use \":memory:\" for an in-memory database)")
	}
	if db.path == Memory {
		w, err := sql.Open("sqlite", Memory+"?"+dsnQuery(busy, false, false))
		if err != nil {
			return fmt.Errorf("sqlite: open in-memory database: %w", err)
		}
		// Every new connection to ":memory:" is a new, empty database: keep
		// exactly one, forever.
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		db.w, db.r = w, w
		if err := w.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlite: open in-memory database: %w", err)
		}
		return nil
	}

	if strings.ContainsAny(db.path, "?#") || strings.HasPrefix(db.path, "file:") {
		return fmt.Errorf("sqlite: open %q: give a plain file path (no URI or query)", db.path)
	}
	if err := prepareFile(db.path); err != nil {
		return err
	}
	w, err := sql.Open("sqlite", db.path+"?"+dsnQuery(busy, true, false))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db.w = w
	// The writer switches the file to WAL before any reader connects.
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	r, err := sql.Open("sqlite", db.path+"?"+dsnQuery(busy, false, true))
	if err != nil {
		return fmt.Errorf("sqlite: open %s for reading: %w", db.path, err)
	}
	r.SetMaxOpenConns(db.opts.maxReadConns)
	r.SetMaxIdleConns(db.opts.maxReadConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	db.r = r
	if err := r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s for reading: %w", db.path, err)
	}
	return nil
}

// dsnQuery builds the connection parameters: busy timeout first, foreign
// keys on, and for a file WAL with synchronous=NORMAL (durable across
// application crashes; a power loss may lose the last commits, never
// corrupt the file). The writer begins transactions IMMEDIATE so that a
// read-then-write transaction never fails to upgrade its lock.
func dsnQuery(busyMillis string, writer, reader bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+busyMillis+")")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	if reader {
		q.Add("_pragma", "query_only(1)")
	}
	return q.Encode()
}

// prepareFile creates the database's directory and, for a new database, an
// empty file readable only by its owner (it holds marketplace tokens).
func prepareFile(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return f.Close()
}

// Path is the database file (or ":memory:").
func (db *DB) Path() string { return db.path }

// Close closes the database. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		var errs []error
		db.stmts.close()
		if db.r != nil && db.r != db.w {
			errs = append(errs, db.r.Close())
		}
		if db.w != nil {
			// Let SQLite refresh its query planner statistics if they are stale.
			_, _ = db.w.Exec("PRAGMA optimize")
			errs = append(errs, db.w.Close())
		}
		if err := errors.Join(errs...); err != nil {
			db.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return db.closeErr
}
