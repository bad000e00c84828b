package engine

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/monitor"
)

// Relay posts the inbound queue into the chat: one poster per destination (a
// Slack channel, a Telegram chat), each draining the conversations routed to
// it. The queue tells it which conversations have something to post; at
// start, and every RelayConfig.Rescan, it also reads the backlog from state,
// so nothing recorded is ever left behind.
type Relay struct {
	cfg     RelayConfig
	state   relayState
	chat    bridge.Chat
	router  bridge.Router
	stores  func(bridge.StoreID) (bridge.Store, bool)
	headers *headerUpdater
	mon     *monitor.Monitor
	clock   bridge.Clock
	log     *slog.Logger

	mu      sync.Mutex
	posters map[string]*poster
	ctx     context.Context
	// hard ends deliveries in flight when a stop's grace has passed.
	hard context.Context
	// closed: wait was called; no poster starts any more.
	closed  bool
	started time.Time
	// owns and acquired: with replicas, this one posts the conversations of
	// the stores it holds, each since it took the store over (rows recorded
	// before are checked in the thread first, as after a restart).
	owns     func(bridge.StoreID) bool
	acquired map[bridge.StoreID]time.Time
	wg       sync.WaitGroup
	// posted counts messages posted per store since start, for metrics.
	posted map[bridge.StoreID]uint64
	// changed is closed and replaced when a poster becomes idle.
	changed chan struct{}

	book *postBook
}

// RelayConfig holds the posters' limits and timings.
type RelayConfig struct {
	// Concurrency is how many conversations of one destination are posted
	// at once (the surface paces the destination's calls).
	Concurrency int
	// Batch is the most pending messages of a conversation handed to the
	// surface in one call; it combines them into as few posts as it can.
	Batch int
	// Backoff is the first wait after a failed post, doubling up to BackoffMax.
	Backoff    time.Duration
	BackoffMax time.Duration
}

// relayState is the part of State the relay uses.
type relayState interface {
	bridge.ConversationStore
	bridge.InboundQueue
}

// RelayDeps are what the relay runs on.
type RelayDeps struct {
	State   relayState
	Chat    bridge.Chat
	Stores  func(bridge.StoreID) (bridge.Store, bool)
	Headers *headerUpdater
	Monitor *monitor.Monitor
	Clock   bridge.Clock
	Logger  *slog.Logger
	// Owns says whether this replica posts a store's conversations (it
	// holds the store's lease); nil: every store.
	Owns func(bridge.StoreID) bool
}

func newRelay(cfg RelayConfig, d RelayDeps) *Relay {
	r := &Relay{
		cfg: cfg, state: d.State, chat: d.Chat, stores: d.Stores, headers: d.Headers, mon: d.Monitor,
		clock: d.Clock, log: d.Logger, posters: map[string]*poster{}, posted: map[bridge.StoreID]uint64{},
		changed: make(chan struct{}), book: newPostBook(), owns: d.Owns, acquired: map[bridge.StoreID]time.Time{},
	}
	r.router, _ = d.Chat.(bridge.Router)
	return r
}

// start reads the backlog and starts its posters. Later rescans are
// driven by the engine (after syncs), so the relay holds no timer of its own.
func (r *Relay) start(ctx, hard context.Context) {
	r.mu.Lock()
	r.ctx, r.hard = ctx, hard
	r.started = r.clock.Now()
	r.mu.Unlock()
	r.rescan(ctx)
}

// wait waits for the posters to finish after ctx ended; a post in flight
// completes and is recorded first. No poster starts once it is called.
func (r *Relay) wait() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
}

// rescan hands every conversation with pending messages to its poster.
func (r *Relay) rescan(ctx context.Context) {
	backlog, err := r.state.InboundBacklog(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("could not read the inbound backlog; will try again", "err", err)
			r.mon.StateFailure(stateErr(false, "read the inbound backlog", err))
		}
		return
	}
	for _, b := range backlog {
		st, ok := r.stores(b.Store)
		if !ok {
			continue // a store no longer configured keeps its rows
		}
		r.enqueue(st, b.Conversation, b.Thread)
	}
}

// notify is the queue's hook: rec's conversation has messages to post.
func (r *Relay) notify(st bridge.Store, rec bridge.ConversationRecord) {
	r.enqueue(st, rec.ID, rec.Thread)
}

func (r *Relay) enqueue(st bridge.Store, conv bridge.ConversationID, thread bridge.ThreadRef) {
	k := convKey{st.ID, conv}
	if t, ok := r.book.openedThread(k); ok && thread.IsZero() {
		thread = t
	}
	dest := r.destination(st, thread)
	r.mu.Lock()
	if r.ctx == nil || r.ctx.Err() != nil || r.closed {
		r.mu.Unlock()
		return
	}
	p := r.posters[dest]
	if p == nil {
		p = newPoster(r, dest)
		r.posters[dest] = p
		p.start(r.ctx, &r.wg)
	}
	r.mu.Unlock()
	p.add(k, !thread.IsZero())
}

// destination is where a conversation's messages go: its thread's channel,
// or where the surface opens the store's new threads.
func (r *Relay) destination(st bridge.Store, thread bridge.ThreadRef) string {
	if !thread.IsZero() {
		return thread.Channel
	}
	if r.router != nil {
		return r.router.Destination(st)
	}
	return st.Channel
}

func (r *Relay) countPosted(store bridge.StoreID, n int) {
	r.mu.Lock()
	r.posted[store] += uint64(n)
	r.mu.Unlock()
}

func (r *Relay) postedCount(store bridge.StoreID) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posted[store]
}

func (r *Relay) idleChanged() {
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// idle reports whether no poster has work it could do now (work waiting
// for a backoff or a paused destination does not count).
func (r *Relay) idle() (bool, <-chan struct{}) {
	r.mu.Lock()
	ch := r.changed
	ps := make([]*poster, 0, len(r.posters))
	for _, p := range r.posters {
		ps = append(ps, p)
	}
	r.mu.Unlock()
	for _, p := range ps {
		if !p.idle() {
			return false, ch
		}
	}
	return true, ch
}

// WaitIdle waits until the posters have posted everything they can post
// now, or ctx ends. Tests and benchmarks use it after a sync.
func (r *Relay) WaitIdle(ctx context.Context) error {
	for {
		ok, ch := r.idle()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// DestinationBacklog is what waits to be posted into one destination.
type DestinationBacklog struct {
	Destination string
	Pending     int
	// Conversations is how many conversations have pending messages.
	Conversations int
	// Oldest is when the oldest pending message was recorded (zero: none).
	Oldest time.Time
}

// Backlog reads the inbound backlog from state, per destination.
func (r *Relay) Backlog(ctx context.Context) ([]DestinationBacklog, error) {
	rows, err := r.state.InboundBacklog(ctx)
	if err != nil {
		return nil, stateErr(false, "read the inbound backlog", err)
	}
	by := map[string]*DestinationBacklog{}
	for _, b := range rows {
		dest := string(b.Store)
		if st, ok := r.stores(b.Store); ok {
			dest = r.destination(st, b.Thread)
		}
		d := by[dest]
		if d == nil {
			d = &DestinationBacklog{Destination: dest}
			by[dest] = d
		}
		d.Pending += b.Pending
		d.Conversations++
		if d.Oldest.IsZero() || b.Oldest.Before(d.Oldest) {
			d.Oldest = b.Oldest
		}
	}
	out := make([]DestinationBacklog, 0, len(by))
	for _, d := range by {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out, nil
}

// postBook is what the relay remembers between attempts, so that a failed
// state write or an unknown outcome never leads to posting twice: threads
// opened whose mapping is not recorded yet, messages posted whose "posted"
// is not recorded yet, conversations whose last post had an unknown outcome
// and conversations whose thread was checked for posts of a previous run.
type postBook struct {
	mu         sync.Mutex
	threads    map[convKey]bridge.ThreadRef
	unrecorded map[msgKey]bridge.ChatMessageRef
	uncertain  map[convKey]bool
	checked    map[convKey]bool
}

// msgKey names one message of one conversation.
type msgKey struct {
	convKey
	id bridge.MessageID
}

func newPostBook() *postBook {
	return &postBook{threads: map[convKey]bridge.ThreadRef{}, unrecorded: map[msgKey]bridge.ChatMessageRef{}, uncertain: map[convKey]bool{}, checked: map[convKey]bool{}}
}

func (b *postBook) openedThread(k convKey) (bridge.ThreadRef, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.threads[k]
	return t, ok
}

func (b *postBook) setOpened(k convKey, t bridge.ThreadRef) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.IsZero() {
		delete(b.threads, k)
	} else {
		b.threads[k] = t
	}
}

func (b *postBook) posted(k msgKey) (bridge.ChatMessageRef, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ref, ok := b.unrecorded[k]
	return ref, ok
}

func (b *postBook) setPosted(k msgKey, ref bridge.ChatMessageRef) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unrecorded[k] = ref
}

func (b *postBook) recorded(ks []msgKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range ks {
		delete(b.unrecorded, k)
	}
}

func (b *postBook) setUncertain(k convKey, v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v {
		b.uncertain[k] = true
	} else {
		delete(b.uncertain, k)
	}
}

// needsCheck reports whether k's thread must be searched for posts before
// posting: after an unknown outcome, or once after a start for messages
// recorded before it (a previous run may have posted them and died before
// recording it).
func (b *postBook) needsCheck(k convKey, recordedBeforeStart bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.uncertain[k] || (recordedBeforeStart && !b.checked[k])
}

func (b *postBook) setChecked(k convKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.checked[k] = true
	delete(b.uncertain, k)
}

func (r *Relay) hardCtx() context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hard == nil {
		return context.Background()
	}
	return r.hard
}

// ownsStore reports whether this replica posts the store's conversations.
func (r *Relay) ownsStore(id bridge.StoreID) bool { return r.owns == nil || r.owns(id) }

// storeAcquired notes that this replica took the store over now: rows
// recorded before may have been posted by the replica that held it, so
// its conversations' threads are searched before posting them (where the
// surface can), and its backlog is read.
func (r *Relay) storeAcquired(ctx context.Context, id bridge.StoreID) {
	r.mu.Lock()
	r.acquired[id] = r.clock.Now()
	r.mu.Unlock()
	r.book.forgetStore(id)
	r.rescan(ctx)
}

// checkSince is when rows of the store start to be this replica's own:
// rows recorded up to then may have been posted by another run.
func (r *Relay) checkSince(id bridge.StoreID) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.acquired[id]; t.After(r.started) {
		return t
	}
	return r.started
}

// forgetStore forgets which of the store's conversations were searched for
// earlier posts: after a takeover they are searched again.
func (b *postBook) forgetStore(id bridge.StoreID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.checked {
		if k.store == id {
			delete(b.checked, k)
		}
	}
}
