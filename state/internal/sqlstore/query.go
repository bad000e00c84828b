package sqlstore

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// queryAll runs a read and scans every row with scan (nil for no rows).
func queryAll[T any](ctx context.Context, s *Store, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.conn.Query(ctx, query, args...)
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

// querySince lists the rows of table whose column at is at or after since,
// oldest first (then by id): of one store, or every store's for "". Each
// case is a statement of its own, so that each uses its index.
func querySince[T any](ctx context.Context, s *Store, scan func(Row) (T, error), columns, table, at string, store bridge.StoreID, since time.Time) ([]T, error) {
	where, args := at+` >= $1`, []any{state.UnixNano(since)}
	if store != "" {
		where, args = `store = $1 AND `+at+` >= $2`, []any{string(store), state.UnixNano(since)}
	}
	return queryAll(ctx, s, scan, `SELECT `+columns+` FROM `+table+` WHERE `+where+` ORDER BY `+at+`, id`, args...)
}

// HotStatements are the statements run inside write transactions on the hot
// path (RecordRelayed, CreateConversation, UpdateConversation, the inbound
// queue's writes). A backend that caches prepared statements prepares them
// when it opens.
var HotStatements = append([]string{
	updateConversationSQL, threadChangeSQL, insertConversationSQL, insertThreadEventSQL,
	insertConversationIfMissingSQL, updateConversationKeepThreadSQL, recallInboundSQL, markPostedSQL, setThreadSQL,
}, insertInboundStatements()...)
