package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Queue records the marketplace messages the bridge learns of in the inbound
// queue, before anything is posted: a poll or catch-up of a store, a push
// that carries a message, a history import. Recording is one transaction per
// fetched page and moves the conversation's watermark; the relay's posters
// then post what is pending. A message that could not be recorded is not
// posted at all, and a message recorded as posted is never posted again.
type Queue struct {
	state queueState
	clock bridge.Clock
	log   *slog.Logger
	locks *convLocks
	cfg   QueueConfig
	// echoes matches seller messages to replies whose send outcome was
	// unknown (the outbox's); nil matches nothing.
	echoes EchoMatcher
	// notify tells the relay that a conversation has messages to post.
	notify func(bridge.Store, bridge.ConversationRecord)
}

// QueueConfig holds what decides whether a recorded message is shown.
type QueueConfig struct {
	// ImportWindow bounds a first start's import: unanswered conversations
	// whose last buyer message is younger than this.
	ImportWindow time.Duration
	// ResumedAfter is how quiet a conversation must have been for a new
	// buyer message to surface it as "resumed".
	ResumedAfter time.Duration
}

// queueState is the part of State the queue uses.
type queueState interface {
	bridge.ConversationStore
	bridge.InboundQueue
}

// EchoMatcher recognises the bridge's own replies among seller messages a
// sync fetched, when the send's outcome was not known (a timeout, a crash
// mid-send): such a message is recorded as the reply, not shown as one sent
// from Seller Centre.
type EchoMatcher interface {
	// MatchEcho returns the unfinished reply of the conversation that m is,
	// skipping replies in taken.
	MatchEcho(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, m bridge.Message, taken map[bridge.ReplyID]bool) (bridge.Reply, bool, error)
	// EchoRecorded finishes a matched reply once its message is recorded;
	// before is the conversation as it was before the message.
	EchoRecorded(ctx context.Context, st bridge.Store, before bridge.ConversationRecord, r bridge.Reply, m bridge.Message)
}

// QueueDeps are what the queue runs on.
type QueueDeps struct {
	State  queueState
	Clock  bridge.Clock
	Logger *slog.Logger
	Locks  *convLocks
	Echoes EchoMatcher
	Notify func(bridge.Store, bridge.ConversationRecord)
}

func newQueue(cfg QueueConfig, d QueueDeps) *Queue {
	return &Queue{state: d.State, clock: d.Clock, log: d.Logger, locks: d.Locks, cfg: cfg, echoes: d.Echoes, notify: d.Notify}
}

// importScope says how a conversation the bridge has never seen is shown.
type importScope struct {
	// firstStart: the store's first sync; only unanswered conversations
	// younger than the import window are shown.
	firstStart bool
	// since: messages of a new conversation older than this are recorded
	// silently, except the latest.
	since time.Time
}

// Record records messages of one conversation that a push or an import
// carried (the same rules as a sync's: a repeat is a no-op, seller activity
// alone opens no thread). It returns how many new messages will be posted.
func (q *Queue) Record(ctx context.Context, st bridge.Store, c bridge.Conversation, msgs []bridge.Message) (int, error) {
	unlock := q.locks.lock(st.ID, c.ID)
	defer unlock()
	return q.recordLocked(ctx, st, c, msgs, importScope{})
}

// recordLocked records msgs (any order, repeats allowed) for conversation c;
// the caller holds the conversation's lock.
func (q *Queue) recordLocked(ctx context.Context, st bridge.Store, c bridge.Conversation, msgs []bridge.Message, scope importScope) (int, error) {
	now := q.clock.Now()
	rec, err := q.state.Conversation(ctx, st.ID, c.ID)
	known := err == nil
	if err != nil && !errors.Is(err, bridge.ErrNotFound) {
		return 0, stateErr(false, fmt.Sprintf("read conversation %s", c.ID), err)
	}
	if !known {
		rec = bridge.ConversationRecord{Store: st.ID, ID: c.ID, CreatedAt: now}
	}
	rec = withBuyer(rec, c)
	orig := rec
	msgs = sortMessages(msgs)
	if len(msgs) == 0 {
		return 0, nil
	}
	for i := range msgs {
		msgs[i].Conversation = c.ID
	}
	have := map[bridge.MessageID]bridge.InboundStatus{}
	if known {
		ids := make([]bridge.MessageID, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		if have, err = q.state.KnownInbound(ctx, st.ID, c.ID, ids); err != nil {
			return 0, stateErr(false, fmt.Sprintf("check messages of conversation %s", c.ID), err)
		}
	}
	var fresh, recalls []bridge.Message
	for _, m := range msgs {
		st, ok := have[m.ID]
		switch {
		case !ok:
			fresh = append(fresh, m)
		case m.Recalled && (st == bridge.InboundPending || st == bridge.InboundPosted):
			// A recall of a message the queue holds: recorded as an update
			// (a posted one's post is then updated, never posted again).
			recalls = append(recalls, m)
		}
	}
	silent := map[bridge.MessageID]bool{}
	if !known {
		silent = q.silentHistory(fresh, scope, now)
	}
	// Seller activity alone does not open a thread: a seller message is
	// shown only in a conversation that has (or is getting) one.
	shown := !rec.Thread.IsZero()
	if !shown && known && hasSeller(fresh) {
		pending, err := q.state.PendingInbound(ctx, st.ID, c.ID, 1)
		if err != nil {
			return 0, stateErr(false, fmt.Sprintf("check pending messages of conversation %s", c.ID), err)
		}
		shown = len(pending) > 0
	}

	type claim struct {
		reply  bridge.Reply
		msg    bridge.Message
		before bridge.ConversationRecord
	}
	var (
		batch  []bridge.InboundMessage
		claims []claim
		taken  = map[bridge.ReplyID]bool{}
	)
	for _, m := range fresh {
		im := bridge.InboundMessage{Store: st.ID, Message: m, Status: bridge.InboundPending, RecordedAt: now}
		switch {
		case silent[m.ID]:
			im.Status = bridge.InboundSilent
		case m.Sender == bridge.SenderSeller && known && q.echoes != nil:
			r, ok, err := q.echoes.MatchEcho(ctx, st.ID, c.ID, m, taken)
			if err != nil {
				return 0, stateErr(false, fmt.Sprintf("match seller message %s to replies", m.ID), err)
			}
			if ok {
				taken[r.ID] = true
				im.Status, im.Chat = bridge.InboundOwn, r.ChatMessage
				claims = append(claims, claim{r, m, rec})
				break
			}
			if !shown {
				im.Status = bridge.InboundSilent
			}
		case m.Sender != bridge.SenderBuyer && !shown:
			im.Status = bridge.InboundSilent
		}
		if im.Status == bridge.InboundPending && m.Sender == bridge.SenderBuyer {
			shown = true
			if last := maxTime(rec.LastBuyerAt, rec.LastSellerAt); !last.IsZero() && m.SentAt.Sub(last) >= q.cfg.ResumedAfter {
				im.Resumed = true
			}
		}
		rec = applyMessage(rec, m, now)
		batch = append(batch, im)
	}
	for _, m := range recalls {
		batch = append(batch, bridge.InboundMessage{Store: st.ID, Message: m, Status: bridge.InboundPending, RecordedAt: now})
	}
	for _, m := range msgs {
		rec = advanceWatermark(rec, m)
	}
	if len(batch) == 0 && len(recalls) == 0 && known && rec == orig {
		return 0, nil // nothing new, not even the watermark
	}
	rec.UpdatedAt = now
	changed, err := q.state.RecordInbound(ctx, bridge.InboundBatch{Conversation: rec, Messages: batch})
	if err != nil {
		return 0, stateErr(true, fmt.Sprintf("record %d messages of conversation %s", len(batch), c.ID), err)
	}
	for _, cl := range claims {
		q.echoes.EchoRecorded(ctx, st, cl.before, cl.reply, cl.msg)
	}
	visible, edited := 0, false
	inserted := make(map[bridge.MessageID]bool, len(changed))
	for _, id := range changed {
		inserted[id] = true
		if have[id] == bridge.InboundPosted {
			edited = true // its post is to be updated
		}
	}
	for _, im := range batch {
		if _, known := have[im.Message.ID]; !known && im.Status == bridge.InboundPending && inserted[im.Message.ID] {
			visible++
		}
	}
	if (visible > 0 || edited) && q.notify != nil {
		q.notify(st, rec)
	}
	return visible, nil
}

// silentHistory picks the messages of a conversation new to the bridge that
// are recorded without being shown. On a first start only unanswered
// conversations younger than the import window are shown (with their recent
// messages); others are remembered silently and get a thread when the buyer
// writes again. Later, a conversation that started or resumed after the
// cursor shows what is new since then, and at least its latest message.
func (q *Queue) silentHistory(msgs []bridge.Message, scope importScope, now time.Time) map[bridge.MessageID]bool {
	silent := map[bridge.MessageID]bool{}
	if len(msgs) == 0 {
		return silent
	}
	last := msgs[len(msgs)-1]
	if scope.firstStart {
		if last.Sender != bridge.SenderBuyer || last.SentAt.Before(now.Add(-q.cfg.ImportWindow)) {
			for _, m := range msgs {
				silent[m.ID] = true
			}
		}
		return silent
	}
	for i, m := range msgs {
		if m.SentAt.Before(scope.since) && i != len(msgs)-1 {
			silent[m.ID] = true
		}
	}
	return silent
}

func hasSeller(msgs []bridge.Message) bool {
	for _, m := range msgs {
		if m.Sender != bridge.SenderBuyer {
			return true
		}
	}
	return false
}

// withBuyer updates a record with what the marketplace lists about the buyer.
func withBuyer(rec bridge.ConversationRecord, c bridge.Conversation) bridge.ConversationRecord {
	if c.BuyerName != "" {
		rec.BuyerName = c.BuyerName
	}
	if c.BuyerID != "" {
		rec.BuyerID = c.BuyerID
	}
	if c.Link != "" {
		rec.Link = c.Link
	}
	return rec
}

// sortMessages orders messages oldest first, keeping the marketplace's order
// for equal times, and drops repeated IDs (the newest copy wins, so a recall
// delivered in the same page replaces the original).
func sortMessages(msgs []bridge.Message) []bridge.Message {
	idx := make(map[bridge.MessageID]int, len(msgs))
	out := make([]bridge.Message, 0, len(msgs))
	for _, m := range msgs {
		if m.ID == "" {
			continue
		}
		if i, ok := idx[m.ID]; ok {
			if m.Recalled {
				out[i].Recalled = true
			}
			continue
		}
		idx[m.ID] = len(out)
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SentAt.Before(out[j].SentAt) })
	return out
}

// advanceWatermark moves the conversation's watermark to m when m is not
// older than it. Only the queue calls it, for messages it recorded (or found
// recorded) in the same transaction: the watermark never passes a message
// that is not in the queue, and a reply sent meanwhile never moves it.
func advanceWatermark(rec bridge.ConversationRecord, m bridge.Message) bridge.ConversationRecord {
	if rec.WatermarkAt.IsZero() || !m.SentAt.Before(rec.WatermarkAt) {
		rec.WatermarkID = m.ID
		rec.WatermarkAt = m.SentAt
	}
	return rec
}

// applyMessage updates a conversation record's counters for a message
// (not its watermark).
func applyMessage(rec bridge.ConversationRecord, m bridge.Message, now time.Time) bridge.ConversationRecord {
	switch m.Sender {
	case bridge.SenderBuyer:
		if m.SentAt.After(rec.LastBuyerAt) {
			rec.LastBuyerAt = m.SentAt
		}
		if rec.AwaitingSince.IsZero() || m.SentAt.Before(rec.AwaitingSince) {
			if !m.SentAt.Before(rec.LastSellerAt) {
				rec.AwaitingSince = m.SentAt
			}
		}
		rec.Unread++
		rec.SellerStreak = 0
	case bridge.SenderSeller:
		if m.SentAt.After(rec.LastSellerAt) {
			rec.LastSellerAt = m.SentAt
		}
		if !m.SentAt.Before(rec.LastBuyerAt) {
			rec.SellerStreak++
		}
		if !rec.AwaitingSince.IsZero() && !m.SentAt.Before(rec.AwaitingSince) {
			rec.AwaitingSince = time.Time{}
			rec.Unread = 0
		}
	}
	rec.UpdatedAt = now
	return rec
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
