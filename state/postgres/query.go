package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

// querier is the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn is the pool as the shared queries see it (sqlstore.Conn). pgx
// prepares and caches statements per connection.
type conn struct{ q querier }

var (
	_ sqlstore.Conn = poolConn{}
	_ sqlstore.Tx   = conn{}
)

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ExecScript runs a multi-statement file in one round trip (the simple
// protocol).
func (c conn) ExecScript(ctx context.Context, script string) error {
	_, err := c.q.Exec(ctx, script, pgx.QueryExecModeSimpleProtocol)
	return err
}

func (c conn) InsertID(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := c.q.QueryRow(ctx, query, args...).Scan(&id)
	return id, err
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.q.QueryRow(ctx, query, args...)
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := c.q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows}, nil
}

// poolConn adds transactions to the pool's conn.
type poolConn struct {
	conn
	pool *pgxpool.Pool
}

func (c poolConn) InTx(ctx context.Context, fn func(sqlstore.Tx) error) error {
	return pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error { return fn(conn{tx}) })
}

// pgRows gives pgx.Rows the Close of database/sql.
type pgRows struct{ pgx.Rows }

func (r pgRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}
