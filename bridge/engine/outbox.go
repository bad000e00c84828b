package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/monitor"
)

// Outbox sends agent replies to buyers. A reply is stored (queued) before
// anything is sent, marked sending before the marketplace is called, and ends
// sent or failed with a reason. A reply whose outcome is unknown (a timeout,
// a 5xx, a crash mid-send) is reconciled against the conversation's recent
// seller messages before it is sent again, so it never reaches a buyer twice.
type Outbox struct {
	cfg     Config
	state   outboxState
	chat    replyShower
	clock   bridge.Clock
	log     *slog.Logger
	stores  func(bridge.StoreID) (bridge.Store, bool)
	mps     func(bridge.Platform) bridge.Marketplace
	locks   *convLocks
	headers *headerUpdater
	mon     *monitor.Monitor
	// authRefused is told when the marketplace refuses a store's tokens.
	authRefused func(ctx context.Context, s bridge.Store, err error)
	sentHook    func(bridge.StoreID, time.Time)
	owns        func(bridge.StoreID) bool

	mu sync.Mutex
	// known are the unfinished replies this outbox tracks (queued, waiting
	// for a retry, or in flight); resume picks up the others.
	known  map[bridge.ReplyID]bool
	queue  []bridge.ReplyID
	queued map[bridge.ReplyID]bool
	// convOf and busy keep one reply per conversation in flight.
	convOf map[bridge.ReplyID]convKey
	busy   map[convKey]bool
	budget map[bridge.ReplyID]int
	// told marks replies whose author was told they are being checked.
	told map[bridge.ReplyID]bool
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

// outboxState is the part of State the outbox uses.
type outboxState interface {
	bridge.ReplyStore
	bridge.ConversationStore
	bridge.InboundQueue
	bridge.ReportEvents
}

// replyShower is the part of Chat the outbox uses.
type replyShower interface {
	SetReplyStatus(ctx context.Context, r bridge.Reply) error
	Notify(ctx context.Context, n bridge.Notice) error
}

// OutboxDeps are what the outbox runs on.
type OutboxDeps struct {
	State        outboxState
	Chat         replyShower
	Clock        bridge.Clock
	Logger       *slog.Logger
	Stores       func(bridge.StoreID) (bridge.Store, bool)
	Marketplaces func(bridge.Platform) bridge.Marketplace
	Locks        *convLocks
	Headers      *headerUpdater
	Monitor      *monitor.Monitor
	AuthRefused  func(ctx context.Context, s bridge.Store, err error)
	// Sent, when set, is told of each reply the marketplace accepted.
	Sent func(bridge.StoreID, time.Time)
	// Owns says whether this replica sends a store's replies (it holds the
	// store's lease); nil: every store.
	Owns func(bridge.StoreID) bool
}

func newOutbox(cfg Config, d OutboxDeps) *Outbox {
	return &Outbox{
		cfg: cfg, state: d.State, chat: d.Chat, clock: d.Clock, log: d.Logger, stores: d.Stores, mps: d.Marketplaces,
		locks: d.Locks, headers: d.Headers, mon: d.Monitor, authRefused: d.AuthRefused, sentHook: d.Sent, owns: d.Owns,
		known:    map[bridge.ReplyID]bool{},
		queued:   map[bridge.ReplyID]bool{},
		convOf:   map[bridge.ReplyID]convKey{},
		busy:     map[convKey]bool{},
		budget:   map[bridge.ReplyID]int{},
		told:     map[bridge.ReplyID]bool{},
		signal:   make(chan struct{}, 1),
		stopping: make(chan struct{}),
	}
}

// start resumes unfinished rows and starts the workers.
func (o *Outbox) start(ctx context.Context) error {
	o.sendCtx, o.sendCancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := o.resume(ctx); err != nil {
		return err
	}
	for i := 0; i < o.cfg.SendWorkers; i++ {
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
func (o *Outbox) schedule(id bridge.ReplyID, delay time.Duration) {
	if delay <= 0 {
		o.push(id)
		return
	}
	// The timer is taken before returning, so callers (and tests driving a
	// fake clock) know the retry is armed once schedule returns.
	due := o.clock.After(delay)
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

func (o *Outbox) push(id bridge.ReplyID) {
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
func (o *Outbox) track(r bridge.Reply) {
	o.mu.Lock()
	o.convOf[r.ID] = convKey{r.Store, r.Conversation}
	o.known[r.ID] = true
	o.mu.Unlock()
}

// pop takes the first queued reply whose conversation has no reply in
// flight, and marks that conversation busy.
func (o *Outbox) pop() (bridge.ReplyID, convKey, bool) {
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
func (o *Outbox) Enqueue(ctx context.Context, r bridge.Reply) (bridge.Reply, error) {
	now := o.clock.Now()
	r.Status = bridge.ReplyQueued
	r.CreatedAt, r.UpdatedAt = now, now
	stored, err := o.state.EnqueueReply(ctx, r)
	if err != nil {
		return stored, err
	}
	o.track(stored)
	o.setStatus(ctx, stored)
	o.push(stored.ID)
	return stored, nil
}

// Retry puts a failed reply back in the queue.
func (o *Outbox) Retry(ctx context.Context, id bridge.ReplyID) (bridge.Reply, error) {
	r, err := o.state.Reply(ctx, id)
	if err != nil {
		return r, err
	}
	switch r.Status {
	case bridge.ReplySent:
		return r, fmt.Errorf("reply %d: %w", id, errAlreadySent)
	case bridge.ReplySending:
		// Being sent, or waiting until its last attempt can no longer land:
		// pushing it again would not make that any sooner.
		return r, nil
	case bridge.ReplyQueued:
		o.track(r)
		o.push(id)
		return r, nil
	}
	r.Status = bridge.ReplyQueued
	r.Reason = ""
	r.NextAttemptAt = time.Time{}
	r.UpdatedAt = o.clock.Now()
	if err := o.state.UpdateReply(ctx, r); err != nil {
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

func (o *Outbox) setStatus(ctx context.Context, r bridge.Reply) {
	if err := o.chat.SetReplyStatus(ctx, r); err != nil {
		o.log.Warn("could not show reply status", "reply", r.ID, "status", r.Status, "err", err)
	}
}

// process makes one attempt at one reply.
func (o *Outbox) process(ctx context.Context, id bridge.ReplyID) {
	r, err := o.state.Reply(ctx, id)
	if err != nil {
		o.log.Error("load reply", "reply", id, "err", err)
		return
	}
	if r.Status.Final() {
		o.forget(id)
		return
	}
	if !o.ownsStore(r.Store) {
		o.forget(id) // the store's holder sends it
		return
	}
	st, ok := o.stores(r.Store)
	if !ok {
		o.fail(ctx, r, "the store is no longer configured")
		return
	}
	unlock := o.locks.lock(r.Store, r.Conversation)
	defer unlock()
	// Re-read under the lock: a sync may have matched the echo meanwhile.
	if r, err = o.state.Reply(ctx, id); err != nil || r.Status.Final() {
		return
	}
	rec, err := o.state.Conversation(ctx, r.Store, r.Conversation)
	if err != nil {
		o.fail(ctx, r, "conversation not found")
		return
	}
	mp := o.mps(st.Platform)

	if r.Status == bridge.ReplySending {
		if wait := o.settleAt(r).Sub(o.clock.Now()); wait > 0 {
			// The last attempt's outcome is unknown and its request may still
			// land (the previous process died mid-send, or the client gave
			// up): look for it only once it cannot any more.
			o.awaitSettle(ctx, r, wait)
			return
		}
	}
	if r.Attempts > 0 || r.Status == bridge.ReplySending {
		// The last attempt may have reached the buyer: look before resending.
		found, msg, err := o.reconcile(ctx, st, r)
		if err != nil {
			o.retryLater(ctx, r, err, r.Status)
			return
		}
		if found {
			o.log.Info("reply found on the marketplace; not sending again", "reply", r.ID, "message", msg.ID)
			o.markSent(ctx, st, rec, r, msg)
			return
		}
	}

	firstSend := r.Status != bridge.ReplySending
	now := o.clock.Now()
	r.Status = bridge.ReplySending
	r.Attempts++
	r.Reason = ""
	r.NextAttemptAt = time.Time{}
	r.UpdatedAt = now
	// The attempt's start and deadline are stored before the request
	// leaves: whoever finds this row "sending" later (this process after a
	// timeout, the next one after a crash) knows until when it may land.
	r.AttemptStartedAt, r.AttemptDeadline = now, now.Add(o.cfg.SendTimeout)
	if err := o.state.UpdateReply(ctx, r); err != nil {
		o.log.Error("record reply as sending; not sending it yet", "reply", r.ID, "err", err)
		o.mon.StateFailure(stateErr(true, fmt.Sprintf("record reply %d as sending", r.ID), err))
		o.schedule(r.ID, o.cfg.SendBackoff)
		return
	}
	if firstSend {
		o.setStatus(ctx, r)
	}
	conv := bridge.Conversation{ID: rec.ID, BuyerID: rec.BuyerID, BuyerName: rec.BuyerName, LastBuyerAt: rec.LastBuyerAt, SellerSince: rec.SellerStreak}
	sctx, cancel := bridge.WithTimeout(ctx, o.clock, o.cfg.SendTimeout)
	msg, err := mp.SendText(sctx, st, conv, r.Text)
	timedOut := context.Cause(sctx) == context.DeadlineExceeded
	cancel()
	if err == nil && o.sentHook != nil {
		o.sentHook(st.ID, o.clock.Now())
	}
	if timedOut && err != nil {
		// The client gave up at the attempt's deadline: the outcome is unknown.
		err = &bridge.PlatformError{Kind: bridge.KindTransient, Platform: string(st.Platform), Op: "send message",
			Message: fmt.Sprintf("no answer within %s", o.cfg.SendTimeout), Err: err}
	}
	if err == nil {
		if msg.ID == "" {
			msg.ID = bridge.MessageID(fmt.Sprintf("bridge-reply-%d", r.ID))
		}
		o.markSent(ctx, st, rec, r, msg)
		return
	}
	if ctx.Err() != nil {
		// Shutting down mid-send: the row stays "sending" (unknown outcome)
		// and is reconciled at the next start.
		o.log.Warn("send interrupted by shutdown; will reconcile at next start", "reply", r.ID)
		return
	}
	switch bridge.Classify(err) {
	case bridge.KindAuth:
		o.fail(ctx, r, bridge.ReasonOf(err))
		if o.mon.AuthRefused(st.ID, err) {
			o.log.Warn("store needs update: the marketplace refuses its tokens", "store", st.ID, "err", err)
		}
		if o.authRefused != nil {
			o.authRefused(ctx, st, err)
		}
	case bridge.KindPermanent:
		o.fail(ctx, r, bridge.ReasonOf(err))
	case bridge.KindRateLimited:
		o.retryLater(ctx, r, err, bridge.ReplyQueued)
	default:
		var pe *bridge.PlatformError
		status := bridge.ReplySending // unknown outcome
		if errors.As(err, &pe) && pe.NotDelivered {
			status = bridge.ReplyQueued
		}
		o.retryLater(ctx, r, err, status)
	}
}

// errAlreadySent refuses a Retry of a reply that was sent.
var errAlreadySent = errors.New("already sent")

// markSent records a reply as sent and its message as the bridge's own.
func (o *Outbox) markSent(ctx context.Context, st bridge.Store, rec bridge.ConversationRecord, r bridge.Reply, msg bridge.Message) {
	o.finishSent(ctx, st, rec, r, msg, true)
}

// finishSent marks a reply sent, records the first response for the report
// and, when record is set, the sent message in the inbound queue (so a sync
// does not show it as sent from Seller Centre) with the conversation's
// counters. rec is the conversation as it was before the reply.
func (o *Outbox) finishSent(ctx context.Context, st bridge.Store, rec bridge.ConversationRecord, r bridge.Reply, msg bridge.Message, record bool) {
	now := o.clock.Now()
	r.Status = bridge.ReplySent
	r.Reason = ""
	r.MarketplaceMessageID = msg.ID
	r.SentAt = now
	r.UpdatedAt = now
	r.NextAttemptAt = time.Time{}
	if err := o.state.UpdateReply(ctx, r); err != nil {
		o.log.Error("record reply as sent", "reply", r.ID, "err", err)
		o.mon.StateFailure(stateErr(true, fmt.Sprintf("record reply %d as sent", r.ID), err))
	}
	if msg.SentAt.IsZero() {
		msg.SentAt = now
	}
	msg.Sender = bridge.SenderSeller
	msg.Conversation = rec.ID
	o.recordFirstResponse(ctx, rec, r, msg.SentAt, now)
	after := applyMessage(rec, msg, now)
	if record {
		// Counters only: the watermark stays with the sync, which must still
		// fetch buyer messages that arrived before this reply.
		own := bridge.InboundMessage{Store: st.ID, Message: msg, Status: bridge.InboundOwn, Chat: r.ChatMessage, RecordedAt: now, PostedAt: now}
		if _, err := o.state.RecordInbound(ctx, bridge.InboundBatch{Conversation: after, Messages: []bridge.InboundMessage{own}}); err != nil {
			o.log.Error("record sent reply", "reply", r.ID, "err", err)
			o.mon.StateFailure(stateErr(true, fmt.Sprintf("record sent reply %d", r.ID), err))
		}
	}
	o.mu.Lock()
	delete(o.budget, r.ID)
	delete(o.convOf, r.ID)
	o.sent++
	o.mu.Unlock()
	o.setStatus(ctx, r)
	if err := o.mps(st.Platform).MarkRead(ctx, st, rec.ID, after.WatermarkID); err != nil {
		o.log.Debug("mark read failed", "store", st.ID, "conversation", rec.ID, "err", err)
	}
	if !after.Thread.IsZero() {
		o.headers.queue(after.Thread, headerOf(st, after))
	}
}

func (o *Outbox) fail(ctx context.Context, r bridge.Reply, reason string) {
	r.Status = bridge.ReplyFailed
	r.Reason = reason
	r.UpdatedAt = o.clock.Now()
	r.NextAttemptAt = time.Time{}
	if err := o.state.UpdateReply(ctx, r); err != nil {
		o.log.Error("record reply as failed", "reply", r.ID, "err", err)
	}
	o.mu.Lock()
	o.failed++
	delete(o.convOf, r.ID)
	o.mu.Unlock()
	o.log.Warn("reply failed", "reply", r.ID, "store", r.Store, "reason", reason)
	o.setStatus(ctx, r)
}

// retryLater schedules another attempt with backoff, or gives up.
func (o *Outbox) retryLater(ctx context.Context, r bridge.Reply, cause error, status bridge.ReplyStatus) {
	o.mu.Lock()
	base := o.budget[r.ID]
	o.mu.Unlock()
	if r.Attempts-base >= o.cfg.SendAttempts {
		o.fail(ctx, r, fmt.Sprintf("gave up after %d attempts: %s", r.Attempts-base, bridge.ReasonOf(cause)))
		return
	}
	wait := o.cfg.SendBackoff
	for i := 1; i < r.Attempts-base && wait < o.cfg.SendBackoffMax; i++ {
		wait *= 2
	}
	wait = min(wait, o.cfg.SendBackoffMax)
	if ra := bridge.RetryAfterOf(cause); ra > wait {
		wait = ra
	}
	if status == bridge.ReplySending {
		// Unknown outcome: the next look is once the attempt cannot land.
		wait = max(wait, o.settleAt(r).Sub(o.clock.Now()))
	}
	r.Status = status
	r.Reason = bridge.ReasonOf(cause)
	r.NextAttemptAt = o.clock.Now().Add(wait)
	r.UpdatedAt = o.clock.Now()
	// Arm the retry first: the attempt it triggers waits for the
	// conversation lock, which the caller holds until this row is written.
	o.schedule(r.ID, wait)
	if err := o.state.UpdateReply(ctx, r); err != nil {
		o.log.Error("record reply retry", "reply", r.ID, "err", err)
	}
	o.log.Info("reply will be retried", "reply", r.ID, "in", wait, "err", cause)
}

// processSafely runs one attempt and turns a panic into a logged error and
// a later retry, so the outbox never stops quietly.
func (o *Outbox) processSafely(ctx context.Context, id bridge.ReplyID) {
	defer func() {
		if r := recover(); r != nil {
			o.log.Error("sending a reply panicked; it will be retried", "reply", id, "panic", r, "stack", string(debug.Stack()))
			wait := o.cfg.SendBackoffMax
			// The attempt's outcome is unknown: the row stays as it was
			// (sending rows are reconciled before the next attempt, once
			// their attempt cannot land any more).
			rep, err := o.state.Reply(ctx, id)
			if err == nil && rep.Status == bridge.ReplySending {
				wait = max(wait, o.settleAt(rep).Sub(o.clock.Now()))
			}
			o.schedule(id, wait)
			if err == nil && !rep.Status.Final() {
				rep.Reason = fmt.Sprintf("internal error: %v", r)
				rep.NextAttemptAt = o.clock.Now().Add(wait)
				rep.UpdatedAt = o.clock.Now()
				if err := o.state.UpdateReply(ctx, rep); err != nil {
					o.log.Error("record reply retry", "reply", id, "err", err)
				}
			}
		}
	}()
	o.process(ctx, id)
}
