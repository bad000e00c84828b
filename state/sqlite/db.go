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
	"strconv"
	"strings"
	"sync"

	"github.com/gofrs/flock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
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
	// creating: a new database under its temporary name (see create), on
	// one connection with a rollback journal.
	creating bool
	// lock is the OS lock of an exclusive DB (WithExclusive), released by
	// Close.
	lock *flock.Flock

	closeOnce sync.Once
	closeErr  error
}

var (
	_ bridge.State        = (*DB)(nil)
	_ bridge.InboundQueue = (*DB)(nil)
	_ bridge.Leases       = (*DB)(nil)
)

// Open opens the database at path, or a private in-memory database for
// ":memory:", and applies the embedded migrations.
//
// A path that does not exist becomes a new database (see create: a crash
// while creating it leaves nothing at path), unless WithCreate(false). Its
// directory must exist. What Open refuses, with a one-line error that names
// the file and is errors.Is one of state's refusals: a zero-length file or a
// SQLite database without tables (state.ErrEmptyDatabase, unless
// WithAcceptEmpty(true)), a SQLite database with other tables
// (state.ErrNotShopbridge), a file that is not a SQLite database
// (state.ErrNotDatabase), a missing directory (state.ErrNoDirectory),
// encrypted tokens without the key that opens them (state.ErrKeyMissing,
// state.ErrKeyMismatch), and, WithExclusive, a file that another process
// holds exclusively (state.ErrInUse). A refused file is left as it was.
func Open(ctx context.Context, path string, opts ...Option) (_ *DB, err error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	var lock *flock.Flock
	if path != Memory && path != "" {
		if err := plainPath(path); err != nil {
			return nil, err
		}
		if o.exclusive {
			// First: a second bridge is refused before it looks at, or
			// creates, anything.
			if lock, err = lockExclusive(path); err != nil {
				return nil, err
			}
			defer func() {
				if err != nil {
					_ = lock.Unlock()
				}
			}()
		}
		kind, err := inspectFile(path)
		if err != nil {
			return nil, err
		}
		switch kind {
		case fileMissing:
			if o.noCreate {
				return nil, state.Refuse(state.ErrNoDatabase, "sqlite: %s does not exist", path)
			}
			if err := create(ctx, path, o); err != nil {
				return nil, err
			}
		case fileEmpty:
			if !o.acceptEmpty {
				return nil, state.Refuse(state.ErrEmptyDatabase, "sqlite: %s is an empty file, not a shopbridge state database", path)
			}
			o.logger.Warn("the state database is an empty file: starting a new state database in it, as asked", "path", path)
		}
	}
	db, err := connectOptions(ctx, path, o)
	if err != nil {
		return nil, err
	}
	db.lock = lock
	if o.readOnly {
		if err := sqlstore.CheckSchema(ctx, db.store, migrationFiles); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: %s: %w", path, err)
		}
		if err := sqlstore.CheckTokenKey(ctx, db.store); err != nil {
			db.Close()
			return nil, err
		}
	} else {
		if err := db.migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
		if err := sqlstore.SealPlainTokens(ctx, db.store); err != nil {
			db.Close()
			return nil, err
		}
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
	return connectOptions(ctx, path, o)
}

func connectOptions(ctx context.Context, path string, o options) (*DB, error) {
	db := &DB{opts: o, path: path}
	db.store = sqlstore.New((*conn)(db), dialect, sqlstore.Options{Cipher: o.cipher, Logger: o.logger, Now: o.now})
	if err := db.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// plainPath refuses a URI or a path with a query: the connection parameters
// are Open's.
func plainPath(path string) error {
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return fmt.Errorf("sqlite: open %q: give a plain file path (no URI or query)", path)
	}
	return nil
}

func (db *DB) open(ctx context.Context) error {
	busy := strconv.FormatInt(db.opts.busyTimeout.Milliseconds(), 10)
	if db.path == "" {
		return errors.New("sqlite: open: no database path (use \":memory:\" for an in-memory database)")
	}
	if db.path == Memory || db.creating {
		role, what := roleMemory, "in-memory database"
		if db.creating {
			role, what = roleCreator, db.path
		}
		w, err := sql.Open("sqlite", db.path+"?"+dsnQuery(busy, role))
		if err != nil {
			return fmt.Errorf("sqlite: open %s: %w", what, err)
		}
		// Every new connection to ":memory:" is a new, empty database: keep
		// exactly one, forever.
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		db.w, db.r = w, w
		if err := w.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlite: open %s: %w", what, err)
		}
		return nil
	}

	if err := plainPath(db.path); err != nil {
		return err
	}
	w, err := sql.Open("sqlite", db.path+"?"+dsnQuery(busy, roleWriter))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db.w = w
	if err := w.PingContext(ctx); err != nil {
		return refuseDamaged(db.path, fmt.Errorf("sqlite: open %s: %w", db.path, err))
	}
	// Nothing is written before the file is known to be shopbridge's (or
	// accepted as a new one): a refused file is left as it was.
	if err := db.checkSchema(ctx); err != nil {
		return err
	}
	// The writer switches the file to WAL (a persistent setting) before any
	// reader connects.
	if _, err := w.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		return refuseDamaged(db.path, fmt.Errorf("sqlite: open %s: set WAL mode: %w", db.path, err))
	}
	r, err := sql.Open("sqlite", db.path+"?"+dsnQuery(busy, roleReader))
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

// The connections a DB opens.
type connRole int

const (
	roleMemory  connRole = iota // the only connection to ":memory:"
	roleWriter                  // a file's only writer
	roleReader                  // a file's read pool
	roleCreator                 // a new file's only connection, under its temporary name
)

// dsnQuery builds the connection parameters: busy timeout first, foreign
// keys on. The writer of a file runs with synchronous=NORMAL, durable across
// application crashes under WAL (a power loss may lose the last commits,
// never corrupt the file); it switches the file to WAL itself once it knows
// the file is shopbridge's, and WAL is persistent, so a reconnecting writer
// needs no pragma for it. A new file is built with a rollback journal and
// synchronous=FULL, so it is complete on disk and alone (no -wal or -shm)
// when it is moved into place. The writers begin transactions IMMEDIATE so
// that a read-then-write transaction never fails to upgrade its lock.
func dsnQuery(busyMillis string, role connRole) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+busyMillis+")")
	q.Add("_pragma", "foreign_keys(1)")
	switch role {
	case roleWriter:
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	case roleCreator:
		q.Add("_pragma", "journal_mode(DELETE)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Set("_txlock", "immediate")
	case roleReader:
		q.Add("_pragma", "query_only(1)")
	}
	return q.Encode()
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
		if db.lock != nil {
			// After the connections: the next bridge finds the file closed.
			if err := db.lock.Unlock(); err != nil {
				errs = append(errs, fmt.Errorf("release %s: %w", db.lock.Path(), err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			db.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return db.closeErr
}
