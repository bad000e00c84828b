package bridge

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Outbox sends agent replies to buyers. A reply is stored (queued) before
// anything is sent, marked sending before the marketplace is called, and ends
// sent or failed with a reason. A reply whose outcome is unknown (a timeout,
// a 5xx, a crash mid-send) is reconciled against the conversation's recent
// seller messages before it is sent again, so it never reaches a buyer twice.
type Outbox struct {
	e *Engine

	mu     sync.Mutex
	queue  []ReplyID
	queued map[ReplyID]bool
	// convOf and busy keep one reply per conversation in flight.
	convOf map[ReplyID]convKey
	busy   map[convKey]bool
	budget map[ReplyID]int
	// sent and failed count replies that ended so since start, for metrics.
	sent, failed uint64
	signal       chan struct{}
	stopping     chan struct{}
	stopped      bool

	sendCtx    context.Context
	sendCancel context.CancelFunc
	wg         sync.WaitGroup
	timers     sync.WaitGroup
}

func newOutbox(e *Engine) *Outbox {
	return &Outbox{
		e:        e,
		queued:   map[ReplyID]bool{},
		convOf:   map[ReplyID]convKey{},
		busy:     map[convKey]bool{},
		budget:   map[ReplyID]int{},
		signal:   make(chan struct{}, 1),
		stopping: make(chan struct{}),
	}
}

// start resumes unfinished rows and starts the workers.
func (o *Outbox) start(ctx context.Context) error {
	o.sendCtx, o.sendCancel = context.WithCancel(context.WithoutCancel(ctx))
	rows, err := o.e.state.UnfinishedReplies(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Status == ReplySending {
			o.e.log.Info("resuming reply with unknown outcome; reconciling before sending again", "reply", r.ID, "store", r.Store)
		}
		o.track(r)
		o.schedule(r.ID, r.NextAttemptAt.Sub(o.e.clock.Now()))
	}
	for i := 0; i < o.e.cfg.SendWorkers; i++ {
		o.wg.Add(1)
		go o.work()
	}
	return nil
}

// stop takes no more work, lets in-flight sends finish within grace, then
// cancels them (a cut-off send stays "sending": unknown, reconciled later).
func (o *Outbox) stop(ctx context.Context, grace time.Duration) {
	o.mu.Lock()
	if o.stopped || o.sendCancel == nil {
		o.mu.Unlock()
		return
	}
	o.stopped = true
	close(o.stopping)
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		o.sendCancel()
		<-done
	case <-ctx.Done():
		o.sendCancel()
		<-done
	}
	o.sendCancel()
	o.timers.Wait()
}

// schedule queues a reply now or after delay.
func (o *Outbox) schedule(id ReplyID, delay time.Duration) {
	if delay <= 0 {
		o.push(id)
		return
	}
	// The timer is taken before returning, so callers (and tests driving a
	// fake clock) know the retry is armed once schedule returns.
	due := o.e.clock.After(delay)
	o.timers.Add(1)
	go func() {
		defer o.timers.Done()
		select {
		case <-due:
			o.push(id)
		case <-o.stopping:
		}
	}()
}

func (o *Outbox) push(id ReplyID) {
	o.mu.Lock()
	if o.stopped || o.queued[id] {
		o.mu.Unlock()
		return
	}
	o.queued[id] = true
	o.queue = append(o.queue, id)
	o.mu.Unlock()
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

// track remembers a reply's conversation, so replies of one conversation
// are sent one at a time, in the order they were queued.
func (o *Outbox) track(r Reply) {
	o.mu.Lock()
	o.convOf[r.ID] = convKey{r.Store, r.Conversation}
	o.mu.Unlock()
}

// pop takes the first queued reply whose conversation has no reply in
// flight, and marks that conversation busy.
func (o *Outbox) pop() (ReplyID, convKey, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, id := range o.queue {
		k, known := o.convOf[id]
		if known && o.busy[k] {
			continue
		}
		o.queue = append(o.queue[:i:i], o.queue[i+1:]...)
		delete(o.queued, id)
		if known {
			o.busy[k] = true
		}
		return id, k, true
	}
	return 0, convKey{}, false
}

func (o *Outbox) work() {
	defer o.wg.Done()
	for {
		select {
		case <-o.stopping:
			return
		default:
		}
		id, k, ok := o.pop()
		if !ok {
			select {
			case <-o.stopping:
				return
			case <-o.signal:
			}
			continue
		}
		o.processSafely(o.sendCtx, id)
		// Free the conversation; another worker may be parked while items remain.
		o.mu.Lock()
		delete(o.busy, k)
		more := len(o.queue) > 0
		o.mu.Unlock()
		if more {
			select {
			case o.signal <- struct{}{}:
			default:
			}
		}
	}
}

// Enqueue stores a reply for an agent's thread message. It returns the
// stored row, or ErrConflict when that chat message already has one.
func (o *Outbox) Enqueue(ctx context.Context, r Reply) (Reply, error) {
	now := o.e.clock.Now()
	r.Status = ReplyQueued
	r.CreatedAt, r.UpdatedAt = now, now
	stored, err := o.e.state.EnqueueReply(ctx, r)
	if err != nil {
		return stored, err
	}
	o.track(stored)
	o.setStatus(ctx, stored)
	o.push(stored.ID)
	return stored, nil
}

// Retry puts a failed reply back in the queue.
func (o *Outbox) Retry(ctx context.Context, id ReplyID) (Reply, error) {
	r, err := o.e.state.Reply(ctx, id)
	if err != nil {
		return r, err
	}
	switch r.Status {
	case ReplySent:
		return r, fmt.Errorf("reply %d was already sent", id)
	case ReplyQueued, ReplySending:
		o.track(r)
		o.push(id)
		return r, nil
	}
	r.Status = ReplyQueued
	r.Reason = ""
	r.NextAttemptAt = time.Time{}
	r.UpdatedAt = o.e.clock.Now()
	if err := o.e.state.UpdateReply(ctx, r); err != nil {
		return r, err
	}
	o.mu.Lock()
	o.budget[id] = r.Attempts
	o.convOf[id] = convKey{r.Store, r.Conversation}
	o.mu.Unlock()
	o.setStatus(ctx, r)
	o.push(id)
	return r, nil
}

func (o *Outbox) setStatus(ctx context.Context, r Reply) {
	if err := o.e.chat.SetReplyStatus(ctx, r); err != nil {
		o.e.log.Warn("could not show reply status", "reply", r.ID, "status", r.Status, "err", err)
	}
}

// process makes one attempt at one reply.
func (o *Outbox) process(ctx context.Context, id ReplyID) {
	e := o.e
	r, err := e.state.Reply(ctx, id)
	if err != nil {
		e.log.Error("load reply", "reply", id, "err", err)
		return
	}
	if r.Status.Final() {
		return
	}
	st, ok := e.Store(r.Store)
	if !ok {
		o.fail(ctx, r, "the store is no longer configured")
		return
	}
	unlock := e.lockConversation(r.Store, r.Conversation)
	defer unlock()
	// Re-read under the lock: a sync may have matched the echo meanwhile.
	if r, err = e.state.Reply(ctx, id); err != nil || r.Status.Final() {
		return
	}
	rec, err := e.state.Conversation(ctx, r.Store, r.Conversation)
	if err != nil {
		o.fail(ctx, r, "conversation not found")
		return
	}
	mp := e.marketplace(st.Platform)

	if r.Attempts > 0 || r.Status == ReplySending {
		// The last attempt may have reached the buyer: look before resending.
		found, msg, err := o.reconcile(ctx, st, r)
		if err != nil {
			o.retryLater(ctx, r, err, r.Status)
			return
		}
		if found {
			e.log.Info("reply found on the marketplace; not sending again", "reply", r.ID, "message", msg.ID)
			o.markSent(ctx, st, rec, r, msg)
			return
		}
	}

	firstSend := r.Status != ReplySending
	r.Status = ReplySending
	r.Attempts++
	r.NextAttemptAt = time.Time{}
	r.UpdatedAt = e.clock.Now()
	if err := e.state.UpdateReply(ctx, r); err != nil {
		e.log.Error("record reply as sending", "reply", r.ID, "err", err)
		o.schedule(r.ID, e.cfg.SendBackoff)
		return
	}
	if firstSend {
		o.setStatus(ctx, r)
	}
	conv := Conversation{ID: rec.ID, BuyerID: rec.BuyerID, BuyerName: rec.BuyerName}
	msg, err := mp.SendText(ctx, st, conv, r.Text)
	if err == nil {
		if msg.ID == "" {
			msg.ID = MessageID(fmt.Sprintf("bridge-reply-%d", r.ID))
		}
		o.markSent(ctx, st, rec, r, msg)
		return
	}
	if ctx.Err() != nil {
		// Shutting down mid-send: the row stays "sending" (unknown outcome)
		// and is reconciled at the next start.
		e.log.Warn("send interrupted by shutdown; will reconcile at next start", "reply", r.ID)
		return
	}
	switch Classify(err) {
	case KindAuth:
		o.fail(ctx, r, ReasonOf(err))
		if e.onAuthRefused != nil {
			e.onAuthRefused(ctx, st, err)
		}
	case KindPermanent:
		o.fail(ctx, r, ReasonOf(err))
	case KindRateLimited:
		o.retryLater(ctx, r, err, ReplyQueued)
	default:
		var pe *PlatformError
		status := ReplySending // unknown outcome
		if errors.As(err, &pe) && pe.NotDelivered {
			status = ReplyQueued
		}
		o.retryLater(ctx, r, err, status)
	}
}

// reconcile looks for the reply among the conversation's recent seller
// messages that no other reply has claimed.
func (o *Outbox) reconcile(ctx context.Context, st Store, r Reply) (bool, Message, error) {
	e := o.e
	msgs, err := e.marketplace(st.Platform).ListMessages(ctx, st, r.Conversation, "", e.cfg.ReconcileWindow)
	if err != nil {
		return false, Message{}, err
	}
	claimed, err := o.claimedIDs(ctx, r.Store, r.CreatedAt)
	if err != nil {
		return false, Message{}, err
	}
	for _, m := range msgs {
		if m.Sender == SenderSeller && sameText(m.Text, r.Text) && !claimed[m.ID] &&
			!m.SentAt.Before(r.CreatedAt.Add(-5*time.Minute)) {
			return true, m, nil
		}
	}
	return false, Message{}, nil
}

// claimedIDs are marketplace message IDs already matched to a reply.
func (o *Outbox) claimedIDs(ctx context.Context, store StoreID, since time.Time) (map[MessageID]bool, error) {
	rows, err := o.e.state.Replies(ctx, store, since.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	out := map[MessageID]bool{}
	for _, x := range rows {
		if x.MarketplaceMessageID != "" {
			out[x.MarketplaceMessageID] = true
		}
	}
	return out, nil
}

func sameText(a, b string) bool { return strings.TrimSpace(a) == strings.TrimSpace(b) }

// claimEcho is called by a sync, under the conversation lock, for a seller
// message the bridge has not recorded: if an unfinished reply of the same
// conversation has that text, the message is that reply (its send outcome
// was unknown), not one sent from elsewhere.
func (o *Outbox) claimEcho(ctx context.Context, st Store, rec ConversationRecord, m Message) (bool, error) {
	rows, err := o.e.state.UnfinishedReplies(ctx)
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		if r.Store == st.ID && r.Conversation == rec.ID && r.Attempts > 0 && sameText(r.Text, m.Text) {
			o.markSent(ctx, st, rec, r, m)
			return true, nil
		}
	}
	return false, nil
}

func (o *Outbox) markSent(ctx context.Context, st Store, rec ConversationRecord, r Reply, msg Message) {
	e := o.e
	now := e.clock.Now()
	r.Status = ReplySent
	r.Reason = ""
	r.MarketplaceMessageID = msg.ID
	r.SentAt = now
	r.UpdatedAt = now
	r.NextAttemptAt = time.Time{}
	if err := e.state.UpdateReply(ctx, r); err != nil {
		e.log.Error("record reply as sent", "reply", r.ID, "err", err)
	}
	if msg.SentAt.IsZero() {
		msg.SentAt = now
	}
	msg.Sender = SenderSeller
	o.recordFirstResponse(ctx, rec, r, msg.SentAt, now)
	// Counters only: the watermark stays with the sync, which must still
	// fetch buyer messages that arrived before this reply.
	rec = applyMessage(rec, msg, now)
	rm := RelayedMessage{Store: st.ID, Conversation: rec.ID, ID: msg.ID, Sender: SenderSeller, SentAt: msg.SentAt,
		ChatMessage: r.ChatMessage, RelayedAt: now, FromBridge: true}
	if err := e.state.RecordRelayed(ctx, rm, rec); err != nil && !errors.Is(err, ErrConflict) {
		e.log.Error("record sent reply", "reply", r.ID, "err", err)
	}
	o.mu.Lock()
	delete(o.budget, r.ID)
	delete(o.convOf, r.ID)
	o.sent++
	o.mu.Unlock()
	o.setStatus(ctx, r)
	if err := e.marketplace(st.Platform).MarkRead(ctx, st, rec.ID, rec.WatermarkID); err != nil {
		e.log.Debug("mark read failed", "store", st.ID, "conversation", rec.ID, "err", err)
	}
	if !rec.Thread.IsZero() {
		e.headers.queue(rec.Thread, e.header(st, rec))
	}
}

func (o *Outbox) fail(ctx context.Context, r Reply, reason string) {
	r.Status = ReplyFailed
	r.Reason = reason
	r.UpdatedAt = o.e.clock.Now()
	r.NextAttemptAt = time.Time{}
	if err := o.e.state.UpdateReply(ctx, r); err != nil {
		o.e.log.Error("record reply as failed", "reply", r.ID, "err", err)
	}
	o.mu.Lock()
	o.failed++
	delete(o.convOf, r.ID)
	o.mu.Unlock()
	o.e.log.Warn("reply failed", "reply", r.ID, "store", r.Store, "reason", reason)
	o.setStatus(ctx, r)
}

// retryLater schedules another attempt with backoff, or gives up.
func (o *Outbox) retryLater(ctx context.Context, r Reply, cause error, status ReplyStatus) {
	e := o.e
	o.mu.Lock()
	base := o.budget[r.ID]
	o.mu.Unlock()
	if r.Attempts-base >= e.cfg.SendAttempts {
		o.fail(ctx, r, fmt.Sprintf("gave up after %d attempts: %s", r.Attempts-base, ReasonOf(cause)))
		return
	}
	wait := e.cfg.SendBackoff
	for i := 1; i < r.Attempts-base && wait < e.cfg.SendBackoffMax; i++ {
		wait *= 2
	}
	wait = min(wait, e.cfg.SendBackoffMax)
	if ra := RetryAfterOf(cause); ra > wait {
		wait = ra
	}
	r.Status = status
	r.Reason = ReasonOf(cause)
	r.NextAttemptAt = e.clock.Now().Add(wait)
	r.UpdatedAt = e.clock.Now()
	// Arm the retry first: the attempt it triggers waits for the
	// conversation lock, which the caller holds until this row is written.
	o.schedule(r.ID, wait)
	if err := e.state.UpdateReply(ctx, r); err != nil {
		e.log.Error("record reply retry", "reply", r.ID, "err", err)
	}
	e.log.Info("reply will be retried", "reply", r.ID, "in", wait, "err", cause)
}

// processSafely runs one attempt and turns a panic into a logged error and
// a later retry, so the outbox never stops quietly.
func (o *Outbox) processSafely(ctx context.Context, id ReplyID) {
	defer func() {
		if r := recover(); r != nil {
			o.e.log.Error("sending a reply panicked; it will be retried", "reply", id, "panic", r, "stack", string(debug.Stack()))
			wait := o.e.cfg.SendBackoffMax
			o.schedule(id, wait)
			// The attempt's outcome is unknown: the row stays as it was
			// (sending rows are reconciled before the next attempt).
			if rep, err := o.e.state.Reply(ctx, id); err == nil && !rep.Status.Final() {
				rep.Reason = fmt.Sprintf("internal error: %v", r)
				rep.NextAttemptAt = o.e.clock.Now().Add(wait)
				rep.UpdatedAt = o.e.clock.Now()
				if err := o.e.state.UpdateReply(ctx, rep); err != nil {
					o.e.log.Error("record reply retry", "reply", id, "err", err)
				}
			}
		}
	}()
	o.process(ctx, id)
}
