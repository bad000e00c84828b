package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// IsRelayed reports whether a marketplace message was already handled.
func (s *Store) IsRelayed(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, id bridge.MessageID) (bool, error) {
	var one int
	err := s.conn.QueryRow(ctx,
		`SELECT 1 FROM relayed_messages WHERE store = $1 AND conversation = $2 AND message_id = $3`,
		string(store), string(conv), string(id)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrapErr(err, "check relayed message %s/%s/%s", store, conv, id)
	}
	return true, nil
}

// RecordRelayed records a handled message and updates its conversation's
// record (as UpdateConversation does) in one transaction. bridge.ErrConflict
// when the message was already recorded, bridge.ErrNotFound when the
// conversation has no record; either way nothing changes.
func (s *Store) RecordRelayed(ctx context.Context, m bridge.RelayedMessage, c bridge.ConversationRecord) error {
	if m.Store != c.Store || m.Conversation != c.ID {
		return fmt.Errorf("%s: record relayed message %s/%s/%s: conversation record is %s/%s",
			s.d.Name, m.Store, m.Conversation, m.ID, c.Store, c.ID)
	}
	err := s.conn.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, insertRelayedSQL,
			string(m.Store), string(m.Conversation), string(m.ID), string(m.Sender), state.UnixNano(m.SentAt),
			m.ChatMessage.Channel, m.ChatMessage.ID, state.UnixNano(m.RelayedAt), m.FromBridge); err != nil {
			return err
		}
		if err := s.recordThreadChange(ctx, tx, c); err != nil {
			return err
		}
		return mustAffect(tx.Exec(ctx, updateConversationSQL, updateConversationArgs(c)...))
	})
	return s.wrapErr(err, "record relayed message %s/%s/%s", m.Store, m.Conversation, m.ID)
}

const insertRelayedSQL = `INSERT INTO relayed_messages (store, conversation, message_id, sender, sent_at,
	chat_channel, chat_id, relayed_at, from_bridge)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
