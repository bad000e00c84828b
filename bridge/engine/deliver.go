package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// criticalTimeout bounds a step that ignores cancellation: a chat call and
// the record of its result are never separated by a stop.
const criticalTimeout = 2 * time.Minute

// deliver posts what is pending for one conversation: it opens the thread
// if the conversation has none, checks the thread for posts a previous run
// made but did not record, posts the rest in one call (the surface combines
// them into as few posts as its limits allow) and records them as posted.
// It runs on a context that a stop does not cut (only the end of its grace
// does), so a thread is never opened without its mapping and a message is
// never posted without its record being attempted; what could not be recorded is remembered, so it
// is recorded later instead of posted again.
func (r *Relay) deliver(ctx context.Context, k convKey) outcome {
	st, ok := r.stores(k.store)
	if !ok {
		return outcome{} // the store was removed; its rows wait for it
	}
	if !r.ownsStore(k.store) {
		return outcome{} // another replica holds the store and posts its rows
	}
	crit, cancel := context.WithTimeout(r.hardCtx(), criticalTimeout)
	defer cancel()
	rows, err := r.state.PendingInbound(crit, k.store, k.conv, r.cfg.Batch)
	if err != nil {
		return r.stateFault(stateErr(false, fmt.Sprintf("read pending messages of conversation %s", k.conv), err))
	}
	if len(rows) == 0 {
		_, has := r.book.openedThread(k)
		if o := r.updateEdited(crit, st, k); o.err != nil {
			o.hasThread = has
			return o
		}
		return outcome{hasThread: has}
	}
	rec, err := r.state.Conversation(crit, k.store, k.conv)
	if err != nil {
		return r.stateFault(stateErr(false, fmt.Sprintf("read conversation %s", k.conv), err))
	}
	if _, ok := r.book.openedThread(k); ok {
		// A thread opened earlier whose mapping could not be recorded is
		// newer than the record's: record it instead of opening another.
		rec.Thread = bridge.ThreadRef{}
	}
	out := outcome{more: len(rows) >= r.cfg.Batch}
	var opened bool
	for heal := 0; ; heal++ {
		var o outcome
		rec, opened, o = r.ensureThread(crit, st, rec, heal > 0)
		if o.err != nil {
			o.more = true
			return o
		}
		out.hasThread = true
		posted, err := r.postRows(crit, st, rec, rows, opened)
		if n := len(posted); n > 0 {
			r.countPosted(st.ID, n)
			rows = rows[n:]
		}
		if errors.Is(err, errNotHolder) {
			return outcome{}
		}
		if errors.Is(err, bridge.ErrThreadGone) && heal == 0 {
			r.log.Warn("thread was deleted; opening a new one", "store", st.ID, "conversation", rec.ID)
			rec.Thread = bridge.ThreadRef{}
			continue
		}
		if err != nil {
			if bridge.IsStateError(err) {
				o := r.stateFault(err)
				o.hasThread = true
				return o
			}
			return r.chatFault(k, err, true)
		}
		break
	}
	r.mon.ChatSuccess()
	r.mon.StateSuccess()
	if o := r.updateEdited(crit, st, k); o.err != nil {
		o.hasThread = true
		return o
	}
	if len(rows) > 0 {
		out.more = true // a later message was already posted: recorded next turn
	}
	return out
}

// ensureThread returns the conversation's record with its thread, opening
// one (and recording the mapping) when it has none; continued says the
// thread replaces one that was deleted. opened is true for a thread opened
// now, into which nothing was posted yet.
func (r *Relay) ensureThread(ctx context.Context, st bridge.Store, rec bridge.ConversationRecord, continued bool) (bridge.ConversationRecord, bool, outcome) {
	k := convKey{st.ID, rec.ID}
	if !rec.Thread.IsZero() {
		return rec, false, outcome{}
	}
	t, pendingRecord := r.book.openedThread(k)
	opened := false
	if !pendingRecord || continued {
		h := headerOf(st, rec)
		h.Continued = continued || rec.ThreadsReplaced > 0
		var err error
		t, err = r.chat.OpenThread(ctx, h)
		if err != nil {
			o := r.chatFault(k, fmt.Errorf("open thread for conversation %s: %w", rec.ID, err), false)
			return rec, false, o
		}
		opened = true
		r.book.setOpened(k, t)
		r.headers.shown(t, h)
	}
	if err := r.state.SetThread(ctx, st.ID, rec.ID, t); err != nil {
		if errors.Is(err, bridge.ErrConflict) {
			// Another conversation holds this thread: never post into it.
			r.log.Error("a new thread is already mapped to another conversation; opening another", "store", st.ID, "conversation", rec.ID)
			r.book.setOpened(k, bridge.ThreadRef{})
			return rec, false, outcome{err: err}
		}
		// The thread exists on the surface but its mapping is not recorded:
		// keep it, so the next attempt records it instead of opening another.
		return rec, false, r.stateFault(stateErr(true, fmt.Sprintf("record the thread of conversation %s", rec.ID), err))
	}
	r.book.setOpened(k, bridge.ThreadRef{})
	rec.Thread = t
	if continued {
		rec.ThreadsReplaced++
	}
	return rec, opened, outcome{}
}

// postRows posts rows (oldest first) into rec's thread and records them as
// posted. It returns the rows recorded as posted, a prefix of rows.
func (r *Relay) postRows(ctx context.Context, st bridge.Store, rec bridge.ConversationRecord, rows []bridge.InboundMessage, opened bool) ([]bridge.InboundMessage, error) {
	k := convKey{st.ID, rec.ID}
	keyOf := func(m bridge.InboundMessage) msgKey { return msgKey{k, m.Message.ID} }

	// Posts this run made but could not record, and posts a previous run
	// made before it died (found in the thread), are recorded, not posted.
	known := map[bridge.MessageID]bridge.ChatMessageRef{}
	for _, m := range rows {
		if ref, ok := r.book.posted(keyOf(m)); ok {
			known[m.Message.ID] = ref
		}
	}
	// Rows recorded before this run started may have been posted by the
	// previous run; the clock cannot tell "at" the start apart, so those
	// count as before it too.
	if pc, ok := r.chat.(bridge.PostedChecker); ok && !opened && r.book.needsCheck(k, !rows[0].RecordedAt.After(r.checkSince(st.ID))) {
		ids := make([]bridge.MessageID, 0, len(rows))
		for _, m := range rows {
			ids = append(ids, m.Message.ID)
		}
		found, err := pc.FindPosted(ctx, rec.Thread, ids)
		if err != nil {
			return nil, fmt.Errorf("check thread of conversation %s for earlier posts: %w", rec.ID, err)
		}
		for id, ref := range found {
			if _, ok := known[id]; !ok {
				r.log.Info("message already in its thread; recording it instead of posting again", "store", st.ID, "conversation", rec.ID, "message", id)
			}
			known[id] = ref
		}
		r.book.setChecked(k)
	}

	// The longest prefix that is already posted is only recorded.
	var done []bridge.PostedMessage
	i := 0
	for ; i < len(rows); i++ {
		ref, ok := known[rows[i].Message.ID]
		if !ok {
			break
		}
		done = append(done, bridge.PostedMessage{Store: st.ID, Conversation: rec.ID, ID: rows[i].Message.ID, Chat: ref, At: r.clock.Now()})
	}
	var postErr error
	if i < len(rows) {
		todo := rows[i:]
		// Messages after a gap that are already posted stay out of this
		// call; they are recorded on the next turn.
		for j, m := range todo {
			if _, ok := known[m.Message.ID]; ok {
				todo = todo[:j]
				break
			}
		}
		h := headerOf(st, rec)
		for _, m := range todo {
			h.Resumed = h.Resumed || m.Resumed
		}
		if !r.ownsStore(st.ID) {
			// The lease was lost meanwhile: the new holder posts them.
			return nil, fmt.Errorf("store %s: %w", st.ID, errNotHolder)
		}
		msgs := make([]bridge.Message, len(todo))
		for j, m := range todo {
			msgs[j] = m.Message
		}
		refs, err := r.post(ctx, rec.Thread, h, msgs)
		for j, ref := range refs {
			r.book.setPosted(keyOf(todo[j]), ref)
			done = append(done, bridge.PostedMessage{Store: st.ID, Conversation: rec.ID, ID: todo[j].Message.ID, Chat: ref, At: r.clock.Now()})
		}
		if err != nil {
			var pe *bridge.PlatformError
			if !errors.Is(err, bridge.ErrThreadGone) && bridge.Classify(err) == bridge.KindTransient && !(errors.As(err, &pe) && pe.NotDelivered) {
				// The post may have reached the surface: look before posting again.
				r.book.setUncertain(k, true)
			}
			postErr = err
		} else if len(todo) > 0 {
			r.headers.queue(rec.Thread, h)
		}
	}
	if len(done) == 0 {
		return nil, postErr
	}
	if err := r.state.MarkPosted(ctx, done); err != nil {
		// Remembered in the book: recorded on the next attempt, never posted again.
		return nil, stateErr(true, fmt.Sprintf("record %d posted messages of conversation %s", len(done), rec.ID), err)
	}
	keys := make([]msgKey, len(done))
	for j, d := range done {
		keys[j] = msgKey{k, d.ID}
	}
	r.book.recorded(keys)
	return rows[:len(done)], postErr
}

// post hands msgs to the surface: in one call when it combines messages
// (BatchPoster), else one by one. It returns the refs of the posted prefix.
func (r *Relay) post(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, msgs []bridge.Message) ([]bridge.ChatMessageRef, error) {
	if bp, ok := r.chat.(bridge.BatchPoster); ok {
		return bp.PostMessages(ctx, t, h, msgs)
	}
	refs := make([]bridge.ChatMessageRef, 0, len(msgs))
	for _, m := range msgs {
		ref, err := r.chat.PostMessage(ctx, t, h, m)
		if err != nil {
			return refs, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// stateFault reports a state failure and backs the conversation off.
func (r *Relay) stateFault(err error) outcome {
	r.mon.StateFailure(err)
	return outcome{err: err, more: true}
}

// chatFault reports a surface failure. Failures of the surface as a whole
// (transient, rate limits, auth) hold the destination; others (a locked
// thread, a refused message) back off only this conversation.
func (r *Relay) chatFault(k convKey, err error, hasThread bool) outcome {
	o := outcome{err: err, more: true, hasThread: hasThread, retryAfter: bridge.RetryAfterOf(err)}
	switch bridge.Classify(err) {
	case bridge.KindTransient, bridge.KindRateLimited, bridge.KindAuth:
		o.holdDest = true
	}
	if bridge.Classify(err) != bridge.KindRateLimited {
		r.mon.ChatFailure(err)
	}
	r.log.Warn("could not post into the chat; will retry", "store", k.store, "conversation", k.conv, "err", err)
	return o
}

// headerOf builds the thread header of a conversation record.
func headerOf(s bridge.Store, rec bridge.ConversationRecord) bridge.ThreadHeader {
	return bridge.ThreadHeader{
		Store:         s,
		Conversation:  rec.ID,
		BuyerID:       rec.BuyerID,
		BuyerName:     rec.BuyerName,
		Link:          rec.Link,
		AwaitingReply: !rec.AwaitingSince.IsZero(),
		Unread:        rec.Unread,
		Continued:     rec.ThreadsReplaced > 0,
	}
}

// updateEdited shows changes of posted messages (recalls): each post that
// carries an edited message is rendered again with all its messages, where
// the surface can (MessageUpdater), and the change is recorded as shown.
func (r *Relay) updateEdited(ctx context.Context, st bridge.Store, k convKey) outcome {
	edited, err := r.state.EditedInbound(ctx, k.store, k.conv, r.cfg.Batch)
	if err != nil {
		return r.stateFault(stateErr(false, fmt.Sprintf("read edited messages of conversation %s", k.conv), err))
	}
	if len(edited) == 0 {
		return outcome{}
	}
	rec, err := r.state.Conversation(ctx, k.store, k.conv)
	if err != nil {
		return r.stateFault(stateErr(false, fmt.Sprintf("read conversation %s", k.conv), err))
	}
	mu, canUpdate := r.chat.(bridge.MessageUpdater)
	done := map[bridge.ChatMessageRef]bool{}
	var shown []bridge.PostedMessage
	for _, m := range edited {
		if canUpdate && !done[m.Chat] && !rec.Thread.IsZero() {
			done[m.Chat] = true
			rows, err := r.state.InboundByChat(ctx, k.store, k.conv, m.Chat)
			if err != nil {
				return r.stateFault(stateErr(false, fmt.Sprintf("read the messages of a post of conversation %s", k.conv), err))
			}
			msgs := make([]bridge.Message, len(rows))
			for i, row := range rows {
				msgs[i] = row.Message
			}
			if err := mu.UpdateMessages(ctx, rec.Thread, m.Chat, headerOf(st, rec), msgs); err != nil && !errors.Is(err, bridge.ErrThreadGone) {
				return r.chatFault(k, fmt.Errorf("update a post of conversation %s: %w", k.conv, err), true)
			}
		}
		shown = append(shown, bridge.PostedMessage{Store: k.store, Conversation: k.conv, ID: m.Message.ID, Chat: m.Chat, At: r.clock.Now()})
	}
	if err := r.state.MarkPosted(ctx, shown); err != nil {
		return r.stateFault(stateErr(true, fmt.Sprintf("record updated posts of conversation %s", k.conv), err))
	}
	return outcome{}
}
