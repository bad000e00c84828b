package bridgetest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The reply outbox: one row per agent reply, one per chat message.

// EnqueueReply stores a new outbox row (status queued when r.Status is
// empty) and returns it with its ID; r.ID is ignored. bridge.ErrConflict
// when the chat message already has a row.
func (s *MemState) EnqueueReply(ctx context.Context, r bridge.Reply) (bridge.Reply, error) {
	if r.Status == "" {
		r.Status = bridge.ReplyQueued
	}
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.Reply{}, err
	}
	defer db.mu.Unlock()
	if _, taken := db.replyByChat[r.ChatMessage]; taken && !r.ChatMessage.IsZero() {
		return bridge.Reply{}, fail(bridge.ErrConflict, "enqueue reply to %s/%s for chat message %s/%s",
			r.Store, r.Conversation, r.ChatMessage.Channel, r.ChatMessage.ID)
	}
	db.lastReplyID++
	r.ID = bridge.ReplyID(db.lastReplyID)
	row := stampReply(r)
	db.replies[r.ID] = &row
	db.replyOrder = append(db.replyOrder, r.ID)
	if !r.ChatMessage.IsZero() {
		db.replyByChat[r.ChatMessage] = r.ID
	}
	// As the SQL backends: the caller's row with its ID, times as given.
	return r, nil
}

// Reply returns an outbox row (bridge.ErrNotFound for none).
func (s *MemState) Reply(ctx context.Context, id bridge.ReplyID) (bridge.Reply, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.Reply{}, err
	}
	defer db.mu.Unlock()
	r, ok := db.replies[id]
	if !ok {
		return bridge.Reply{}, fail(bridge.ErrNotFound, "read reply %d", id)
	}
	return *r, nil
}

// ReplyByChatMessage returns the outbox row of an agent's chat message
// (bridge.ErrNotFound for none, and for the zero reference).
func (s *MemState) ReplyByChatMessage(ctx context.Context, m bridge.ChatMessageRef) (bridge.Reply, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.Reply{}, err
	}
	defer db.mu.Unlock()
	id, ok := db.replyByChat[m]
	if !ok || m.IsZero() {
		return bridge.Reply{}, fail(bridge.ErrNotFound, "find reply of chat message %s/%s", m.Channel, m.ID)
	}
	return *db.replies[id], nil
}

// UpdateReply writes a row's status, reason, attempts, marketplace message
// ID, its updated, sent and next-attempt times and its last attempt's start
// and deadline. The rest (text, thread, author, creation time) stays as
// enqueued. bridge.ErrNotFound for no row.
func (s *MemState) UpdateReply(ctx context.Context, r bridge.Reply) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	row, ok := db.replies[r.ID]
	if !ok {
		return fail(bridge.ErrNotFound, "update reply %d", r.ID)
	}
	r = stampReply(r)
	row.Status, row.Reason, row.Attempts, row.MarketplaceMessageID = r.Status, r.Reason, r.Attempts, r.MarketplaceMessageID
	row.UpdatedAt, row.SentAt, row.NextAttemptAt = r.UpdatedAt, r.SentAt, r.NextAttemptAt
	row.AttemptStartedAt, row.AttemptDeadline = r.AttemptStartedAt, r.AttemptDeadline
	return nil
}

// UnfinishedReplies lists queued and sending rows, oldest first (by
// creation time, then as enqueued).
func (s *MemState) UnfinishedReplies(ctx context.Context) ([]bridge.Reply, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	var out []bridge.Reply
	for _, id := range db.replyOrder {
		if r := db.replies[id]; r.Status == bridge.ReplyQueued || r.Status == bridge.ReplySending {
			out = append(out, *r)
		}
	}
	slices.SortStableFunc(out, func(a, b bridge.Reply) int { return cmp.Compare(nanos(a.CreatedAt), nanos(b.CreatedAt)) })
	return out, nil
}

// Replies lists rows created at or after since, oldest first (every
// store's for "").
func (s *MemState) Replies(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.Reply, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	rows := make([]bridge.Reply, len(db.replyOrder))
	for i, id := range db.replyOrder {
		rows[i] = *db.replies[id]
	}
	return listSince(rows, since, func(r bridge.Reply) time.Time { return r.CreatedAt },
		func(r bridge.Reply) bool { return store == "" || r.Store == store }), nil
}

// stampReply is r with its times as the state keeps them.
func stampReply(r bridge.Reply) bridge.Reply {
	r.CreatedAt, r.UpdatedAt, r.SentAt = stamp(r.CreatedAt), stamp(r.UpdatedAt), stamp(r.SentAt)
	r.NextAttemptAt, r.AttemptStartedAt, r.AttemptDeadline = stamp(r.NextAttemptAt), stamp(r.AttemptStartedAt), stamp(r.AttemptDeadline)
	return r
}
