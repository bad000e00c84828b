package state

import (
	"errors"
	"fmt"
)

// Refusals: what a backend's Open returns, wrapped in a one-line message
// that names the database, when the database is not one it may use as it is.
// Test them with errors.Is; print the error itself (it never holds key
// material or a password).
var (
	// ErrEmptyDatabase: the database is empty (a zero-length file, or a
	// SQLite database with no tables) where a shopbridge state database was
	// expected. A new install may accept it on purpose (sqlite.WithAcceptEmpty).
	ErrEmptyDatabase = errors.New("state: empty database")
	// ErrNotShopbridge: the database holds tables, but not shopbridge's.
	ErrNotShopbridge = errors.New("state: not a shopbridge state database")
	// ErrNotDatabase: the file is not a database at all (damaged, or
	// another kind of file).
	ErrNotDatabase = errors.New("state: not a database")
	// ErrNoDirectory: the directory that should hold the database does
	// not exist (it is never created: a typo'd path must not become a new
	// database).
	ErrNoDirectory = errors.New("state: no such directory")
	// ErrNoDatabase: the database does not exist and the caller asked not
	// to create it (a read-only command).
	ErrNoDatabase = errors.New("state: no such database")
	// ErrKeyMissing: the database holds encrypted tokens but no key
	// (cipher) is configured.
	ErrKeyMissing = errors.New("state: encrypted tokens but no key")
	// ErrKeyMismatch: the configured key does not open the encrypted tokens.
	ErrKeyMismatch = errors.New("state: the key does not open the tokens")
	// ErrInUse: another process holds the database for itself (a second
	// bridge on one SQLite file: SQLite is single-replica).
	ErrInUse = errors.New("state: database in use by another process")
)

// refusal is an error with its own one-line message that is (errors.Is)
// one of the Err values above.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.kind }

// Refuse returns an error printed as the formatted message and matched by
// errors.Is to kind (one of the Err values above), for backends.
func Refuse(kind error, format string, args ...any) error {
	return &refusal{kind: kind, msg: fmt.Sprintf(format, args...)}
}
