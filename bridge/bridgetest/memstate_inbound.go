package bridgetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The inbound queue: one row per store + conversation + message ID.

// inboundConv is the queue's rows of one conversation.
type inboundConv struct {
	byID map[bridge.MessageID]*bridge.InboundMessage
	// rows are in Seq order (a new row always has the highest Seq).
	rows []*bridge.InboundMessage
}

// RecordInbound stores a batch atomically: the conversation's record
// (inserted when missing, with an "opened" thread event if it comes with a
// thread; otherwise every field but the keys, the thread, ThreadsReplaced
// and CreatedAt is updated) and each message the queue does not hold yet. A
// message it holds is left as it is, unless the batch's copy is recalled and
// the stored one is not: then it is marked recalled, its content (kind,
// text, URL, card, unsupported type and translation) is replaced by the
// batch's, and a posted message is marked Edited; its sender, time,
// AutoReply and SafetyNote stay as recorded. It returns the IDs it inserted
// or changed, in the batch's order.
//
// A message without an ID, of another conversation or with an unknown
// status refuses the whole batch. An empty Status is pending, a zero
// RecordedAt the clock's time. A message given twice in one batch is
// recorded once (the recalled copy, if one is).
func (s *MemState) RecordInbound(ctx context.Context, b bridge.InboundBatch) ([]bridge.MessageID, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	c := b.Conversation
	msgs, err := db.inboundRows(b)
	if err != nil {
		return nil, err
	}
	k := convKey{c.Store, c.ID}
	if old, ok := db.convs[k]; ok {
		c.Thread, c.ThreadsReplaced, c.CreatedAt = old.Thread, old.ThreadsReplaced, old.CreatedAt
		db.convs[k] = stampConversation(c)
	} else {
		if db.threadTaken(c.Thread, k) {
			return nil, fail(bridge.ErrConflict, "record %d inbound messages of %s/%s", len(msgs), c.Store, c.ID)
		}
		db.insertConversation(c)
	}

	q := db.inbound[k]
	if q == nil {
		q = &inboundConv{byID: map[bridge.MessageID]*bridge.InboundMessage{}}
		db.inbound[k] = q
	}
	var changed []bridge.MessageID
	for _, m := range msgs {
		held, ok := q.byID[m.Message.ID]
		switch {
		case !ok:
			db.inboundSeq++
			row := stampInbound(m)
			row.Seq = db.inboundSeq
			q.byID[m.Message.ID] = &row
			q.rows = append(q.rows, &row)
		case m.Message.Recalled && !held.Message.Recalled:
			held.Message.Recalled = true
			held.Message.Kind, held.Message.Text, held.Message.URL = m.Message.Kind, m.Message.Text, m.Message.URL
			held.Message.Card, held.Message.UnsupportedType = copyCard(m.Message.Card), m.Message.UnsupportedType
			held.Message.Translation = m.Message.Translation
			held.Edited = held.Edited || held.Status == bridge.InboundPosted
		default:
			continue
		}
		changed = append(changed, m.Message.ID)
	}
	return changed, nil
}

// inboundRows checks a batch and returns its messages as they are to be
// inserted (see RecordInbound): defaults filled in, one per ID.
func (db *memDB) inboundRows(b bridge.InboundBatch) ([]bridge.InboundMessage, error) {
	c := b.Conversation
	refuse := func(format string, args ...any) error {
		return fail(nil, "record inbound messages of %s/%s: %s", c.Store, c.ID, fmt.Sprintf(format, args...))
	}
	if c.Store == "" || c.ID == "" {
		return nil, refuse("the conversation record has no store or ID")
	}
	var now time.Time // one time for the batch
	out := make([]bridge.InboundMessage, 0, len(b.Messages))
	index := make(map[bridge.MessageID]int, len(b.Messages))
	for _, m := range b.Messages {
		if m.Store != c.Store || m.Message.Conversation != c.ID {
			return nil, refuse("message %q is of %s/%s", m.Message.ID, m.Store, m.Message.Conversation)
		}
		if m.Message.ID == "" {
			return nil, refuse("a message has no ID")
		}
		switch m.Status {
		case "":
			m.Status = bridge.InboundPending
		case bridge.InboundPending, bridge.InboundPosted, bridge.InboundSilent, bridge.InboundOwn:
		default:
			return nil, refuse("message %q has unknown status %q", m.Message.ID, m.Status)
		}
		if m.RecordedAt.IsZero() {
			if now.IsZero() {
				now = db.now()
			}
			m.RecordedAt = now
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

// KnownInbound returns the status of each of ids that the queue holds for
// the conversation (an empty map for none).
func (s *MemState) KnownInbound(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, ids []bridge.MessageID) (map[bridge.MessageID]bridge.InboundStatus, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	out := make(map[bridge.MessageID]bridge.InboundStatus, len(ids))
	if q := db.inbound[convKey{store, conv}]; q != nil {
		for _, id := range ids {
			if m, ok := q.byID[id]; ok {
				out[id] = m.Status
			}
		}
	}
	return out, nil
}

// InboundMessages returns the rows the queue holds for ids of a
// conversation, in the order it recorded them (an ID it does not hold is
// absent).
func (s *MemState) InboundMessages(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, ids []bridge.MessageID) ([]bridge.InboundMessage, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	want := make(map[bridge.MessageID]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	return s.inboundWhere(ctx, store, conv, 0, false, func(m *bridge.InboundMessage) bool { return want[m.Message.ID] })
}

// PendingInbound returns up to limit pending messages of a conversation in
// posting order: by the message's time, then by Seq (nothing for limit <= 0).
func (s *MemState) PendingInbound(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, limit int) ([]bridge.InboundMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	return s.inboundWhere(ctx, store, conv, limit, true, func(m *bridge.InboundMessage) bool {
		return m.Status == bridge.InboundPending
	})
}

// EditedInbound returns up to limit posted messages of a conversation whose
// posts are to be updated (Edited), in the order they were recorded.
func (s *MemState) EditedInbound(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, limit int) ([]bridge.InboundMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	return s.inboundWhere(ctx, store, conv, limit, false, func(m *bridge.InboundMessage) bool { return m.Edited })
}

// InboundByChat returns the posted messages one chat post carries, in
// posting order (by the message's time, then by Seq).
func (s *MemState) InboundByChat(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, ref bridge.ChatMessageRef) ([]bridge.InboundMessage, error) {
	return s.inboundWhere(ctx, store, conv, 0, true, func(m *bridge.InboundMessage) bool {
		return m.Status == bridge.InboundPosted && m.Chat == ref
	})
}

// inboundWhere returns copies of a conversation's rows that keep accepts,
// in Seq order or (bySent) by the message's time then Seq, at most limit
// of them (limit 0: all); nil for none.
func (s *MemState) inboundWhere(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, limit int, bySent bool, keep func(*bridge.InboundMessage) bool) ([]bridge.InboundMessage, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	q := db.inbound[convKey{store, conv}]
	if q == nil {
		return nil, nil
	}
	var rows []*bridge.InboundMessage
	for _, m := range q.rows {
		if keep(m) {
			rows = append(rows, m)
		}
	}
	if bySent {
		slices.SortStableFunc(rows, func(a, b *bridge.InboundMessage) int {
			return cmp.Compare(nanos(a.Message.SentAt), nanos(b.Message.SentAt))
		})
	}
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	var out []bridge.InboundMessage
	for _, m := range rows {
		out = append(out, copyInbound(*m))
	}
	return out, nil
}

// MarkPosted records atomically that messages are in their threads. A
// pending message becomes posted with its chat message and time (the
// clock's when At is zero); a posted message keeps its first chat message
// and time, and an Edited one is no longer (its post was updated). Silent
// and own messages, and messages the queue does not hold, are left as they
// are.
func (s *MemState) MarkPosted(ctx context.Context, posted []bridge.PostedMessage) error {
	if len(posted) == 0 {
		return nil
	}
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	for _, p := range posted {
		q := db.inbound[convKey{p.Store, p.Conversation}]
		if q == nil {
			continue
		}
		m, ok := q.byID[p.ID]
		if !ok {
			continue
		}
		switch {
		case m.Status == bridge.InboundPending:
			at := stamp(p.At)
			if at.IsZero() {
				at = db.now()
			}
			m.Status, m.Chat, m.PostedAt, m.Edited = bridge.InboundPosted, p.Chat, at, false
		case m.Status == bridge.InboundPosted && m.Edited:
			m.Edited = false
		}
	}
	return nil
}

// InboundBacklog lists every conversation with pending messages or posted
// messages whose posts are to be updated (Edited), both counted: the one
// waiting longest first (by when its oldest such message was recorded),
// then by store and conversation.
func (s *MemState) InboundBacklog(ctx context.Context) ([]bridge.ConversationBacklog, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	var out []bridge.ConversationBacklog
	for k, q := range db.inbound {
		c, ok := db.convs[k]
		if !ok {
			continue
		}
		b := bridge.ConversationBacklog{Store: k.store, Conversation: k.id, Thread: c.Thread}
		for _, m := range q.rows {
			// As the SQL backends count: a row both pending and Edited
			// (recorded so) counts twice.
			n := 0
			if m.Status == bridge.InboundPending {
				n++
			}
			if m.Edited {
				n++
			}
			if n == 0 {
				continue
			}
			if b.Pending == 0 || nanos(m.RecordedAt) < nanos(b.Oldest) {
				b.Oldest = m.RecordedAt
			}
			b.Pending += n
		}
		if b.Pending > 0 {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b bridge.ConversationBacklog) int {
		return cmp.Or(cmp.Compare(nanos(a.Oldest), nanos(b.Oldest)),
			cmp.Compare(a.Store, b.Store), cmp.Compare(a.Conversation, b.Conversation))
	})
	return out, nil
}

// stampInbound is m as the queue keeps it: times as the state keeps them,
// its own copy of the card, and only the fields the SQL backends have
// columns for (today every field of bridge.Message; one added later is
// dropped here too until their schema keeps it).
func stampInbound(m bridge.InboundMessage) bridge.InboundMessage {
	msg := m.Message
	m.Message = bridge.Message{
		ID: msg.ID, Conversation: msg.Conversation, Sender: msg.Sender, SenderName: msg.SenderName,
		Kind: msg.Kind, Text: msg.Text, URL: msg.URL, Card: copyCard(msg.Card),
		UnsupportedType: msg.UnsupportedType, SentAt: stamp(msg.SentAt), Recalled: msg.Recalled,
		Translation: msg.Translation, AutoReply: msg.AutoReply, SafetyNote: msg.SafetyNote,
	}
	m.RecordedAt, m.PostedAt = stamp(m.RecordedAt), stamp(m.PostedAt)
	return m
}

// copyInbound is m with its own copy of the card.
func copyInbound(m bridge.InboundMessage) bridge.InboundMessage {
	m.Message.Card = copyCard(m.Message.Card)
	return m
}

func copyCard(c *bridge.Card) *bridge.Card {
	if c == nil {
		return nil
	}
	cp := *c
	return &cp
}
