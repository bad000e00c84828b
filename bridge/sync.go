package bridge

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"sync"
	"time"
)

// syncRequest asks a syncer to run now.
type syncRequest struct {
	reason string
	// catchUp supersedes (cancels) an in-flight regular sync.
	catchUp bool
	// done, when set, receives the result of the sync run for this request.
	done chan syncResult
}

type syncResult struct {
	messages int
	err      error
}

// syncer polls one store. All syncs of a store run from its one goroutine;
// a catch-up or manual retry cancels a superseded in-flight sync.
type syncer struct {
	e     *Engine
	mu    sync.Mutex
	store Store
	wakeC chan syncRequest
	quit  chan struct{}
	once  sync.Once

	// running is the cancel func of the in-flight sync.
	running context.CancelFunc
	// lastOK and lastDuration describe the last sync.
	lastOK       time.Time
	lastDuration time.Duration
	// Counters since start, for metrics.
	relayed     uint64
	syncsOK     uint64
	syncsFailed uint64
}

func newSyncer(e *Engine, s Store) *syncer {
	return &syncer{e: e, store: s, wakeC: make(chan syncRequest, 16), quit: make(chan struct{})}
}

func (sy *syncer) setStore(s Store) {
	sy.mu.Lock()
	sy.store = s
	sy.mu.Unlock()
}

func (sy *syncer) getStore() Store {
	sy.mu.Lock()
	defer sy.mu.Unlock()
	return sy.store
}

func (sy *syncer) stop() { sy.once.Do(func() { close(sy.quit) }) }

// wake asks for a sync soon; a catch-up cancels the in-flight sync first.
func (sy *syncer) wake(r syncRequest) {
	if r.catchUp {
		sy.mu.Lock()
		if sy.running != nil {
			sy.running()
		}
		sy.mu.Unlock()
	}
	select {
	case sy.wakeC <- r:
	default:
		if r.done != nil {
			// The queue is full of requests; this one still needs an answer.
			go func() {
				select {
				case sy.wakeC <- r:
				case <-sy.quit:
					r.done <- syncResult{err: errors.New("store removed")}
				}
			}()
		}
	}
}

func (sy *syncer) jittered(d time.Duration) time.Duration {
	j := sy.e.cfg.PollJitter
	if j <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - j + 2*j*rand.Float64()))
}

func (sy *syncer) run(ctx context.Context) {
	e := sy.e
	// A store's first poll happens at once; then every interval.
	next := time.Duration(0)
	for {
		var req syncRequest
		wait := e.clock.After(next)
		select {
		case <-ctx.Done():
			return
		case <-sy.quit:
			return
		case req = <-sy.wakeC:
		case <-wait:
			req = syncRequest{reason: "poll"}
		}
		st := sy.getStore()
		paused := false
		if ss, err := e.state.StoreState(ctx, st.ID); err == nil {
			paused = ss.Paused
		}
		if paused && req.reason != "manual" {
			next = e.cfg.PollInterval
			if req.done != nil {
				req.done <- syncResult{err: fmt.Errorf("store %s is paused", st.ID)}
			}
			continue
		}
		if e.mon.storeDown(st.ID) && !req.catchUp {
			next = sy.probe(ctx, st)
			if req.done != nil {
				req.done <- syncResult{err: fmt.Errorf("store %s is unreachable", st.ID)}
			}
			continue
		}
		res := sy.syncOnce(ctx, st, req.catchUp)
		if req.done != nil {
			req.done <- res
		}
		if res.err == nil || errors.Is(res.err, context.Canceled) {
			next = sy.jittered(e.cfg.PollInterval)
		} else {
			// Retry a failed sync sooner than a poll, but not in a tight loop.
			next = sy.jittered(min(e.cfg.PollInterval, e.cfg.Debounce*2))
		}
		if wait := RetryAfterOf(res.err); wait > next {
			next = wait
		}
	}
}

// probe checks a down store with one cheap call; after a success it waits
// the debounce and checks again before declaring it recovered, which
// triggers the catch-up. It returns the wait before the next probe.
func (sy *syncer) probe(ctx context.Context, st Store) time.Duration {
	e := sy.e
	mp := e.marketplace(st.Platform)
	check := func() error {
		pctx, cancel := context.WithTimeout(ctx, e.cfg.SyncTimeout)
		defer cancel()
		_, err := mp.ListConversations(pctx, st, e.clock.Now())
		return err
	}
	if err := check(); err != nil {
		e.mon.storeFailure(st.ID, err)
		return e.mon.probeBackoff(st.ID)
	}
	// First success: wait for stable success before the catch-up.
	if !sleep(ctx, e.clock, e.cfg.Debounce) {
		return 0
	}
	if err := check(); err != nil {
		e.mon.storeFailure(st.ID, err)
		return e.mon.probeBackoff(st.ID)
	}
	res := sy.syncOnce(ctx, st, true)
	e.mon.storeRecovered(st.ID, res.messages, res.err)
	return sy.jittered(e.cfg.PollInterval)
}

// syncOnce runs one sync of the store and reports it to the monitor.
func (sy *syncer) syncOnce(ctx context.Context, st Store, catchUp bool) syncResult {
	e := sy.e
	sctx, cancel := context.WithTimeout(ctx, e.cfg.SyncTimeout)
	sy.mu.Lock()
	sy.running = cancel
	sy.mu.Unlock()
	start := e.clock.Now()
	n, err := e.syncStoreSafely(sctx, st)
	cancel()
	sy.mu.Lock()
	sy.running = nil
	dur := e.clock.Now().Sub(start)
	sy.lastDuration = dur
	sy.relayed += uint64(n)
	if err == nil {
		sy.lastOK = e.clock.Now()
		sy.syncsOK++
	} else {
		sy.syncsFailed++
	}
	sy.mu.Unlock()

	run := SyncRun{Store: st.ID, StartedAt: start, Duration: dur, OK: err == nil, Messages: n, CatchUp: catchUp}
	if err != nil {
		run.Error = ReasonOf(err)
	}
	if rerr := e.state.RecordSync(context.WithoutCancel(ctx), run); rerr != nil {
		e.log.Warn("could not record sync run", "store", st.ID, "err", rerr)
	}
	var ce *chatError
	switch {
	case err == nil:
		e.mon.storeSuccess(st.ID, n)
	case errors.As(err, &ce):
		// The marketplace answered; the chat surface did not.
		e.mon.storeSuccess(st.ID, 0)
		e.mon.chatFailure(ce.err)
	case errors.Is(err, context.Canceled) && ctx.Err() == nil:
		e.log.Info("sync superseded", "store", st.ID)
	case ctx.Err() != nil:
	case Classify(err) == KindAuth && e.onAuthRefused != nil:
		// Not a network outage: the store's authorization is gone. The
		// authorization flow marks it "needs update" and alerts once.
		e.log.Warn("sync refused: the store's tokens are not accepted", "store", st.ID, "err", err)
		e.onAuthRefused(context.WithoutCancel(ctx), st, err)
	default:
		e.log.Warn("sync failed", "store", st.ID, "err", err)
		e.mon.storeFailure(st.ID, err)
	}
	return syncResult{messages: n, err: err}
}

// pending is a message about to be relayed; a silent one is recorded
// (advancing the watermark) without being posted.
type pending struct {
	Message
	silent bool
	// done marks a message handled before: only the watermark moves.
	done bool
}

// chatError marks a failure of the chat surface during a sync.
type chatError struct{ err error }

func (c *chatError) Error() string { return "chat: " + c.err.Error() }
func (c *chatError) Unwrap() error { return c.err }

// syncStore lists the store's conversations with activity after its cursor
// and syncs each one. It returns how many messages it relayed.
func (e *Engine) syncStore(ctx context.Context, st Store) (int, error) {
	ss, err := e.state.StoreState(ctx, st.ID)
	if err != nil {
		return 0, fmt.Errorf("load state of store %s: %w", st.ID, err)
	}
	now := e.clock.Now()
	firstStart := ss.Cursor.IsZero()
	since := ss.Cursor.Add(-e.cfg.CursorOverlap)
	if firstStart {
		since = now.Add(-e.cfg.ImportWindow)
	}
	mp := e.marketplace(st.Platform)
	var convs []Conversation
	err = retryTransient(ctx, func() (err error) {
		convs, err = mp.ListConversations(ctx, st, since)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("list conversations of store %s: %w", st.ID, err)
	}
	// Oldest activity first, so threads appear in the order buyers wrote.
	sort.SliceStable(convs, func(i, j int) bool { return convs[i].LatestMessageAt.Before(convs[j].LatestMessageAt) })

	var (
		mu       sync.Mutex
		total    int
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, e.cfg.SyncConcurrency)
		seen     = map[ConversationID]bool{}
	)
	cursor := ss.Cursor
	if firstStart {
		cursor = since
	}
	for _, c := range convs {
		if c.ID == "" || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		if c.LatestMessageAt.After(cursor) {
			cursor = c.LatestMessageAt
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return total, ctx.Err()
		}
		wg.Add(1)
		go func(c Conversation) {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := e.syncConversationSafely(ctx, st, c, firstStart, since)
			mu.Lock()
			total += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	if firstErr != nil {
		// Keep the cursor: the next sync lists the same conversations again
		// and message IDs make it post only what is missing.
		return total, firstErr
	}
	if err := e.state.SaveSyncCursor(ctx, st.ID, cursor, e.clock.Now()); err != nil {
		return total, fmt.Errorf("save cursor of store %s: %w", st.ID, err)
	}
	return total, nil
}

// syncConversation relays the conversation's messages that are newer than
// what the bridge has handled, opening its thread on first need.
func (e *Engine) syncConversation(ctx context.Context, st Store, c Conversation, firstStart bool, since time.Time) (int, error) {
	unlock := e.lockConversation(st.ID, c.ID)
	defer unlock()

	rec, err := e.state.Conversation(ctx, st.ID, c.ID)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("load conversation %s: %w", c.ID, err)
	}
	if known && c.LatestMessageID != "" && rec.WatermarkID == c.LatestMessageID {
		return 0, nil // nothing new
	}
	mp := e.marketplace(st.Platform)
	after := MessageID("")
	if known {
		after = rec.WatermarkID
	}
	var msgs []Message
	err = retryTransient(ctx, func() (err error) {
		msgs, err = mp.ListMessages(ctx, st, c.ID, after, e.cfg.HistoryLimit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("list messages of conversation %s: %w", c.ID, err)
	}
	items := make([]pending, 0, len(msgs))
	for _, m := range sortMessages(msgs) {
		items = append(items, pending{Message: m})
	}
	if !known {
		rec = ConversationRecord{
			Store: st.ID, ID: c.ID, BuyerID: c.BuyerID, BuyerName: c.BuyerName, Link: c.Link,
			CreatedAt: e.clock.Now(),
		}
		items = e.firstMessages(items, firstStart, since)
		if len(items) == 0 {
			return 0, nil
		}
	}
	if c.BuyerName != "" {
		rec.BuyerName = c.BuyerName
	}
	if c.BuyerID != "" {
		rec.BuyerID = c.BuyerID
	}
	if c.Link != "" {
		rec.Link = c.Link
	}
	return e.relay(ctx, st, rec, known, items)
}

// firstMessages picks what a conversation new to the bridge shows. On a first
// start only unanswered conversations younger than the import window are
// imported (with their recent messages); others are remembered silently, so
// they get a thread when the buyer writes again.
func (e *Engine) firstMessages(msgs []pending, firstStart bool, since time.Time) []pending {
	if len(msgs) == 0 {
		return nil
	}
	last := msgs[len(msgs)-1]
	if firstStart {
		if last.Sender != SenderBuyer || last.SentAt.Before(e.clock.Now().Add(-e.cfg.ImportWindow)) {
			// Answered or old: remember the watermark without a thread.
			for i := range msgs {
				msgs[i].silent = true
			}
		}
		return msgs
	}
	// A conversation that started (or resumed) after the cursor: show what is
	// new since then, at least its latest message, and mark older ones silent.
	for i := range msgs {
		if msgs[i].SentAt.Before(since) && i != len(msgs)-1 {
			msgs[i].silent = true
		}
	}
	return msgs
}

// relay posts msgs into the conversation's thread (opening it when a visible
// message needs it) and records each one. It stops at the first failure so
// the next sync resumes from the last recorded message.
func (e *Engine) relay(ctx context.Context, st Store, rec ConversationRecord, known bool, msgs []pending) (int, error) {
	wasAwaiting := !rec.AwaitingSince.IsZero()
	moved := false
	// First decide what is new and what is shown.
	todo := make([]pending, 0, len(msgs))
	willHaveThread := !rec.Thread.IsZero()
	resumed := false
	for _, m := range msgs {
		if known {
			done, err := e.state.IsRelayed(ctx, st.ID, rec.ID, m.ID)
			if err != nil {
				return 0, fmt.Errorf("check message %s: %w", m.ID, err)
			}
			if done {
				// Handled before (a reply the bridge sent, or a sync cut
				// short): the watermark moves past it once everything
				// before it is handled too.
				m.done = true
				todo = append(todo, m)
				continue
			}
		}
		if m.Sender == SenderSeller && known {
			claimed, err := e.outbox.claimEcho(ctx, st, rec, m.Message)
			if err != nil {
				return 0, fmt.Errorf("match seller message %s to replies: %w", m.ID, err)
			}
			if claimed {
				// It was one of ours whose send outcome was unknown.
				if rec, err = e.state.Conversation(ctx, st.ID, rec.ID); err != nil {
					return 0, err
				}
				m.done = true
				todo = append(todo, m)
				continue
			}
		}
		if !m.silent && !willHaveThread && m.Sender != SenderBuyer {
			// Seller-side activity alone does not open a thread.
			m.silent = true
		}
		if !m.silent && m.Sender == SenderBuyer {
			willHaveThread = true
			if last := maxTime(rec.LastBuyerAt, rec.LastSellerAt); !last.IsZero() && m.SentAt.Sub(last) >= e.cfg.ResumedAfter {
				resumed = true
			}
		}
		todo = append(todo, m)
	}

	relayed := 0
	for i := 0; i < len(todo); {
		// A superseded or stopped sync ends between messages, never between
		// a chat call and its record: that would orphan a thread or post a
		// message twice.
		if err := ctx.Err(); err != nil {
			return relayed, err
		}
		if todo[i].done {
			rec = advanceWatermark(rec, todo[i].Message)
			moved = true
			i++
			continue
		}
		if todo[i].silent {
			var err error
			if rec, known, err = e.record(context.WithoutCancel(ctx), st, rec, known, todo[i].Message, ChatMessageRef{}); err != nil {
				return relayed, err
			}
			moved = false
			i++
			continue
		}
		// A run of shown messages is posted together where the surface can.
		j := i
		for j < len(todo) && !todo[j].silent && !todo[j].done {
			j++
		}
		run := make([]Message, 0, j-i)
		for _, m := range todo[i:j] {
			run = append(run, m.Message)
		}
		n, err := e.relayRun(ctx, st, &rec, &known, run, resumed)
		relayed += n
		if n > 0 {
			moved = false
		}
		if err != nil {
			return relayed, err
		}
		i = j
	}
	if moved && known {
		if err := e.state.UpdateConversation(ctx, rec); err != nil {
			return relayed, fmt.Errorf("move watermark of conversation %s: %w", rec.ID, err)
		}
	}
	if len(todo) > 0 && !rec.Thread.IsZero() {
		h := e.header(st, rec)
		h.Resumed = resumed
		if h.AwaitingReply != wasAwaiting || h.Unread > 0 || resumed {
			e.headers.queue(rec.Thread, h)
		}
	}
	return relayed, nil
}

// criticalTimeout bounds a step that ignores cancellation.
const criticalTimeout = 2 * time.Minute

// relayRun opens the thread if needed, posts a run of messages and records
// each posted one. It runs on a context that a superseding sync or a stop
// does not cut (bounded by criticalTimeout), so a thread is never opened
// without its mapping and a message never posted without its record.
func (e *Engine) relayRun(ctx context.Context, st Store, rec *ConversationRecord, known *bool, run []Message, resumed bool) (int, error) {
	crit, cancel := context.WithTimeout(context.WithoutCancel(ctx), criticalTimeout)
	defer cancel()
	var err error
	// The header a new thread opens with already counts the message that
	// opens it (awaiting reply, unread).
	opening := e.header(st, applyMessage(*rec, run[0], e.clock.Now()))
	if *rec, *known, err = e.ensureThread(crit, st, *rec, *known, opening); err != nil {
		return 0, err
	}
	h := e.header(st, *rec)
	h.Resumed = resumed
	refs, nrec, perr := e.postRun(crit, st, *rec, h, run)
	*rec = nrec
	n := 0
	for k, ref := range refs {
		if *rec, *known, err = e.record(crit, st, *rec, *known, run[k], ref); err != nil {
			return n, err
		}
		n++
	}
	return n, perr
}

// record stores a handled message and the conversation's new state.
func (e *Engine) record(ctx context.Context, st Store, rec ConversationRecord, known bool, m Message, ref ChatMessageRef) (ConversationRecord, bool, error) {
	now := e.clock.Now()
	rec = advanceWatermark(applyMessage(rec, m, now), m)
	if !known {
		if err := e.state.CreateConversation(ctx, rec); err != nil && !errors.Is(err, ErrConflict) {
			return rec, known, fmt.Errorf("record conversation %s: %w", rec.ID, err)
		}
		known = true
	}
	rm := RelayedMessage{Store: st.ID, Conversation: rec.ID, ID: m.ID, Sender: m.Sender, SentAt: m.SentAt, ChatMessage: ref, RelayedAt: now}
	if err := e.state.RecordRelayed(ctx, rm, rec); err != nil && !errors.Is(err, ErrConflict) {
		return rec, known, fmt.Errorf("record message %s: %w", m.ID, err)
	}
	return rec, known, nil
}

// postRun posts consecutive messages of one conversation: in one call when
// the surface is a BatchPoster (it may combine them into fewer posts under
// a rate limit), else one by one. It returns the refs of the posted prefix.
func (e *Engine) postRun(ctx context.Context, st Store, rec ConversationRecord, h ThreadHeader, run []Message) ([]ChatMessageRef, ConversationRecord, error) {
	bp, batch := e.chat.(BatchPoster)
	if !batch || len(run) == 1 {
		refs := make([]ChatMessageRef, 0, len(run))
		for _, m := range run {
			ref, nrec, err := e.post(ctx, st, rec, h, m)
			rec = nrec
			if err != nil {
				return refs, rec, err
			}
			refs = append(refs, ref)
			h = e.header(st, rec)
		}
		return refs, rec, nil
	}
	// The crash-window check applies to the first message, as for single posts.
	var refs []ChatMessageRef
	if ref, found := e.alreadyPosted(ctx, st, rec, run[0]); found {
		refs = append(refs, ref)
		run = run[1:]
	}
	got, err := bp.PostMessages(ctx, rec.Thread, h, run)
	refs = append(refs, got...)
	if errors.Is(err, ErrThreadGone) {
		var nrec ConversationRecord
		if nrec, err = e.healThread(ctx, st, rec); err != nil {
			return refs, rec, err
		}
		rec = nrec
		more, perr := bp.PostMessages(ctx, rec.Thread, e.header(st, rec), run[len(got):])
		refs = append(refs, more...)
		err = perr
	}
	if err != nil {
		return refs, rec, &chatError{fmt.Errorf("post messages of conversation %s: %w", rec.ID, err)}
	}
	e.mon.chatSuccess()
	return refs, rec, nil
}

// advanceWatermark moves the conversation's watermark to m. Only a sync
// calls it, for messages it handled in order: the watermark must never pass
// a message that was not handled (a reply sent meanwhile must not hide the
// buyer messages before it).
func advanceWatermark(rec ConversationRecord, m Message) ConversationRecord {
	if rec.WatermarkAt.IsZero() || !m.SentAt.Before(rec.WatermarkAt) {
		rec.WatermarkID = m.ID
		rec.WatermarkAt = m.SentAt
	}
	return rec
}

// applyMessage updates a conversation record's counters for a message
// (not its watermark).
func applyMessage(rec ConversationRecord, m Message, now time.Time) ConversationRecord {
	switch m.Sender {
	case SenderBuyer:
		if m.SentAt.After(rec.LastBuyerAt) {
			rec.LastBuyerAt = m.SentAt
		}
		if rec.AwaitingSince.IsZero() || m.SentAt.Before(rec.AwaitingSince) {
			if !m.SentAt.Before(rec.LastSellerAt) {
				rec.AwaitingSince = m.SentAt
			}
		}
		rec.Unread++
	case SenderSeller:
		if m.SentAt.After(rec.LastSellerAt) {
			rec.LastSellerAt = m.SentAt
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

// ensureThread opens the conversation's thread if it has none and records
// the mapping; the schema's one-thread-per-conversation rule settles races.
func (e *Engine) ensureThread(ctx context.Context, st Store, rec ConversationRecord, known bool, h ThreadHeader) (ConversationRecord, bool, error) {
	if !rec.Thread.IsZero() {
		return rec, known, nil
	}
	ref, err := e.chat.OpenThread(ctx, h)
	if err != nil {
		return rec, known, &chatError{fmt.Errorf("open thread for conversation %s: %w", rec.ID, err)}
	}
	rec.Thread = ref
	if !known {
		if err := e.state.CreateConversation(ctx, rec); err != nil {
			if errors.Is(err, ErrConflict) {
				existing, gerr := e.state.Conversation(ctx, st.ID, rec.ID)
				if gerr == nil && !existing.Thread.IsZero() {
					e.log.Warn("conversation already had a thread; keeping it", "store", st.ID, "conversation", rec.ID)
					return existing, true, nil
				}
			}
			return rec, known, fmt.Errorf("record thread of conversation %s: %w", rec.ID, err)
		}
		return rec, true, nil
	}
	if err := e.state.UpdateConversation(ctx, rec); err != nil {
		return rec, known, fmt.Errorf("record thread of conversation %s: %w", rec.ID, err)
	}
	return rec, known, nil
}

// alreadyPosted asks a PostedChecker surface, once per conversation after a
// start, whether the message is already in the thread (a crash between
// "posted" and "recorded").
func (e *Engine) alreadyPosted(ctx context.Context, st Store, rec ConversationRecord, m Message) (ChatMessageRef, bool) {
	pc, ok := e.chat.(PostedChecker)
	if !ok {
		return ChatMessageRef{}, false
	}
	key := convKey{st.ID, rec.ID}
	e.checkedMu.Lock()
	first := !e.checked[key]
	e.checked[key] = true
	e.checkedMu.Unlock()
	if !first {
		return ChatMessageRef{}, false
	}
	found, err := pc.FindPosted(ctx, rec.Thread, []MessageID{m.ID})
	ref, ok := found[m.ID]
	if err != nil || !ok {
		return ChatMessageRef{}, false
	}
	e.log.Info("message already in thread after a restart; not posting again", "store", st.ID, "conversation", rec.ID, "message", m.ID)
	return ref, true
}

// healThread replaces a deleted thread with a new one that says it
// continues the conversation, and re-maps the conversation to it.
func (e *Engine) healThread(ctx context.Context, st Store, rec ConversationRecord) (ConversationRecord, error) {
	e.log.Warn("thread was deleted; opening a new one", "store", st.ID, "conversation", rec.ID)
	h := e.header(st, rec)
	h.Continued = true
	nref, err := e.chat.OpenThread(ctx, h)
	if err != nil {
		return rec, &chatError{fmt.Errorf("reopen thread for conversation %s: %w", rec.ID, err)}
	}
	rec.Thread = nref
	if err := e.state.UpdateConversation(ctx, rec); err != nil {
		return rec, fmt.Errorf("re-map thread of conversation %s: %w", rec.ID, err)
	}
	rec.ThreadsReplaced++
	return rec, nil
}

// post posts one message, healing a deleted thread once.
func (e *Engine) post(ctx context.Context, st Store, rec ConversationRecord, h ThreadHeader, m Message) (ChatMessageRef, ConversationRecord, error) {
	if ref, found := e.alreadyPosted(ctx, st, rec, m); found {
		return ref, rec, nil
	}
	ref, err := e.chat.PostMessage(ctx, rec.Thread, h, m)
	if errors.Is(err, ErrThreadGone) {
		var herr error
		if rec, herr = e.healThread(ctx, st, rec); herr != nil {
			return ref, rec, herr
		}
		ref, err = e.chat.PostMessage(ctx, rec.Thread, e.header(st, rec), m)
	}
	if err != nil {
		return ref, rec, &chatError{fmt.Errorf("post message %s of conversation %s: %w", m.ID, rec.ID, err)}
	}
	e.mon.chatSuccess()
	return ref, rec, nil
}

// SyncNow runs a full sync of the store now (superseding an in-flight one)
// and waits for its result: how many messages it relayed.
func (e *Engine) SyncNow(ctx context.Context, id StoreID) (int, error) {
	sy := e.syncerFor(id)
	if sy == nil {
		return 0, fmt.Errorf("unknown store %q", id)
	}
	done := make(chan syncResult, 1)
	sy.wake(syncRequest{reason: "manual", catchUp: true, done: done})
	select {
	case r := <-done:
		return r.messages, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// retryTransient runs a read once more, at once, after a transient failure:
// the clients already back off between their own HTTP attempts, so this
// only saves a whole sync from one unlucky answer without stacking retries.
func retryTransient(ctx context.Context, read func() error) error {
	var err error
	for i := 0; i < 2; i++ {
		if err = read(); err == nil || Classify(err) != KindTransient || ctx.Err() != nil {
			return err
		}
		var pe *PlatformError
		if errors.As(err, &pe) && pe.NotDelivered {
			return err // the network is down: retrying at once will not help
		}
	}
	return err
}

// syncStoreSafely runs syncStore and turns a panic (a bug, or an adapter
// choking on a malformed answer) into a failed sync, so one bad response
// never stops a store's syncer for good.
func (e *Engine) syncStoreSafely(ctx context.Context, st Store) (n int, err error) {
	defer e.recoverSync(st, "", &err)
	return e.syncStore(ctx, st)
}

// syncConversationSafely does the same for one conversation's goroutine.
func (e *Engine) syncConversationSafely(ctx context.Context, st Store, c Conversation, firstStart bool, since time.Time) (n int, err error) {
	defer e.recoverSync(st, c.ID, &err)
	return e.syncConversation(ctx, st, c, firstStart, since)
}

func (e *Engine) recoverSync(st Store, conv ConversationID, err *error) {
	if r := recover(); r != nil {
		e.log.Error("sync panicked; the store keeps syncing", "store", st.ID, "conversation", conv, "panic", r, "stack", string(debug.Stack()))
		*err = fmt.Errorf("internal error during sync of store %s: %v", st.ID, r)
	}
}
