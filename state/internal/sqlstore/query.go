package sqlstore

import "context"

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

// HotStatements are the statements run inside write transactions on the hot
// path (RecordRelayed, CreateConversation, UpdateConversation, the inbound
// queue's writes). A backend that caches prepared statements prepares them
// when it opens.
var HotStatements = append([]string{
	updateConversationSQL, threadChangeSQL, insertConversationSQL, insertThreadEventSQL,
	insertConversationIfMissingSQL, updateConversationKeepThreadSQL, recallInboundSQL, markPostedSQL, setThreadSQL,
}, insertInboundStatements()...)
