package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const threadEventColumns = `store, conversation, kind, thread_channel, thread_id, prev_channel, prev_id, at`

func scanThreadEvent(row Row) (bridge.ThreadEvent, error) {
	var (
		e                 bridge.ThreadEvent
		store, conv, kind string
		at                int64
	)
	if err := row.Scan(&store, &conv, &kind, &e.Thread.Channel, &e.Thread.ID, &e.Previous.Channel, &e.Previous.ID, &at); err != nil {
		return bridge.ThreadEvent{}, err
	}
	e.Store = bridge.StoreID(store)
	e.Conversation = bridge.ConversationID(conv)
	e.Kind = bridge.ThreadEventKind(kind)
	e.At = state.FromUnixNano(at)
	return e, nil
}

// ThreadEvents lists thread mapping changes at or after since, oldest first.
func (s *Store) ThreadEvents(ctx context.Context, since time.Time) ([]bridge.ThreadEvent, error) {
	out, err := queryAll(ctx, s, scanThreadEvent,
		`SELECT `+threadEventColumns+` FROM thread_events WHERE at >= $1 ORDER BY at, id`,
		state.UnixNano(since))
	if err != nil {
		return nil, s.wrapErr(err, "list thread events")
	}
	return out, nil
}

// threadChangeSQL records, before a conversation's record is updated, that
// its thread is being opened or replaced: it inserts nothing when the new
// thread is empty or the same as the stored one.
const threadChangeSQL = `INSERT INTO thread_events (` + threadEventColumns + `)
	SELECT store, id,
		CASE WHEN thread_channel = '' AND thread_id = '' THEN 'opened' ELSE 'replaced' END,
		$3, $4, thread_channel, thread_id, $5
	FROM conversations
	WHERE store = $1 AND id = $2 AND ($3 <> '' OR $4 <> '') AND (thread_channel <> $3 OR thread_id <> $4)`

func (s *Store) recordThreadChange(ctx context.Context, tx Tx, c bridge.ConversationRecord) error {
	_, err := tx.Exec(ctx, threadChangeSQL, string(c.Store), string(c.ID), c.Thread.Channel, c.Thread.ID,
		state.UnixNano(s.o.Now()))
	return err
}

const insertThreadEventSQL = `INSERT INTO thread_events (` + threadEventColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

// recordDuplicate is called after CreateConversation was refused: when the
// conversation already had a different thread, the thread the caller opened
// is a second one, and that is recorded (outside the failed transaction).
func (s *Store) recordDuplicate(ctx context.Context, c bridge.ConversationRecord) error {
	if c.Thread.IsZero() {
		return nil
	}
	var ch, id string
	err := s.conn.QueryRow(ctx, `SELECT thread_channel, thread_id FROM conversations WHERE store = $1 AND id = $2`,
		string(c.Store), string(c.ID)).Scan(&ch, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	prev := bridge.ThreadRef{Channel: ch, ID: id}
	if prev.IsZero() || prev == c.Thread {
		return nil
	}
	_, err = s.conn.Exec(ctx, insertThreadEventSQL, string(c.Store), string(c.ID), string(bridge.ThreadDuplicate),
		c.Thread.Channel, c.Thread.ID, prev.Channel, prev.ID, state.UnixNano(s.o.Now()))
	return err
}
