package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// EngineConfig holds the engine's timings and limits. Zero fields take the
// defaults of DefaultEngineConfig.
type EngineConfig struct {
	// PollInterval is how often each store is polled; PollJitter spreads polls
	// by up to that fraction of the interval.
	PollInterval time.Duration
	PollJitter   float64
	// FailureThreshold is how many failed syncs in a row make a store "down".
	FailureThreshold int
	// Debounce is how long success must hold before a catch-up starts.
	Debounce time.Duration
	// ProbeInterval is the wait between probes of a down store during its
	// first ProbeFastFor; after that the wait doubles up to ProbeBackoffMax.
	ProbeInterval time.Duration
	ProbeFastFor  time.Duration
	// ProbeBackoffMax caps the wait between probes while a store is down.
	ProbeBackoffMax time.Duration
	// ProbeTimeout bounds one probe (made without the client's retries).
	ProbeTimeout time.Duration
	// HealthInterval is how often a push-driven store (Lazada) is checked
	// with its platform's cheap health call; ImportDelay is how long after
	// a push-driven store is added or authorized its one-off history import
	// runs (the platform copies the history first); PushSilence is how long
	// after a reply was sent without any push since such a store is flagged.
	HealthInterval time.Duration
	ImportDelay    time.Duration
	PushSilence    time.Duration
	// AuthRetry is how often a store whose tokens the marketplace refuses
	// is tried again without an admin's action (each try is one refused
	// refresh); new tokens saved by an authorization end the wait at once.
	AuthRetry time.Duration
	// ImportWindow bounds what a first start imports: unanswered conversations
	// whose last buyer message is younger than this.
	ImportWindow time.Duration
	// HistoryLimit is how many recent messages a newly opened thread gets.
	HistoryLimit int
	// CursorOverlap re-lists conversations this far before the cursor, so
	// marketplace clock jitter loses nothing (message IDs de-duplicate).
	CursorOverlap time.Duration
	// SyncConcurrency bounds conversations synced at once per store.
	SyncConcurrency int
	// SyncTimeout bounds one sync of one store.
	SyncTimeout time.Duration
	// NotePrefix keeps an agent's thread message internal.
	NotePrefix string
	// SendAttempts bounds automatic attempts of one reply; SendBackoff is the
	// first wait, doubling up to SendBackoffMax.
	SendAttempts   int
	SendBackoff    time.Duration
	SendBackoffMax time.Duration
	// SendWorkers is how many replies are sent at once.
	SendWorkers int
	// ReconcileWindow is how many recent messages are checked for a reply
	// whose outcome is unknown before it is sent again.
	ReconcileWindow int
	// SendTimeout is each send attempt's deadline: the client gives up then.
	// ReconcileMargin is how long after that deadline the marketplace may
	// still apply a request it received: a reply whose outcome is unknown
	// is looked for, and sent again if missing, only after both.
	SendTimeout     time.Duration
	ReconcileMargin time.Duration
	// ShutdownGrace lets in-flight sends finish on stop.
	ShutdownGrace time.Duration
	// ResumedAfter is how quiet a conversation must have been for a new buyer
	// message to be surfaced as "resumed".
	ResumedAfter time.Duration
	// PostConcurrency is how many conversations of one chat destination are
	// posted at once; PostBatch the most pending messages of a conversation
	// handed to the surface in one call (it combines them into as few posts
	// as its limits allow).
	PostConcurrency int
	PostBatch       int
	// PostBackoff is the first wait after a failed post, doubling up to
	// PostBackoffMax.
	PostBackoff    time.Duration
	PostBackoffMax time.Duration
	// BacklogRescan is how often the inbound backlog is read again from
	// state (it is also read at start), so nothing recorded is left behind.
	BacklogRescan time.Duration
}

// DefaultEngineConfig returns the defaults.
func DefaultEngineConfig() EngineConfig {
	return EngineConfig{
		PollInterval:     30 * time.Second,
		PollJitter:       0.1,
		FailureThreshold: 3,
		Debounce:         3 * time.Second,
		ProbeInterval:    time.Second,
		ProbeFastFor:     2 * time.Minute,
		ProbeBackoffMax:  2 * time.Minute,
		ProbeTimeout:     5 * time.Second,
		AuthRetry:        6 * time.Hour,
		HealthInterval:   time.Minute,
		ImportDelay:      12 * time.Minute,
		PushSilence:      10 * time.Minute,
		ImportWindow:     24 * time.Hour,
		HistoryLimit:     20,
		CursorOverlap:    30 * time.Second,
		SyncConcurrency:  4,
		SyncTimeout:      2 * time.Minute,
		NotePrefix:       "note:",
		SendAttempts:     6,
		SendBackoff:      2 * time.Second,
		SendBackoffMax:   2 * time.Minute,
		SendWorkers:      4,
		ReconcileWindow:  30,
		SendTimeout:      20 * time.Second,
		ReconcileMargin:  30 * time.Second,
		ShutdownGrace:    10 * time.Second,
		ResumedAfter:     24 * time.Hour,
		PostConcurrency:  4,
		PostBatch:        50,
		PostBackoff:      time.Second,
		PostBackoffMax:   time.Minute,
		BacklogRescan:    time.Minute,
	}
}

func (c EngineConfig) withDefaults() EngineConfig {
	d := DefaultEngineConfig()
	if c.PollInterval <= 0 {
		c.PollInterval = d.PollInterval
	}
	if c.PollJitter < 0 || c.PollJitter >= 1 {
		c.PollJitter = d.PollJitter
	}
	if c.FailureThreshold <= 0 {
		c.FailureThreshold = d.FailureThreshold
	}
	if c.Debounce <= 0 {
		c.Debounce = d.Debounce
	}
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = d.ProbeInterval
	}
	if c.ProbeFastFor <= 0 {
		c.ProbeFastFor = d.ProbeFastFor
	}
	if c.ProbeBackoffMax <= 0 {
		c.ProbeBackoffMax = d.ProbeBackoffMax
	}
	if c.ProbeBackoffMax < c.ProbeInterval {
		c.ProbeBackoffMax = c.ProbeInterval
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = d.ProbeTimeout
	}
	if c.AuthRetry <= 0 {
		c.AuthRetry = d.AuthRetry
	}
	if c.HealthInterval <= 0 {
		c.HealthInterval = d.HealthInterval
	}
	if c.ImportDelay <= 0 {
		c.ImportDelay = d.ImportDelay
	}
	if c.PushSilence <= 0 {
		c.PushSilence = d.PushSilence
	}
	if c.ImportWindow <= 0 {
		c.ImportWindow = d.ImportWindow
	}
	if c.HistoryLimit <= 0 {
		c.HistoryLimit = d.HistoryLimit
	}
	if c.CursorOverlap <= 0 {
		c.CursorOverlap = d.CursorOverlap
	}
	if c.SyncConcurrency <= 0 {
		c.SyncConcurrency = d.SyncConcurrency
	}
	if c.SyncTimeout <= 0 {
		c.SyncTimeout = d.SyncTimeout
	}
	if c.NotePrefix == "" {
		c.NotePrefix = d.NotePrefix
	}
	if c.SendAttempts <= 0 {
		c.SendAttempts = d.SendAttempts
	}
	if c.SendBackoff <= 0 {
		c.SendBackoff = d.SendBackoff
	}
	if c.SendBackoffMax <= 0 {
		c.SendBackoffMax = d.SendBackoffMax
	}
	if c.SendWorkers <= 0 {
		c.SendWorkers = d.SendWorkers
	}
	if c.ReconcileWindow <= 0 {
		c.ReconcileWindow = d.ReconcileWindow
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = d.SendTimeout
	}
	if c.ReconcileMargin <= 0 {
		c.ReconcileMargin = d.ReconcileMargin
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = d.ShutdownGrace
	}
	if c.ResumedAfter <= 0 {
		c.ResumedAfter = d.ResumedAfter
	}
	if c.PostConcurrency <= 0 {
		c.PostConcurrency = d.PostConcurrency
	}
	if c.PostBatch <= 0 {
		c.PostBatch = d.PostBatch
	}
	if c.PostBackoff <= 0 {
		c.PostBackoff = d.PostBackoff
	}
	if c.PostBackoffMax <= 0 {
		c.PostBackoffMax = d.PostBackoffMax
	}
	if c.BacklogRescan <= 0 {
		c.BacklogRescan = d.BacklogRescan
	}
	return c
}

// EngineDeps are the ports and helpers the engine runs on.
type EngineDeps struct {
	State        State
	Chat         Chat
	Marketplaces []Marketplace
	Stores       []Store
	Clock        Clock
	Logger       *slog.Logger
	// Hints may be nil when no marketplace pushes.
	Hints *Hints
	// Pushes, when set, delivers messages that pushes carry (Lazada,
	// TikTok Shop webhooks); the engine attaches to it while it runs.
	Pushes *Pushes
	// StoreLoader, when set, enables `stores refresh`: it reads the store
	// list again (cmd reads the config file), and the engine applies it
	// without a restart.
	StoreLoader StoreLoader
}

// Engine is the bridge: it wires the components, each built with what it
// may touch — one syncer per store (fetch and record), the inbound queue,
// the relay (one poster per chat destination), the reply outbox, the
// connectivity monitor and the command dispatcher — and implements
// ChatHandler. It holds the store list; the components hold no pointer back
// to it. Features built on it in packages of their own join through
// Register.
type Engine struct {
	cfg        EngineConfig
	state      State
	chat       Chat
	clock      Clock
	log        *slog.Logger
	hints      *Hints
	pushes     *Pushes
	loadStores StoreLoader
	mps        map[Platform]Marketplace
	cmds       *Dispatcher
	mon        *Monitor
	outbox     *Outbox
	queue      *Queue
	relay      *Relay
	headers    *headerUpdater
	locks      *convLocks

	mu      sync.RWMutex
	stores  map[StoreID]Store
	order   []StoreID
	syncers map[StoreID]*syncer

	// expander and authorization are the registered features' (Register),
	// nil without them.
	expander      ReplyExpander
	authorization StoreAuthorization

	// lastRescan is when the relay last read the backlog from state.
	rescanMu   sync.Mutex
	lastRescan time.Time

	runCtx     context.Context
	cancel     context.CancelFunc
	hardCancel context.CancelFunc
	wg         sync.WaitGroup
	started    bool
}

var _ ChatHandler = (*Engine)(nil)

// NewEngine builds an engine; nothing runs until Start.
func NewEngine(cfg EngineConfig, deps EngineDeps) *Engine {
	cfg = cfg.withDefaults()
	if deps.Clock == nil {
		deps.Clock = SystemClock{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		cfg:        cfg,
		state:      deps.State,
		chat:       deps.Chat,
		clock:      deps.Clock,
		log:        deps.Logger,
		hints:      deps.Hints,
		pushes:     deps.Pushes,
		loadStores: deps.StoreLoader,
		mps:        map[Platform]Marketplace{},
		stores:     map[StoreID]Store{},
		syncers:    map[StoreID]*syncer{},
		locks:      &convLocks{},
	}
	for _, m := range deps.Marketplaces {
		e.mps[m.Platform()] = m
	}
	for _, s := range deps.Stores {
		e.stores[s.ID] = s
		e.order = append(e.order, s.ID)
	}
	e.mon = newMonitor(cfg, MonitorDeps{State: deps.State, Alerts: deps.Chat, Clock: deps.Clock, Logger: deps.Logger, Label: e.storeLabel})
	e.headers = newHeaderUpdater(deps.Chat, deps.Logger)
	e.relay = newRelay(RelayConfig{
		Concurrency: cfg.PostConcurrency, Batch: cfg.PostBatch,
		Backoff: cfg.PostBackoff, BackoffMax: cfg.PostBackoffMax,
	}, RelayDeps{State: deps.State, Chat: deps.Chat, Stores: e.Store, Headers: e.headers, Monitor: e.mon, Clock: deps.Clock, Logger: deps.Logger})
	e.outbox = newOutbox(cfg, OutboxDeps{
		State: deps.State, Chat: deps.Chat, Clock: deps.Clock, Logger: deps.Logger, Stores: e.Store,
		Marketplaces: e.marketplace, Locks: e.locks, Headers: e.headers, Monitor: e.mon, AuthRefused: e.authRefused,
		Sent: e.noteSent,
	})
	e.queue = newQueue(QueueConfig{ImportWindow: cfg.ImportWindow, ResumedAfter: cfg.ResumedAfter}, QueueDeps{
		State: deps.State, Clock: deps.Clock, Logger: deps.Logger, Locks: e.locks, Echoes: e.outbox, Notify: e.relay.notify,
	})
	surface := ""
	if deps.Chat != nil {
		surface = deps.Chat.Name()
	}
	e.cmds = newDispatcher(deps.State, surface, deps.Clock, deps.Logger)
	if err := e.cmds.register(e.commands()...); err != nil {
		panic(err) // the engine's own command names are distinct
	}
	return e
}

// authRefused tells the store authorization, if one is registered, that a
// marketplace refused the store's tokens.
func (e *Engine) authRefused(ctx context.Context, s Store, err error) {
	if e.authorization != nil {
		e.authorization.TokensRefused(ctx, s, err)
	}
}

// authWorks tells the store authorization, if one is registered, that the
// store's tokens work again.
func (e *Engine) authWorks(ctx context.Context, s Store) {
	if e.authorization != nil {
		e.authorization.TokensWork(ctx, s)
	}
}

func (e *Engine) storeLabel(id StoreID) (string, bool) {
	s, ok := e.Store(id)
	if !ok {
		return "", false
	}
	return s.Label(), true
}

// Commands returns the engine's command dispatcher.
func (e *Engine) Commands() *Dispatcher { return e.cmds }

// Monitor returns the connectivity monitor.
func (e *Engine) Monitor() *Monitor { return e.mon }

// Config returns the engine's effective configuration.
func (e *Engine) Config() EngineConfig { return e.cfg }

// Start validates the wiring and starts the syncers, the outbox and the
// surface's listener. It returns at once.
func (e *Engine) Start(ctx context.Context) error {
	if e.state == nil || e.chat == nil {
		return errors.New("bridge: engine needs a State and a Chat")
	}
	for _, id := range e.order {
		s := e.stores[id]
		if _, ok := e.mps[s.Platform]; !ok {
			return fmt.Errorf("bridge: store %s: no marketplace client for platform %q", id, s.Platform)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.runCtx, e.cancel = runCtx, cancel
	// Work that a stop must not cut in half (a post and its record, an
	// alert) runs under hard, which ends only when the stop's grace is over.
	hard, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	e.hardCancel = hardCancel
	e.mon.setBase(hard)
	e.recordStart(ctx)
	e.restoreAuth(ctx)
	if err := e.mon.restore(ctx); err != nil {
		e.log.Warn("could not restore open incidents", "err", err)
	}
	if err := e.outbox.start(runCtx); err != nil {
		cancel()
		return fmt.Errorf("bridge: resume outbox: %w", err)
	}
	e.relay.start(runCtx, hard)
	e.lastRescan = e.clock.Now()
	e.headers.start(runCtx)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.listen(runCtx)
	}()
	e.mu.Lock()
	for _, id := range e.order {
		e.startSyncerLocked(runCtx, e.stores[id])
	}
	e.started = true
	e.mu.Unlock()
	if e.hints != nil {
		e.wg.Add(1)
		go e.routeHints(runCtx)
	}
	if e.pushes != nil {
		e.pushes.attach(e)
	}
	e.log.Info("bridge started", "stores", len(e.order), "surface", e.chat.Name())
	return nil
}

// listen runs the surface's listener and starts it again, with backoff,
// if it ever returns while the bridge runs: agents' replies must not stop
// arriving because one connection gave up.
func (e *Engine) listen(ctx context.Context) {
	backoff := time.Second
	for {
		err := e.chat.Listen(ctx, e)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("listener returned")
		}
		e.log.Error("chat surface stopped listening; starting it again", "surface", e.chat.Name(), "in", backoff, "err", err)
		e.mon.chatFailure(err)
		if !sleep(ctx, e.clock, backoff) {
			return
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func (e *Engine) startSyncerLocked(ctx context.Context, s Store) {
	sy := newSyncer(syncerDeps{
		cfg: e.cfg, state: e.state, mp: e.mps[s.Platform], queue: e.queue, locks: e.locks, mon: e.mon,
		clock: e.clock, log: e.log, authRefused: e.authRefused, authWorks: e.authWorks, synced: e.maybeRescan,
	}, s)
	e.syncers[s.ID] = sy
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		sy.run(ctx)
	}()
}

// Stop stops polling, lets in-flight sends finish within the grace period
// (a send cut off stays "sending" and is reconciled at the next start), and
// waits for every goroutine.
func (e *Engine) Stop(ctx context.Context) error {
	if e.cancel == nil {
		return nil
	}
	if e.pushes != nil {
		e.pushes.detach()
	}
	start := time.Now()
	e.outbox.stop(ctx, e.cfg.ShutdownGrace)
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); e.relay.wait(); e.headers.wait(); close(done) }()
	// Posts and alerts in flight may finish within what is left of the
	// grace; then they are cut (a cut post is checked at the next start).
	grace := time.NewTimer(max(e.cfg.ShutdownGrace-time.Since(start), 0))
	defer grace.Stop()
	defer e.hardCancel()
	select {
	case <-done:
		return nil
	case <-grace.C:
		e.hardCancel()
	case <-ctx.Done():
		e.hardCancel()
		return fmt.Errorf("bridge: stop: %w", ctx.Err())
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bridge: stop: %w", ctx.Err())
	}
}

func (e *Engine) routeHints(ctx context.Context) {
	defer e.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.hints.Wake():
		}
		for _, h := range e.hints.Drain() {
			for _, s := range e.storeList() {
				if s.Platform == h.Platform && s.ShopID == h.ShopID {
					e.syncerFor(s.ID).wake(syncRequest{reason: "push"})
				}
			}
		}
	}
}

// Stores returns the configured stores in configuration order.
func (e *Engine) storeList() []Store {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Store, 0, len(e.order))
	for _, id := range e.order {
		out = append(out, e.stores[id])
	}
	return out
}

// Stores returns the configured stores in configuration order.
func (e *Engine) Stores() []Store { return e.storeList() }

// Store returns one store by ID.
func (e *Engine) Store(id StoreID) (Store, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.stores[id]
	return s, ok
}

// SetStores replaces the store list (a config reload): new stores start
// syncing, removed ones stop; existing ones keep their state and threads.
func (e *Engine) SetStores(stores []Store) error {
	for _, s := range stores {
		if _, ok := e.mps[s.Platform]; !ok {
			return fmt.Errorf("store %s: no marketplace client for platform %q", s.ID, s.Platform)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	keep := map[StoreID]bool{}
	e.order = e.order[:0]
	for _, s := range stores {
		keep[s.ID] = true
		e.order = append(e.order, s.ID)
		old, had := e.stores[s.ID]
		e.stores[s.ID] = s
		if !e.started {
			continue
		}
		if !had {
			e.startSyncerLocked(e.runCtx, s)
		} else if old != s {
			e.syncers[s.ID].setStore(s)
		}
	}
	for id, sy := range e.syncers {
		if !keep[id] {
			sy.stop()
			delete(e.syncers, id)
			delete(e.stores, id)
		}
	}
	return nil
}

func (e *Engine) syncerFor(id StoreID) *syncer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if sy, ok := e.syncers[id]; ok {
		return sy
	}
	return nil
}

func (e *Engine) marketplace(p Platform) Marketplace { return e.mps[p] }

// maybeRescan reads the inbound backlog again when BacklogRescan has passed
// since the last read. The syncers call it after each sync, so the backlog
// is re-read on the polls' rhythm without a timer of its own.
func (e *Engine) maybeRescan(ctx context.Context) {
	now := e.clock.Now()
	e.rescanMu.Lock()
	due := now.Sub(e.lastRescan) >= e.cfg.BacklogRescan
	if due {
		e.lastRescan = now
	}
	e.rescanMu.Unlock()
	if due {
		e.relay.rescan(ctx)
	}
}

// RecordMessages records messages that a marketplace push (or an import)
// carried for a conversation of a store, exactly as a sync would: a repeat
// is a no-op, a recall updates the message. It returns once they are stored
// durably (a push may then be acknowledged) and how many will be posted.
func (e *Engine) RecordMessages(ctx context.Context, id StoreID, c Conversation, msgs []Message) (int, error) {
	st, ok := e.Store(id)
	if !ok {
		return 0, fmt.Errorf("unknown store %q", id)
	}
	return e.queue.Record(ctx, st, c, msgs)
}

// WaitPosted waits until the relay has posted everything it can post now
// (work held back by a backoff does not count), or ctx ends.
func (e *Engine) WaitPosted(ctx context.Context) error { return e.relay.WaitIdle(ctx) }

// Backlog is what waits to be posted, per chat destination.
func (e *Engine) Backlog(ctx context.Context) ([]DestinationBacklog, error) {
	return e.relay.Backlog(ctx)
}

// RetryCatchUp runs the catch-up again for stores whose catch-up failed
// (all of the open incident's stores, or only store if given).
func (e *Engine) RetryCatchUp(ctx context.Context, store StoreID) (int, error) {
	ids := e.mon.failedCatchUps(store)
	if len(ids) == 0 {
		if store == "" {
			return 0, fmt.Errorf("no failed sync to retry")
		}
		ids = []StoreID{store}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	total := 0
	var firstErr error
	for _, id := range ids {
		n, err := e.SyncNow(ctx, id)
		total += n
		// A successful sync completes the store's catch-up through
		// storeSuccess; a failed one leaves the alert offering Retry.
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("store %s: %w", id, err)
		}
	}
	return total, firstErr
}

// SyncNow runs a full sync of the store now (superseding an in-flight one)
// and waits for its result: how many new messages it recorded to be posted.
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
