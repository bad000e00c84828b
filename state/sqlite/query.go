package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

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

// conn is the DB as the shared queries see it (sqlstore.Conn): writes on the
// write connection, reads on the read pool, every statement prepared once.
type conn DB

var _ sqlstore.Conn = (*conn)(nil)

// Exec runs a write outside a transaction, on the write connection.
func (c *conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	s, err := c.stmts.get(ctx, c.w, query)
	if err != nil {
		return 0, err
	}
	return rowsAffected(s.ExecContext(ctx, args...))
}

// InsertID runs an INSERT … RETURNING id on the write connection.
func (c *conn) InsertID(ctx context.Context, query string, args ...any) (int64, error) {
	s, err := c.stmts.get(ctx, c.w, query)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.QueryRowContext(ctx, args...).Scan(&id)
	return id, err
}

// QueryRow runs a single-row read on the read pool.
func (c *conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	s, err := c.stmts.get(ctx, c.r, query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

// Query runs a read on the read pool.
func (c *conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	s, err := c.stmts.get(ctx, c.r, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// InTx runs fn in a transaction on the write connection (BEGIN IMMEDIATE).
func (c *conn) InTx(ctx context.Context, fn func(sqlstore.Tx) error) error {
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(txConn{c, tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// txConn runs statements inside a transaction on the write connection.
type txConn struct {
	c  *conn
	tx *sql.Tx
}

// Exec uses the statement prepared by prepareTxStatements; it cannot
// prepare one now, because the transaction holds the only write connection.
func (t txConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if s, ok := t.c.stmts.lookup(t.c.w, query); ok {
		return rowsAffected(t.tx.StmtContext(ctx, s).ExecContext(ctx, args...))
	}
	return rowsAffected(t.tx.ExecContext(ctx, query, args...))
}

func (t txConn) ExecScript(ctx context.Context, script string) error {
	_, err := t.tx.ExecContext(ctx, script)
	return err
}

// Query uses the statement prepared by prepareTxStatements when there is one
// (an INSERT … RETURNING of the hot path), as Exec does.
func (t txConn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if s, ok := t.c.stmts.lookup(t.c.w, query); ok {
		return t.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t txConn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if s, ok := t.c.stmts.lookup(t.c.w, query); ok {
		return t.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// prepareTxStatements prepares the statements of the hot write transactions
// when the database opens.
func (db *DB) prepareTxStatements(ctx context.Context) error {
	for _, q := range sqlstore.HotStatements {
		if _, err := db.stmts.get(ctx, db.w, q); err != nil {
			return sqlstore.WrapErr(dialect, err, "prepare statements")
		}
	}
	return nil
}
