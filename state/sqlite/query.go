package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// errRow is a row whose statement could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// stmtCache keeps every statement prepared once per pool: SQLite's parser
// costs more than running the small statements of the hot path.
// database/sql re-prepares a statement on each connection of a pool as needed.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

func (c *stmtCache) get(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	if s, ok := c.lookup(pool, query); ok {
		return s, nil
	}
	// Prepare without holding the lock: preparing on the write pool waits
	// for a running transaction, which itself looks statements up.
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	k := stmtKey{pool, query}
	c.mu.Lock()
	prev, raced := c.stmts[k]
	if !raced {
		if c.stmts == nil {
			c.stmts = map[stmtKey]*sql.Stmt{}
		}
		c.stmts[k] = s
	}
	c.mu.Unlock()
	if raced {
		s.Close()
		return prev, nil
	}
	return s, nil
}

func (c *stmtCache) lookup(pool *sql.DB, query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.stmts[stmtKey{pool, query}]
	return s, ok
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.stmts {
		s.Close()
		delete(c.stmts, k)
	}
}

// exec runs a write outside a transaction, on the write connection.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := db.stmts.get(ctx, db.w, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// txExec runs a write inside tx (which is on the write connection). It uses
// the statement prepared by prepareTxStatements; it cannot prepare one now,
// because the transaction holds the only write connection.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s, ok := db.stmts.lookup(db.w, query); ok {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txStatements are the statements run inside write transactions on the hot
// path, prepared when the database opens.
var txStatements = []string{insertRelayedSQL, updateConversationSQL, threadChangeSQL, insertConversationSQL, insertThreadEventSQL}

func (db *DB) prepareTxStatements(ctx context.Context) error {
	for _, q := range txStatements {
		if _, err := db.stmts.get(ctx, db.w, q); err != nil {
			return wrapErr(err, "prepare statements")
		}
	}
	return nil
}

// queryRow runs a single-row read on the read pool.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) scanner {
	s, err := db.stmts.get(ctx, db.r, query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

// queryAll runs a read on the read pool and scans every row with scan.
func queryAll[T any](ctx context.Context, db *DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	s, err := db.stmts.get(ctx, db.r, query)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
