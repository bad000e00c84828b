package sqlstore

import (
	"context"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const inboundColumns = `seq, store, conversation, message_id, sender, sender_name, kind, text, url, card,
	unsupported_type, sent_at, status, resumed, recalled, edited, chat_channel, chat_id, recorded_at, posted_at,
	translation, auto_reply, safety_note`

func scanInbound(row Row) (bridge.InboundMessage, error) {
	var (
		m                                           bridge.InboundMessage
		store, conv, id, sender, kind, card, status string
		sentAt, recordedAt, postedAt                int64
	)
	err := row.Scan(&m.Seq, &store, &conv, &id, &sender, &m.Message.SenderName, &kind, &m.Message.Text,
		&m.Message.URL, &card, &m.Message.UnsupportedType, &sentAt, &status, &m.Resumed, &m.Message.Recalled,
		&m.Edited, &m.Chat.Channel, &m.Chat.ID, &recordedAt, &postedAt,
		&m.Message.Translation, &m.Message.AutoReply, &m.Message.SafetyNote)
	if err != nil {
		return bridge.InboundMessage{}, err
	}
	if m.Message.Card, err = decodeCard(card); err != nil {
		return bridge.InboundMessage{}, err
	}
	m.Store = bridge.StoreID(store)
	m.Message.Conversation = bridge.ConversationID(conv)
	m.Message.ID = bridge.MessageID(id)
	m.Message.Sender = bridge.Sender(sender)
	m.Message.Kind = bridge.MessageKind(kind)
	m.Message.SentAt = state.FromUnixNano(sentAt)
	m.Status = bridge.InboundStatus(status)
	m.RecordedAt = state.FromUnixNano(recordedAt)
	m.PostedAt = state.FromUnixNano(postedAt)
	return m, nil
}

// RecordInbound stores a batch in one transaction: the conversation's record
// (inserted when missing; otherwise every field but the keys, the thread,
// ThreadsReplaced and CreatedAt is updated, so that a SetThread running
// alongside is never undone) and each message the queue does not hold yet.
// A message it holds is left as it is, unless the batch's copy is recalled
// and the stored one is not: then it is marked recalled, its content (kind,
// text, URL, card, unsupported type and translation) is replaced by the
// batch's, and a posted message is marked Edited; its sender, time,
// AutoReply and SafetyNote stay as recorded. It returns the IDs it inserted
// or changed, in the batch's order.
//
// A message without an ID, of another conversation or with an unknown
// status refuses the whole batch before anything is written. An empty Status
// is pending, a zero RecordedAt the backend's clock. A message given twice
// in one batch is recorded once (the recalled copy, if one is).
//
// The conversation's row is written first: on PostgreSQL its row lock then
// serialises the batches of one conversation, so that overlapping batches
// never deadlock on each other's messages and each message is inserted once.
func (s *Store) RecordInbound(ctx context.Context, b bridge.InboundBatch) ([]bridge.MessageID, error) {
	c := b.Conversation
	msgs, err := s.inboundRows(b)
	if err != nil {
		return nil, err
	}
	var changed []bridge.MessageID
	err = s.conn.InTx(ctx, func(tx Tx) error {
		changed = nil
		if err := s.upsertConversation(ctx, tx, c); err != nil {
			return err
		}
		done := make(map[bridge.MessageID]bool, len(msgs))
		if err := insertInbound(ctx, tx, c, msgs, done); err != nil {
			return err
		}
		for _, m := range msgs {
			if done[m.Message.ID] || !m.Message.Recalled {
				continue
			}
			n, err := tx.Exec(ctx, recallInboundSQL, string(c.Store), string(c.ID), string(m.Message.ID),
				string(m.Message.Kind), m.Message.Text, m.Message.URL, encodeCard(m.Message.Card),
				m.Message.UnsupportedType, m.Message.Translation)
			if err != nil {
				return err
			}
			done[m.Message.ID] = n > 0
		}
		for _, m := range msgs {
			if done[m.Message.ID] {
				changed = append(changed, m.Message.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrapErr(err, "record %d inbound messages of %s/%s", len(msgs), c.Store, c.ID)
	}
	return changed, nil
}

// inboundRows checks a batch and returns its messages as they are to be
// inserted (see RecordInbound): defaults filled in, one per ID.
func (s *Store) inboundRows(b bridge.InboundBatch) ([]bridge.InboundMessage, error) {
	c := b.Conversation
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: record inbound messages of %s/%s: %s", s.d.Name, c.Store, c.ID, fmt.Sprintf(format, args...))
	}
	if c.Store == "" || c.ID == "" {
		return nil, fail("the conversation record has no store or ID")
	}
	var now int64
	out := make([]bridge.InboundMessage, 0, len(b.Messages))
	index := make(map[bridge.MessageID]int, len(b.Messages))
	for _, m := range b.Messages {
		if m.Store != c.Store || m.Message.Conversation != c.ID {
			return nil, fail("message %q is of %s/%s", m.Message.ID, m.Store, m.Message.Conversation)
		}
		if m.Message.ID == "" {
			return nil, fail("a message has no ID")
		}
		switch m.Status {
		case "":
			m.Status = bridge.InboundPending
		case bridge.InboundPending, bridge.InboundPosted, bridge.InboundSilent, bridge.InboundOwn:
		default:
			return nil, fail("message %q has unknown status %q", m.Message.ID, m.Status)
		}
		if m.RecordedAt.IsZero() {
			if now == 0 {
				now = state.UnixNano(s.o.Now())
			}
			m.RecordedAt = state.FromUnixNano(now)
		}
		if i, dup := index[m.Message.ID]; dup {
			if m.Message.Recalled && !out[i].Message.Recalled {
				out[i] = m
			}
			continue
		}
		index[m.Message.ID] = len(out)
		out = append(out, m)
	}
	return out, nil
}

// upsertConversation inserts the batch's conversation record when it is
// missing (with an "opened" thread event if it comes with a thread, as
// CreateConversation records) and otherwise updates it, leaving its thread
// mapping to SetThread.
func (s *Store) upsertConversation(ctx context.Context, tx Tx, c bridge.ConversationRecord) error {
	n, err := tx.Exec(ctx, insertConversationIfMissingSQL,
		string(c.Store), string(c.ID), c.BuyerID, c.BuyerName, c.Link, c.Thread.Channel, c.Thread.ID,
		c.ThreadsReplaced, string(c.WatermarkID), state.UnixNano(c.WatermarkAt),
		state.UnixNano(c.LastBuyerAt), state.UnixNano(c.LastSellerAt), state.UnixNano(c.AwaitingSince),
		c.Unread, state.UnixNano(c.CreatedAt), state.UnixNano(c.UpdatedAt), c.SellerStreak)
	if err != nil {
		return err
	}
	if n > 0 {
		if c.Thread.IsZero() {
			return nil
		}
		_, err := tx.Exec(ctx, insertThreadEventSQL, string(c.Store), string(c.ID), string(bridge.ThreadOpened),
			c.Thread.Channel, c.Thread.ID, "", "", state.UnixNano(s.o.Now()))
		return err
	}
	return mustAffect(tx.Exec(ctx, updateConversationKeepThreadSQL,
		string(c.Store), string(c.ID), c.BuyerID, c.BuyerName, c.Link,
		string(c.WatermarkID), state.UnixNano(c.WatermarkAt), state.UnixNano(c.LastBuyerAt),
		state.UnixNano(c.LastSellerAt), state.UnixNano(c.AwaitingSince), c.Unread, state.UnixNano(c.UpdatedAt), c.SellerStreak))
}

// insertConversationIfMissingSQL names its conflict target, so that a
// thread taken by another conversation is still a uniqueness violation.
const insertConversationIfMissingSQL = insertConversationSQL + `
	ON CONFLICT (store, id) DO NOTHING`

const updateConversationKeepThreadSQL = `UPDATE conversations SET
	buyer_id = $3, buyer_name = $4, link = $5, watermark_id = $6, watermark_at = $7,
	last_buyer_at = $8, last_seller_at = $9, awaiting_since = $10, unread = $11, updated_at = $12,
	seller_streak = $13
	WHERE store = $1 AND id = $2`

// maxInboundChunk is the most rows one INSERT of RecordInbound carries.
// A batch is inserted in chunks whose sizes are powers of two (its binary
// digits: 50 = 32 + 16 + 2), so that seven statements, prepared once,
// serve every batch size; 64 rows of 20 arguments stay far below both
// databases' limits on arguments per statement.
const maxInboundChunk = 64

// insertInboundSQL is the INSERT of a chunk, by its size.
var insertInboundSQL = func() map[int]string {
	m := map[int]string{}
	for n := 1; n <= maxInboundChunk; n *= 2 {
		m[n] = buildInsertInbound(n)
	}
	return m
}()

// insertInboundStatements lists the chunk INSERTs, for HotStatements.
func insertInboundStatements() []string {
	var out []string
	for n := 1; n <= maxInboundChunk; n *= 2 {
		out = append(out, insertInboundSQL[n])
	}
	return out
}

// inboundArgsPerRow is how many arguments a row adds to the insert after
// the store and conversation ($1 and $2, shared by every row).
const inboundArgsPerRow = 20

// buildInsertInbound is an INSERT of rows messages that skips those already
// held and returns the IDs of those it inserted.
func buildInsertInbound(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO inbound_messages (store, conversation, message_id, sender, sender_name, kind,
	text, url, card, unsupported_type, sent_at, status, resumed, recalled, edited, chat_channel, chat_id,
	recorded_at, posted_at, translation, auto_reply, safety_note) VALUES `)
	n := 3
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString("($1, $2")
		for range inboundArgsPerRow {
			b.WriteString(", $")
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteString(")")
	}
	b.WriteString(`
	ON CONFLICT (store, conversation, message_id) DO NOTHING
	RETURNING message_id`)
	return b.String()
}

// insertInbound inserts msgs in chunks, in their order (which is the order
// of their seq), and marks in inserted the IDs that were new.
func insertInbound(ctx context.Context, tx Tx, c bridge.ConversationRecord, msgs []bridge.InboundMessage, inserted map[bridge.MessageID]bool) error {
	args := make([]any, 0, 2+inboundArgsPerRow*min(len(msgs), maxInboundChunk))
	for len(msgs) > 0 {
		n := min(len(msgs), maxInboundChunk)
		n = 1 << (bits.Len(uint(n)) - 1) // the largest power of two not above n
		args = append(args[:0], string(c.Store), string(c.ID))
		for _, m := range msgs[:n] {
			msg := m.Message
			args = append(args, string(msg.ID), string(msg.Sender), msg.SenderName, string(msg.Kind),
				msg.Text, msg.URL, encodeCard(msg.Card), msg.UnsupportedType, state.UnixNano(msg.SentAt),
				string(m.Status), m.Resumed, msg.Recalled, m.Edited, m.Chat.Channel, m.Chat.ID,
				state.UnixNano(m.RecordedAt), state.UnixNano(m.PostedAt), msg.Translation, msg.AutoReply, msg.SafetyNote)
		}
		if err := scanIDs(ctx, tx, inserted, insertInboundSQL[n], args...); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

// scanIDs runs a statement that returns message IDs and sets them in ids.
func scanIDs(ctx context.Context, tx Tx, ids map[bridge.MessageID]bool, query string, args ...any) error {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids[bridge.MessageID(id)] = true
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// recallInboundSQL marks a held message recalled, with the content the
// recall carries (the translation is of the text, so it goes with it: a
// recall without one clears it); who sent the message, when, and its
// auto-reply mark and safety note are kept. A message already posted is to
// be edited in its thread. The right-hand sides see the row as it was.
const recallInboundSQL = `UPDATE inbound_messages SET
	recalled = TRUE, kind = $4, text = $5, url = $6, card = $7, unsupported_type = $8, translation = $9,
	edited = (edited OR status = 'posted')
	WHERE store = $1 AND conversation = $2 AND message_id = $3 AND NOT recalled`

// KnownInbound returns the status of each of ids that the queue holds for
// the conversation, in one query whatever the number of ids (an empty map
// for none).
func (s *Store) KnownInbound(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, ids []bridge.MessageID) (map[bridge.MessageID]bridge.InboundStatus, error) {
	out := make(map[bridge.MessageID]bridge.InboundStatus, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.conn.Query(ctx,
		`SELECT message_id, status FROM inbound_messages WHERE store = $1 AND conversation = $2 AND `+
			s.d.InStringList("message_id", "$3"),
		string(store), string(conv), s.messageIDs(ids))
	if err == nil {
		for rows.Next() {
			var id, status string
			if err = rows.Scan(&id, &status); err != nil {
				break
			}
			out[bridge.MessageID(id)] = bridge.InboundStatus(status)
		}
		if err == nil {
			err = rows.Err()
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, s.wrapErr(err, "look up %d inbound messages of %s/%s", len(ids), store, conv)
	}
	return out, nil
}

// InboundMessages returns the rows the queue holds for ids of a
// conversation, in the order it recorded them (an ID it does not hold is
// absent), in one query whatever the number of ids. It is not part of
// bridge.InboundQueue: it reads rows that are no longer pending (a posted
// message's chat message, an Edited mark), which the contract suite checks
// and a poster updating a recalled message's post needs.
func (s *Store) InboundMessages(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, ids []bridge.MessageID) ([]bridge.InboundMessage, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s, scanInbound,
		`SELECT `+inboundColumns+` FROM inbound_messages WHERE store = $1 AND conversation = $2 AND `+
			s.d.InStringList("message_id", "$3")+` ORDER BY seq`,
		string(store), string(conv), s.messageIDs(ids))
	if err != nil {
		return nil, s.wrapErr(err, "read %d inbound messages of %s/%s", len(ids), store, conv)
	}
	return out, nil
}

// messageIDs is ids as one statement argument (Dialect.StringList).
func (s *Store) messageIDs(ids []bridge.MessageID) any {
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = string(id)
	}
	return s.d.StringList(list)
}

// PendingInbound returns up to limit pending messages of a conversation in
// posting order: by the message's time, then by the order the queue
// recorded them (nothing for limit <= 0).
func (s *Store) PendingInbound(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, limit int) ([]bridge.InboundMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s, scanInbound,
		`SELECT `+inboundColumns+` FROM inbound_messages
		 WHERE store = $1 AND conversation = $2 AND status = 'pending'
		 ORDER BY sent_at, seq LIMIT $3`,
		string(store), string(conv), limit)
	if err != nil {
		return nil, s.wrapErr(err, "list pending inbound messages of %s/%s", store, conv)
	}
	return out, nil
}

// MarkPosted records, in one transaction, that messages are in their
// threads. A pending message becomes posted with its chat message and time
// (the backend's clock when At is zero); a posted message keeps its first
// chat message and time, and an Edited one is no longer (its post was
// updated). Silent and own messages, and messages the queue does not hold,
// are left as they are: a post is never refused after the fact.
func (s *Store) MarkPosted(ctx context.Context, posted []bridge.PostedMessage) error {
	if len(posted) == 0 {
		return nil
	}
	var now int64
	err := s.conn.InTx(ctx, func(tx Tx) error {
		for _, p := range posted {
			at := state.UnixNano(p.At)
			if at == 0 {
				if now == 0 {
					now = state.UnixNano(s.o.Now())
				}
				at = now
			}
			if _, err := tx.Exec(ctx, markPostedSQL, string(p.Store), string(p.Conversation), string(p.ID),
				p.Chat.Channel, p.Chat.ID, at); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrapErr(err, "mark %d inbound messages posted", len(posted))
}

// markPostedSQL: the right-hand sides see the row as it was, so only a
// pending row takes the chat message and time.
const markPostedSQL = `UPDATE inbound_messages SET
	chat_channel = CASE WHEN status = 'pending' THEN $4 ELSE chat_channel END,
	chat_id = CASE WHEN status = 'pending' THEN $5 ELSE chat_id END,
	posted_at = CASE WHEN status = 'pending' THEN $6 ELSE posted_at END,
	status = 'posted', edited = FALSE
	WHERE store = $1 AND conversation = $2 AND message_id = $3
	  AND (status = 'pending' OR (status = 'posted' AND edited))`

// InboundBacklog lists every conversation with pending messages, the one
// waiting longest first (by when its oldest pending message was recorded,
// then by store and conversation).
func (s *Store) InboundBacklog(ctx context.Context) ([]bridge.ConversationBacklog, error) {
	// Pending messages, and posted ones whose post is to be updated (a
	// recall), each found through its own partial index.
	out, err := queryAll(ctx, s, scanBacklog,
		`SELECT b.store, b.conversation, c.thread_channel, c.thread_id, COUNT(*), MIN(b.recorded_at)
		 FROM (SELECT store, conversation, recorded_at FROM inbound_messages WHERE status = 'pending'
		       UNION ALL
		       SELECT store, conversation, recorded_at FROM inbound_messages WHERE edited = TRUE) b
		 JOIN conversations c ON c.store = b.store AND c.id = b.conversation
		 GROUP BY b.store, b.conversation, c.thread_channel, c.thread_id
		 ORDER BY MIN(b.recorded_at), b.store, b.conversation`)
	if err != nil {
		return nil, s.wrapErr(err, "list the inbound backlog")
	}
	return out, nil
}

func scanBacklog(row Row) (bridge.ConversationBacklog, error) {
	var (
		b           bridge.ConversationBacklog
		store, conv string
		oldest      int64
	)
	if err := row.Scan(&store, &conv, &b.Thread.Channel, &b.Thread.ID, &b.Pending, &oldest); err != nil {
		return bridge.ConversationBacklog{}, err
	}
	b.Store = bridge.StoreID(store)
	b.Conversation = bridge.ConversationID(conv)
	b.Oldest = state.FromUnixNano(oldest)
	return b, nil
}

// EditedInbound returns up to limit posted messages of a conversation that
// changed on the marketplace (a recall) and whose posts are to be updated,
// in the order they were recorded.
func (s *Store) EditedInbound(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, limit int) ([]bridge.InboundMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s, scanInbound,
		`SELECT `+inboundColumns+` FROM inbound_messages
		 WHERE store = $1 AND conversation = $2 AND edited = TRUE
		 ORDER BY seq LIMIT $3`,
		string(store), string(conv), limit)
	if err != nil {
		return nil, s.wrapErr(err, "list edited inbound messages of %s/%s", store, conv)
	}
	return out, nil
}

// InboundByChat returns the messages one chat post carries, in posting
// order (by the message's time, then by Seq).
func (s *Store) InboundByChat(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, ref bridge.ChatMessageRef) ([]bridge.InboundMessage, error) {
	out, err := queryAll(ctx, s, scanInbound,
		`SELECT `+inboundColumns+` FROM inbound_messages
		 WHERE store = $1 AND conversation = $2 AND chat_channel = $3 AND chat_id = $4 AND status = 'posted'
		 ORDER BY sent_at, seq`,
		string(store), string(conv), ref.Channel, ref.ID)
	if err != nil {
		return nil, s.wrapErr(err, "list the messages of post %s/%s", ref.Channel, ref.ID)
	}
	return out, nil
}
