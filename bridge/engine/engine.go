package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/lease"
	"github.com/shopbridge/shopbridge/bridge/monitor"
)

// Deps are the ports and helpers the engine runs on.
type Deps struct {
	State        bridge.State
	Chat         bridge.Chat
	Marketplaces []bridge.Marketplace
	Stores       []bridge.Store
	Clock        bridge.Clock
	Logger       *slog.Logger
	// Hints may be nil when no marketplace pushes.
	Hints *bridge.Hints
	// Pushes, when set, delivers messages that pushes carry (Lazada,
	// TikTok Shop webhooks); the engine attaches to it while it runs.
	Pushes *bridge.Pushes
	// StoreLoader, when set, enables `stores refresh`: it reads the store
	// list again (cmd reads the config file), and the engine applies it
	// without a restart.
	StoreLoader StoreLoader
	// Leases, when set, shares the work with the other replicas of the
	// state database (replicas.go); ReplicaID names this one (default: the
	// host name and a random suffix); Singletons are the lease names of the
	// jobs outside the engine that must run once (lease.Report,
	// lease.TelegramUpdates, lease.Alerts), which Holds answers for.
	Leases     bridge.Leases
	ReplicaID  string
	Singletons []string
}

// Engine is the bridge: it wires the components, each built with what it
// may touch — one syncer per store (fetch and record), the inbound queue,
// the relay (one poster per chat destination), the reply outbox, the
// connectivity monitor and the command dispatcher — and implements
// ChatHandler. It holds the store list; the components hold no pointer back
// to it. Features built on it in packages of their own join through
// Register.
type Engine struct {
	cfg        Config
	state      bridge.State
	chat       bridge.Chat
	clock      bridge.Clock
	log        *slog.Logger
	hints      *bridge.Hints
	pushes     *bridge.Pushes
	loadStores StoreLoader
	mps        map[bridge.Platform]bridge.Marketplace
	cmds       *Dispatcher
	mon        *monitor.Monitor
	outbox     *Outbox
	queue      *Queue
	relay      *Relay
	headers    *headerUpdater
	locks      *convLocks
	// coord shares the work with other replicas; nil when alone.
	coord      *lease.Coordinator
	coordErr   error
	leases     bridge.Leases
	singletons []string

	mu      sync.RWMutex
	stores  map[bridge.StoreID]bridge.Store
	order   []bridge.StoreID
	syncers map[bridge.StoreID]*syncer

	// expander and authorization are the registered features' (Register),
	// nil without them.
	expander      bridge.ReplyExpander
	authorization bridge.StoreAuthorization

	// lastRescan is when the relay last read the backlog from state.
	rescanMu   sync.Mutex
	lastRescan time.Time

	runCtx     context.Context
	cancel     context.CancelFunc
	hardCancel context.CancelFunc
	wg         sync.WaitGroup
	started    bool
}

var _ bridge.ChatHandler = (*Engine)(nil)

// New builds an engine; nothing runs until Start.
func New(cfg Config, deps Deps) *Engine {
	cfg = cfg.withDefaults()
	if deps.Clock == nil {
		deps.Clock = bridge.SystemClock{}
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
		mps:        map[bridge.Platform]bridge.Marketplace{},
		stores:     map[bridge.StoreID]bridge.Store{},
		syncers:    map[bridge.StoreID]*syncer{},
		locks:      &convLocks{},
		singletons: append([]string(nil), deps.Singletons...),
	}
	if deps.Leases != nil && !slices.Contains(e.singletons, lease.Alerts) {
		e.singletons = append(e.singletons, lease.Alerts)
	}
	for _, m := range deps.Marketplaces {
		e.mps[m.Platform()] = m
	}
	for _, s := range deps.Stores {
		e.stores[s.ID] = s
		e.order = append(e.order, s.ID)
	}
	e.mon = monitor.New(cfg.monitorConfig(), monitor.Deps{State: deps.State, Alerts: deps.Chat, Clock: deps.Clock, Logger: deps.Logger, Label: e.storeLabel,
		Alerting: e.alertingFunc(deps),
		PushDriven: func(id bridge.StoreID) bool {
			st, ok := e.Store(id)
			if !ok {
				return false
			}
			_, pd := e.mps[st.Platform].(bridge.PushDriven)
			return pd
		}})
	e.headers = newHeaderUpdater(deps.Chat, deps.Logger)
	e.relay = newRelay(RelayConfig{
		Concurrency: cfg.PostConcurrency, Batch: cfg.PostBatch,
		Backoff: cfg.PostBackoff, BackoffMax: cfg.PostBackoffMax,
	}, RelayDeps{State: deps.State, Chat: deps.Chat, Stores: e.Store, Headers: e.headers, Monitor: e.mon, Clock: deps.Clock, Logger: deps.Logger, Owns: e.ownsFunc(deps)})
	e.outbox = newOutbox(cfg, OutboxDeps{
		State: deps.State, Chat: deps.Chat, Clock: deps.Clock, Logger: deps.Logger, Stores: e.Store,
		Marketplaces: e.marketplace, Locks: e.locks, Headers: e.headers, Monitor: e.mon, AuthRefused: e.authRefused,
		Sent: e.noteSent, Owns: e.ownsFunc(deps),
	})
	e.queue = newQueue(QueueConfig{ImportWindow: cfg.ImportWindow, ResumedAfter: cfg.ResumedAfter}, QueueDeps{
		State: deps.State, Clock: deps.Clock, Logger: deps.Logger, Locks: e.locks, Echoes: e.outbox, Notify: e.relay.notify,
	})
	surface := ""
	if deps.Chat != nil {
		surface = deps.Chat.Name()
	}
	e.coord, e.coordErr = e.newCoordinator(deps)
	e.cmds = newDispatcher(deps.State, surface, deps.Clock, deps.Logger)
	if err := e.cmds.register(e.commands()...); err != nil {
		panic(err) // the engine's own command names are distinct
	}
	return e
}

// authRefused tells the store authorization, if one is registered, that a
// marketplace refused the store's tokens.
func (e *Engine) authRefused(ctx context.Context, s bridge.Store, err error) {
	if e.authorization != nil {
		e.authorization.TokensRefused(ctx, s, err)
	}
}

// authWorks tells the store authorization, if one is registered, that the
// store's tokens work again.
func (e *Engine) authWorks(ctx context.Context, s bridge.Store) {
	if e.authorization != nil {
		e.authorization.TokensWork(ctx, s)
	}
}

func (e *Engine) storeLabel(id bridge.StoreID) (string, bool) {
	s, ok := e.Store(id)
	if !ok {
		return "", false
	}
	return s.Label(), true
}

// Register adds a feature to the engine, before Start: its commands, and
// its reply expander or store authorization if it has one. A command name
// the engine has already, or a second expander or authorization, is
// refused, and nothing of the feature is added.
func (e *Engine) Register(f bridge.Feature) error {
	e.mu.Lock()
	started := e.started
	e.mu.Unlock()
	if started {
		return errors.New("bridge: register a feature before the engine starts")
	}
	x, expands := f.(bridge.ReplyExpander)
	if expands && e.expander != nil {
		return fmt.Errorf("bridge: a reply expander is registered already")
	}
	a, authorizes := f.(bridge.StoreAuthorization)
	if authorizes && e.authorization != nil {
		return fmt.Errorf("bridge: a store authorization is registered already")
	}
	if err := e.cmds.register(f.Commands()...); err != nil {
		return err
	}
	if expands {
		e.expander = x
	}
	if authorizes {
		e.authorization = a
	}
	return nil
}

// Commands returns the engine's command dispatcher.
func (e *Engine) Commands() *Dispatcher { return e.cmds }

// Monitor returns the connectivity monitor.
func (e *Engine) Monitor() *monitor.Monitor { return e.mon }

// Config returns the engine's effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Start validates the wiring and starts the syncers, the outbox and the
// surface's listener. It returns at once.
func (e *Engine) Start(ctx context.Context) error {
	if e.state == nil || e.chat == nil {
		return errors.New("bridge: engine needs a State and a Chat")
	}
	if e.coordErr != nil {
		return fmt.Errorf("bridge: replicas: %w", e.coordErr)
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
	e.mon.SetBase(hard)
	e.recordStart(ctx)
	e.restoreAuth(ctx)
	if err := e.mon.Restore(ctx); err != nil {
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
	if e.coord == nil {
		for _, id := range e.order {
			e.startSyncerLocked(runCtx, e.stores[id])
		}
	}
	e.started = true
	e.mu.Unlock()
	if e.coord != nil {
		// The stores' syncers start as their leases are taken.
		e.runReplica(runCtx)
	}
	if e.hints != nil {
		e.wg.Add(1)
		go e.routeHints(runCtx)
	}
	if e.pushes != nil {
		e.pushes.Attach(e)
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
		err := e.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errHandedOver) {
			continue
		}
		if err == nil {
			err = errors.New("listener returned")
		}
		e.log.Error("chat surface stopped listening; starting it again", "surface", e.chat.Name(), "in", backoff, "err", err)
		e.mon.ChatFailure(err)
		if !bridge.Sleep(ctx, e.clock, backoff) {
			return
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func (e *Engine) startSyncerLocked(ctx context.Context, s bridge.Store) {
	sy := newSyncer(syncerDeps{
		cfg: e.cfg, state: e.state, mp: e.mps[s.Platform], queue: e.queue, locks: e.locks, mon: e.mon,
		clock: e.clock, log: e.log, authRefused: e.authRefused, authWorks: e.authWorks, synced: e.maybeRescan,
	}, s)
	sctx, cancel := context.WithCancel(ctx)
	sy.cancel = cancel
	e.syncers[s.ID] = sy
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(sy.done)
		defer cancel()
		sy.run(sctx)
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
		e.pushes.Detach()
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
			if _, pd := e.mps[h.Platform].(bridge.PushDriven); pd {
				// Its pushes carry the messages; a hint would only cost a
				// health check.
				continue
			}
			for _, s := range e.storeList() {
				if s.Platform == h.Platform && s.ShopID == h.ShopID {
					if sy := e.syncerFor(s.ID); sy != nil {
						sy.wake(syncRequest{reason: "push"})
					}
				}
			}
		}
	}
}

// Stores returns the configured stores in configuration order.
func (e *Engine) storeList() []bridge.Store {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]bridge.Store, 0, len(e.order))
	for _, id := range e.order {
		out = append(out, e.stores[id])
	}
	return out
}

// Stores returns the configured stores in configuration order.
func (e *Engine) Stores() []bridge.Store { return e.storeList() }

// Store returns one store by ID.
func (e *Engine) Store(id bridge.StoreID) (bridge.Store, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.stores[id]
	return s, ok
}

// SetStores replaces the store list (a config reload): new stores start
// syncing, removed ones stop; existing ones keep their state and threads.
func (e *Engine) SetStores(stores []bridge.Store) error {
	for _, s := range stores {
		if _, ok := e.mps[s.Platform]; !ok {
			return fmt.Errorf("store %s: no marketplace client for platform %q", s.ID, s.Platform)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	keep := map[bridge.StoreID]bool{}
	e.order = e.order[:0]
	for _, s := range stores {
		keep[s.ID] = true
		e.order = append(e.order, s.ID)
		old, had := e.stores[s.ID]
		e.stores[s.ID] = s
		if !e.started {
			continue
		}
		if sy := e.syncers[s.ID]; sy != nil && old != s {
			sy.setStore(s)
		} else if !had && e.coord == nil {
			e.startSyncerLocked(e.runCtx, s)
		}
	}
	for id, sy := range e.syncers {
		if !keep[id] {
			sy.stop()
			delete(e.syncers, id)
		}
	}
	for id := range e.stores {
		if !keep[id] {
			delete(e.stores, id)
		}
	}
	if e.coord != nil {
		// A new store's syncer starts when its lease is taken.
		e.coord.SetNames(e.leaseNamesLocked())
	}
	return nil
}

func (e *Engine) syncerFor(id bridge.StoreID) *syncer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if sy, ok := e.syncers[id]; ok {
		return sy
	}
	return nil
}

func (e *Engine) marketplace(p bridge.Platform) bridge.Marketplace { return e.mps[p] }

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
func (e *Engine) RecordMessages(ctx context.Context, id bridge.StoreID, c bridge.Conversation, msgs []bridge.Message) (int, error) {
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
func (e *Engine) RetryCatchUp(ctx context.Context, store bridge.StoreID) (int, error) {
	ids := e.mon.FailedCatchUps(store)
	if len(ids) == 0 {
		if store == "" {
			return 0, fmt.Errorf("no failed sync to retry")
		}
		ids = []bridge.StoreID{store}
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
func (e *Engine) SyncNow(ctx context.Context, id bridge.StoreID) (int, error) {
	sy := e.syncerFor(id)
	if sy == nil {
		if _, ok := e.Store(id); ok {
			return 0, fmt.Errorf("store %s is synced by another replica", id)
		}
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
