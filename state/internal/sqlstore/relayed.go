package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// IsRelayed reports whether a marketplace message was already handled: since
// schema version 3, whether the inbound queue holds it, in any status.
func (s *Store) IsRelayed(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, id bridge.MessageID) (bool, error) {
	var one int
	err := s.conn.QueryRow(ctx,
		`SELECT 1 FROM inbound_messages WHERE store = $1 AND conversation = $2 AND message_id = $3`,
		string(store), string(conv), string(id)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrapErr(err, "check relayed message %s/%s/%s", store, conv, id)
	}
	return true, nil
}

// RecordRelayed records a handled message as a row of the inbound queue
// (own for the bridge's reply, posted when it has a chat message, else
// silent; without content, which the relaying engine never stored) and
// updates its conversation's record (as UpdateConversation does) in one
// transaction. bridge.ErrConflict when the queue already holds the message,
// bridge.ErrNotFound when the conversation has no record; either way nothing
// changes.
func (s *Store) RecordRelayed(ctx context.Context, m bridge.RelayedMessage, c bridge.ConversationRecord) error {
	if m.Store != c.Store || m.Conversation != c.ID {
		return fmt.Errorf("%s: record relayed message %s/%s/%s: conversation record is %s/%s",
			s.d.Name, m.Store, m.Conversation, m.ID, c.Store, c.ID)
	}
	status, postedAt := bridge.InboundSilent, int64(0)
	switch {
	case m.FromBridge:
		status, postedAt = bridge.InboundOwn, state.UnixNano(m.RelayedAt)
	case !m.ChatMessage.IsZero():
		status, postedAt = bridge.InboundPosted, state.UnixNano(m.RelayedAt)
	}
	err := s.conn.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, insertRelayedSQL,
			string(m.Store), string(m.Conversation), string(m.ID), string(m.Sender), state.UnixNano(m.SentAt),
			string(status), m.ChatMessage.Channel, m.ChatMessage.ID, state.UnixNano(m.RelayedAt), postedAt); err != nil {
			return err
		}
		if err := s.recordThreadChange(ctx, tx, c); err != nil {
			return err
		}
		return mustAffect(tx.Exec(ctx, updateConversationSQL, updateConversationArgs(c)...))
	})
	return s.wrapErr(err, "record relayed message %s/%s/%s", m.Store, m.Conversation, m.ID)
}

// insertRelayedSQL has no ON CONFLICT: a message already held is a
// uniqueness violation, which is RecordRelayed's ErrConflict.
const insertRelayedSQL = `INSERT INTO inbound_messages (store, conversation, message_id, sender, sent_at,
	status, chat_channel, chat_id, recorded_at, posted_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
