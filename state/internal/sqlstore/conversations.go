package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const conversationColumns = `store, id, buyer_id, buyer_name, link, thread_channel, thread_id,
	threads_replaced, watermark_id, watermark_at, last_buyer_at, last_seller_at,
	awaiting_since, unread, created_at, updated_at, seller_streak`

func scanConversation(row Row) (bridge.ConversationRecord, error) {
	var (
		c                                            bridge.ConversationRecord
		store, id, watermarkID                       string
		watermarkAt, lastBuyer, lastSeller, awaiting int64
		createdAt, updatedAt                         int64
	)
	err := row.Scan(&store, &id, &c.BuyerID, &c.BuyerName, &c.Link, &c.Thread.Channel, &c.Thread.ID,
		&c.ThreadsReplaced, &watermarkID, &watermarkAt, &lastBuyer, &lastSeller,
		&awaiting, &c.Unread, &createdAt, &updatedAt, &c.SellerStreak)
	if err != nil {
		return bridge.ConversationRecord{}, err
	}
	c.Store = bridge.StoreID(store)
	c.ID = bridge.ConversationID(id)
	c.WatermarkID = bridge.MessageID(watermarkID)
	c.WatermarkAt = state.FromUnixNano(watermarkAt)
	c.LastBuyerAt = state.FromUnixNano(lastBuyer)
	c.LastSellerAt = state.FromUnixNano(lastSeller)
	c.AwaitingSince = state.FromUnixNano(awaiting)
	c.CreatedAt = state.FromUnixNano(createdAt)
	c.UpdatedAt = state.FromUnixNano(updatedAt)
	return c, nil
}

// Conversation returns a conversation's record (bridge.ErrNotFound without one).
func (s *Store) Conversation(ctx context.Context, store bridge.StoreID, id bridge.ConversationID) (bridge.ConversationRecord, error) {
	c, err := scanConversation(s.conn.QueryRow(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE store = $1 AND id = $2`,
		string(store), string(id)))
	if err != nil {
		return bridge.ConversationRecord{}, s.wrapErr(err, "read conversation %s/%s", store, id)
	}
	return c, nil
}

// ConversationByThread finds the conversation mapped to a thread
// (bridge.ErrNotFound for none, and for the zero ThreadRef).
func (s *Store) ConversationByThread(ctx context.Context, t bridge.ThreadRef) (bridge.ConversationRecord, error) {
	if t.IsZero() {
		return bridge.ConversationRecord{}, s.wrapErr(sql.ErrNoRows, "find conversation of an empty thread reference")
	}
	c, err := scanConversation(s.conn.QueryRow(ctx,
		`SELECT `+conversationColumns+` FROM conversations WHERE thread_channel = $1 AND thread_id = $2`,
		t.Channel, t.ID))
	if err != nil {
		return bridge.ConversationRecord{}, s.wrapErr(err, "find conversation of thread %s/%s", t.Channel, t.ID)
	}
	return c, nil
}

// CreateConversation inserts a record with its thread. bridge.ErrConflict
// when the conversation already has a record, or the thread already belongs
// to another conversation. A record with a thread records an "opened" thread
// event; a refusal because the conversation already has a different thread
// records a "duplicate" one.
func (s *Store) CreateConversation(ctx context.Context, c bridge.ConversationRecord) error {
	err := s.conn.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, insertConversationSQL,
			string(c.Store), string(c.ID), c.BuyerID, c.BuyerName, c.Link, c.Thread.Channel, c.Thread.ID,
			c.ThreadsReplaced, string(c.WatermarkID), state.UnixNano(c.WatermarkAt),
			state.UnixNano(c.LastBuyerAt), state.UnixNano(c.LastSellerAt), state.UnixNano(c.AwaitingSince),
			c.Unread, state.UnixNano(c.CreatedAt), state.UnixNano(c.UpdatedAt), c.SellerStreak); err != nil {
			return err
		}
		if c.Thread.IsZero() {
			return nil
		}
		_, err := tx.Exec(ctx, insertThreadEventSQL, string(c.Store), string(c.ID), string(bridge.ThreadOpened),
			c.Thread.Channel, c.Thread.ID, "", "", state.UnixNano(s.o.Now()))
		return err
	})
	err = s.wrapErr(err, "create conversation %s/%s", c.Store, c.ID)
	if errors.Is(err, bridge.ErrConflict) {
		if derr := s.recordDuplicate(ctx, c); derr != nil {
			s.o.Logger.Warn("could not record a duplicate thread", "store", c.Store, "conversation", c.ID, "err", derr)
		}
	}
	return err
}

const insertConversationSQL = `INSERT INTO conversations (` + conversationColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`

// UpdateConversation writes every field but the keys (bridge.ErrNotFound
// without a record). ThreadsReplaced is kept by the database: it grows by one
// when the record had a thread and c.Thread differs from it, whatever c says;
// the change is recorded as a thread event in the same transaction.
// bridge.ErrConflict when c.Thread belongs to another conversation.
func (s *Store) UpdateConversation(ctx context.Context, c bridge.ConversationRecord) error {
	err := s.conn.InTx(ctx, func(tx Tx) error {
		if err := s.recordThreadChange(ctx, tx, c); err != nil {
			return err
		}
		return mustAffect(tx.Exec(ctx, updateConversationSQL, updateConversationArgs(c)...))
	})
	return s.wrapErr(err, "update conversation %s/%s", c.Store, c.ID)
}

// updateConversationSQL counts a thread re-map in the same statement: the
// right-hand sides of an UPDATE see the row as it was.
const updateConversationSQL = `UPDATE conversations SET
	buyer_id = $3, buyer_name = $4, link = $5,
	threads_replaced = threads_replaced + CASE
		WHEN (thread_channel <> '' OR thread_id <> '') AND (thread_channel <> $6 OR thread_id <> $7) THEN 1
		ELSE 0 END,
	thread_channel = $6, thread_id = $7,
	watermark_id = $8, watermark_at = $9, last_buyer_at = $10, last_seller_at = $11,
	awaiting_since = $12, unread = $13, created_at = $14, updated_at = $15, seller_streak = $16
	WHERE store = $1 AND id = $2`

func updateConversationArgs(c bridge.ConversationRecord) []any {
	return []any{
		string(c.Store), string(c.ID), c.BuyerID, c.BuyerName, c.Link, c.Thread.Channel, c.Thread.ID,
		string(c.WatermarkID), state.UnixNano(c.WatermarkAt), state.UnixNano(c.LastBuyerAt),
		state.UnixNano(c.LastSellerAt), state.UnixNano(c.AwaitingSince), c.Unread,
		state.UnixNano(c.CreatedAt), state.UnixNano(c.UpdatedAt), c.SellerStreak,
	}
}

// SetThread maps a conversation to a thread and changes nothing else of its
// record, so that the posters open threads while the syncers keep writing
// the rest of the record (RecordInbound never touches the thread). In the
// same transaction it records the thread event ("opened" for a record
// without a thread, "replaced" otherwise, counted in ThreadsReplaced), as
// UpdateConversation does; the same thread again changes nothing and records
// no event. bridge.ErrNotFound without a record, bridge.ErrConflict when the
// thread belongs to another conversation. The empty ThreadRef is refused:
// a conversation is never un-mapped, only re-mapped.
func (s *Store) SetThread(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, t bridge.ThreadRef) error {
	if t.IsZero() {
		return fmt.Errorf("%s: set thread of conversation %s/%s: empty thread reference", s.d.Name, store, conv)
	}
	err := s.conn.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, threadChangeSQL, string(store), string(conv), t.Channel, t.ID,
			state.UnixNano(s.o.Now())); err != nil {
			return err
		}
		return mustAffect(tx.Exec(ctx, setThreadSQL, string(store), string(conv), t.Channel, t.ID))
	})
	return s.wrapErr(err, "set thread of conversation %s/%s to %s/%s", store, conv, t.Channel, t.ID)
}

// setThreadSQL counts a re-map as updateConversationSQL does.
const setThreadSQL = `UPDATE conversations SET
	threads_replaced = threads_replaced + CASE
		WHEN (thread_channel <> '' OR thread_id <> '') AND (thread_channel <> $3 OR thread_id <> $4) THEN 1
		ELSE 0 END,
	thread_channel = $3, thread_id = $4
	WHERE store = $1 AND id = $2`

// Conversations lists a store's records (every store's for ""), by store and ID.
func (s *Store) Conversations(ctx context.Context, id bridge.StoreID) ([]bridge.ConversationRecord, error) {
	var (
		out []bridge.ConversationRecord
		err error
	)
	if id == "" {
		out, err = queryAll(ctx, s, scanConversation,
			`SELECT `+conversationColumns+` FROM conversations ORDER BY store, id`)
	} else {
		out, err = queryAll(ctx, s, scanConversation,
			`SELECT `+conversationColumns+` FROM conversations WHERE store = $1 ORDER BY id`, string(id))
	}
	if err != nil {
		return nil, s.wrapErr(err, "list conversations of store %q", id)
	}
	return out, nil
}
