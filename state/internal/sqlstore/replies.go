package sqlstore

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const replyColumns = `id, store, conversation, thread_channel, thread_id, chat_channel, chat_id,
	author_id, author_name, text, status, reason, attempts, marketplace_message_id,
	created_at, updated_at, sent_at, next_attempt_at, attempt_started_at, attempt_deadline`

func scanReply(row Row) (bridge.Reply, error) {
	var (
		r                                    bridge.Reply
		id                                   int64
		store, conv, status, mmID            string
		createdAt, updatedAt, sentAt, nextAt int64
		attemptAt, deadline                  int64
	)
	err := row.Scan(&id, &store, &conv, &r.Thread.Channel, &r.Thread.ID, &r.ChatMessage.Channel, &r.ChatMessage.ID,
		&r.AuthorID, &r.AuthorName, &r.Text, &status, &r.Reason, &r.Attempts, &mmID,
		&createdAt, &updatedAt, &sentAt, &nextAt, &attemptAt, &deadline)
	if err != nil {
		return bridge.Reply{}, err
	}
	r.ID = bridge.ReplyID(id)
	r.Store = bridge.StoreID(store)
	r.Conversation = bridge.ConversationID(conv)
	r.Status = bridge.ReplyStatus(status)
	r.MarketplaceMessageID = bridge.MessageID(mmID)
	r.CreatedAt = state.FromUnixNano(createdAt)
	r.UpdatedAt = state.FromUnixNano(updatedAt)
	r.SentAt = state.FromUnixNano(sentAt)
	r.NextAttemptAt = state.FromUnixNano(nextAt)
	r.AttemptStartedAt = state.FromUnixNano(attemptAt)
	r.AttemptDeadline = state.FromUnixNano(deadline)
	return r, nil
}

// EnqueueReply stores a new outbox row (status queued when r.Status is
// empty) and returns it with its ID; r.ID is ignored. bridge.ErrConflict when
// the chat message already has a row.
func (s *Store) EnqueueReply(ctx context.Context, r bridge.Reply) (bridge.Reply, error) {
	if r.Status == "" {
		r.Status = bridge.ReplyQueued
	}
	id, err := s.conn.InsertID(ctx,
		`INSERT INTO replies (store, conversation, thread_channel, thread_id, chat_channel, chat_id,
		   author_id, author_name, text, status, reason, attempts, marketplace_message_id,
		   created_at, updated_at, sent_at, next_attempt_at, attempt_started_at, attempt_deadline)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		 RETURNING id`,
		string(r.Store), string(r.Conversation), r.Thread.Channel, r.Thread.ID, r.ChatMessage.Channel, r.ChatMessage.ID,
		r.AuthorID, r.AuthorName, r.Text, string(r.Status), r.Reason, r.Attempts, string(r.MarketplaceMessageID),
		state.UnixNano(r.CreatedAt), state.UnixNano(r.UpdatedAt), state.UnixNano(r.SentAt), state.UnixNano(r.NextAttemptAt),
		state.UnixNano(r.AttemptStartedAt), state.UnixNano(r.AttemptDeadline))
	if err != nil {
		return bridge.Reply{}, s.wrapErr(err, "enqueue reply to %s/%s for chat message %s/%s",
			r.Store, r.Conversation, r.ChatMessage.Channel, r.ChatMessage.ID)
	}
	r.ID = bridge.ReplyID(id)
	return r, nil
}

// Reply returns an outbox row (bridge.ErrNotFound for none).
func (s *Store) Reply(ctx context.Context, id bridge.ReplyID) (bridge.Reply, error) {
	r, err := scanReply(s.conn.QueryRow(ctx, `SELECT `+replyColumns+` FROM replies WHERE id = $1`, int64(id)))
	if err != nil {
		return bridge.Reply{}, s.wrapErr(err, "read reply %d", id)
	}
	return r, nil
}

// ReplyByChatMessage returns the outbox row of an agent's chat message
// (bridge.ErrNotFound for none, and for the zero reference).
func (s *Store) ReplyByChatMessage(ctx context.Context, m bridge.ChatMessageRef) (bridge.Reply, error) {
	if m.IsZero() {
		return bridge.Reply{}, s.wrapErr(bridge.ErrNotFound, "find reply of an empty chat message reference")
	}
	r, err := scanReply(s.conn.QueryRow(ctx,
		`SELECT `+replyColumns+` FROM replies WHERE chat_channel = $1 AND chat_id = $2`, m.Channel, m.ID))
	if err != nil {
		return bridge.Reply{}, s.wrapErr(err, "find reply of chat message %s/%s", m.Channel, m.ID)
	}
	return r, nil
}

// UpdateReply writes a row's status, reason, attempts, marketplace message ID,
// its updated, sent and next-attempt times and its last attempt's start and
// deadline. The rest (text, thread, author, creation time) stays as
// enqueued. bridge.ErrNotFound for no row.
func (s *Store) UpdateReply(ctx context.Context, r bridge.Reply) error {
	err := mustAffect(s.conn.Exec(ctx,
		`UPDATE replies SET status = $2, reason = $3, attempts = $4, marketplace_message_id = $5,
		   updated_at = $6, sent_at = $7, next_attempt_at = $8, attempt_started_at = $9, attempt_deadline = $10
		 WHERE id = $1`,
		int64(r.ID), string(r.Status), r.Reason, r.Attempts, string(r.MarketplaceMessageID),
		state.UnixNano(r.UpdatedAt), state.UnixNano(r.SentAt), state.UnixNano(r.NextAttemptAt),
		state.UnixNano(r.AttemptStartedAt), state.UnixNano(r.AttemptDeadline)))
	return s.wrapErr(err, "update reply %d", r.ID)
}

// UnfinishedReplies lists queued and sending rows, oldest first.
func (s *Store) UnfinishedReplies(ctx context.Context) ([]bridge.Reply, error) {
	out, err := queryAll(ctx, s, scanReply,
		`SELECT `+replyColumns+` FROM replies WHERE status IN ('queued', 'sending') ORDER BY created_at, id`)
	if err != nil {
		return nil, s.wrapErr(err, "list unfinished replies")
	}
	return out, nil
}

// Replies lists rows created at or after since, oldest first (every store's
// for "").
func (s *Store) Replies(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.Reply, error) {
	out, err := querySince(ctx, s, scanReply, replyColumns, "replies", "created_at", store, since)
	if err != nil {
		return nil, s.wrapErr(err, "list replies of store %q", store)
	}
	return out, nil
}
