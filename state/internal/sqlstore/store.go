// Package sqlstore implements bridge.State once, over the small Conn
// interface that state/sqlite and state/postgres each provide: the same SQL
// (with $n placeholders, which both SQLite and PostgreSQL accept), the same
// row scanning and the same error classification. A Dialect carries the few
// real differences between the two databases.
package sqlstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// Row is one result row (*sql.Row, pgx.Row).
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set being read.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Tx runs statements inside a write transaction.
type Tx interface {
	// Exec runs one statement and returns the number of rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// ExecScript runs a file of several statements (a migration).
	ExecScript(ctx context.Context, script string) error
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Conn is what a backend provides: reads on its read connections, writes on
// its write connection, transactions. Each backend picks the connection and
// caches statements as it sees fit.
type Conn interface {
	// Exec runs one write outside a transaction and returns the number of
	// rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// InsertID runs an INSERT … RETURNING id and returns the id.
	InsertID(ctx context.Context, query string, args ...any) (int64, error)
	// QueryRow runs a single-row read.
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Query runs a read.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// InTx runs fn in a write transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Dialect holds what differs between the databases.
type Dialect struct {
	// Name prefixes errors and log lines ("sqlite", "postgres").
	Name string
	// Classify maps a uniqueness violation to bridge.ErrConflict and a
	// foreign key violation to bridge.ErrNotFound, with a detail that names
	// the constraint but no values; it returns a nil kind for anything else.
	Classify func(err error) (detail string, kind error)
	// EncodeStores is an incident's stores as a statement argument.
	EncodeStores func(ids []bridge.StoreID) any
	// ScanStores returns a scan destination for an incident's stores and a
	// function that decodes what was scanned into it.
	ScanStores func() (dest any, decode func() ([]bridge.StoreID, error))
	// LockRows ends a SELECT whose rows a transaction then updates
	// (" FOR UPDATE"; "" where the transaction already excludes writers).
	LockRows string
	// StringList is a list of strings as one statement argument, and
	// InStringList the condition that column holds one of the list bound at
	// placeholder ("$3"): a lookup of any number of keys is then one
	// statement, prepared once, whatever the number.
	StringList   func(list []string) any
	InStringList func(column, placeholder string) string
	// BigInt is the column type of a 64-bit integer.
	BigInt string
	// MigrationLock, when set, is run first in the migration transaction to
	// serialise processes migrating the same database.
	MigrationLock string
	// NowNanos is the database's clock as Unix nanoseconds (a BigInt
	// expression): leases and replica heartbeats are timed by it, never by
	// a replica's clock.
	NowNanos string
}

// Options are a backend's options that the queries use.
type Options struct {
	// Cipher seals tokens at rest (nil: stored in the clear).
	Cipher state.Cipher
	// Logger must not be nil.
	Logger *slog.Logger
	// Now times the thread events the backend records itself.
	Now func() time.Time
}

// Store is bridge.State, but for Close (which the backend owns), over a Conn.
type Store struct {
	conn Conn
	d    Dialect
	o    Options
}

// New returns the queries over conn.
func New(conn Conn, d Dialect, o Options) *Store {
	return &Store{conn: conn, d: d, o: o}
}
