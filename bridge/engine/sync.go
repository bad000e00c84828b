package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/monitor"
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
	// messages is how many new messages the sync recorded to be posted.
	messages int
	err      error
}

// syncState is the part of State a syncer uses.
type syncState interface {
	bridge.StoreStates
	bridge.SyncLog
}

// syncerDeps are what one store's syncer runs on.
type syncerDeps struct {
	cfg   Config
	state syncState
	mp    bridge.Marketplace
	queue *Queue
	locks *convLocks
	mon   *monitor.Monitor
	clock bridge.Clock
	log   *slog.Logger
	// authRefused is told when the marketplace refuses the store's tokens;
	// authWorks when they work again after that.
	authRefused func(ctx context.Context, s bridge.Store, err error)
	authWorks   func(ctx context.Context, s bridge.Store)
	// synced is told after each sync (the relay re-reads its backlog on
	// this rhythm).
	synced func(ctx context.Context)
}

// syncer polls one store: it lists the conversations with activity since
// its cursor, fetches their new messages and records them in the inbound
// queue. It never waits on a chat surface (the relay posts), so polling
// keeps its interval however far behind the chat is. All syncs of a store
// run from its one goroutine; a catch-up or manual retry cancels a
// superseded in-flight sync.
type syncer struct {
	d     syncerDeps
	mu    sync.Mutex
	store bridge.Store
	wakeC chan syncRequest
	quit  chan struct{}
	once  sync.Once
	// cancel ends the syncer's context (its sync in flight too); done is
	// closed when its goroutine has returned.
	cancel context.CancelFunc
	done   chan struct{}

	// running is the cancel func of the in-flight sync.
	running context.CancelFunc
	// importAt is when a push-driven store's history import is due.
	importAt time.Time
	// lastOK and lastDuration describe the last sync.
	lastOK       time.Time
	lastDuration time.Duration
	// Counters since start, for metrics.
	recorded    uint64
	syncsOK     uint64
	syncsFailed uint64
}

func newSyncer(d syncerDeps, s bridge.Store) *syncer {
	return &syncer{d: d, store: s, wakeC: make(chan syncRequest, 16), quit: make(chan struct{}), done: make(chan struct{})}
}

func (sy *syncer) setStore(s bridge.Store) {
	sy.mu.Lock()
	sy.store = s
	sy.mu.Unlock()
}

func (sy *syncer) getStore() bridge.Store {
	sy.mu.Lock()
	defer sy.mu.Unlock()
	return sy.store
}

func (sy *syncer) stop() { sy.once.Do(func() { close(sy.quit) }) }

// halt stops the syncer and cuts its sync in flight (another replica takes
// the store over: what it fetched and did not record is fetched again
// there); it waits for the goroutine up to wait and reports whether it
// returned.
func (sy *syncer) halt(wait time.Duration, clock bridge.Clock) bool {
	sy.stop()
	if sy.cancel != nil {
		sy.cancel()
	}
	select {
	case <-sy.done:
		return true
	case <-clock.After(wait):
		return false
	}
}

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
	j := sy.d.cfg.PollJitter
	if j <= 0 {
		return d
	}
	return time.Duration(float64(d) * (1 - j + 2*j*rand.Float64()))
}

func (sy *syncer) run(ctx context.Context) {
	d := sy.d
	// A store's first poll happens at once; then every interval.
	next := time.Duration(0)
	for {
		var req syncRequest
		wait := d.clock.After(next)
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
		_, pushDriven := d.mp.(bridge.PushDriven)
		if pushDriven && req.reason == "authorized" {
			sy.scheduleImport()
		}
		paused := false
		if ss, err := d.state.StoreState(ctx, st.ID); err == nil {
			paused = ss.Paused
		}
		if paused && req.reason != "manual" {
			next = d.cfg.PollInterval
			if req.done != nil {
				req.done <- syncResult{err: fmt.Errorf("store %s is paused", st.ID)}
			}
			continue
		}
		if hold, wait := d.mon.AuthHold(st.ID); hold && wait > 0 && req.reason != "manual" && req.reason != "authorized" {
			// The marketplace refuses the store's tokens: calling it on every
			// poll would only repeat the refused refresh. Wait for new tokens
			// (they wake this syncer) or the next try.
			next = wait
			if req.done != nil {
				req.done <- syncResult{err: fmt.Errorf("store %s needs update: its tokens are refused", st.ID)}
			}
			continue
		}
		if wait := d.mon.QuotaHold(st.ID); wait > 0 && req.reason != "manual" {
			// The marketplace's quota is used up until then: a push hint or a
			// poll would only be refused again.
			next = wait
			if req.done != nil {
				req.done <- syncResult{err: fmt.Errorf("store %s is paused by the marketplace's quota for %s", st.ID, wait.Round(time.Minute))}
			}
			continue
		}
		if d.mon.StoreDown(st.ID) && !req.catchUp {
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
		if d.synced != nil {
			d.synced(ctx)
		}
		switch {
		case pushDriven && (res.err == nil || errors.Is(res.err, context.Canceled)):
			next = sy.nextPushPass()
		case res.err == nil || errors.Is(res.err, context.Canceled):
			next = sy.jittered(sy.pollInterval())
		default:
			// Retry a failed sync sooner than a poll, but not in a tight loop.
			next = sy.jittered(min(d.cfg.PollInterval, d.cfg.Debounce*2))
		}
		if wait := bridge.RetryAfterOf(res.err); wait > next {
			next = wait
		}
	}
}

// probe checks a down store with one cheap call, made once without the
// client's retries and bounded by ProbeTimeout; after a success it waits the
// debounce and checks again before declaring it recovered, which triggers
// the catch-up. It returns the wait before the next probe.
func (sy *syncer) probe(ctx context.Context, st bridge.Store) time.Duration {
	d := sy.d
	check := func() error {
		pctx, cancel := context.WithTimeout(bridge.ProbeContext(ctx), d.cfg.ProbeTimeout)
		defer cancel()
		if pd, ok := d.mp.(bridge.PushDriven); ok {
			return pd.CheckHealth(pctx, st)
		}
		_, err := d.mp.ListConversations(pctx, st, d.clock.Now())
		return err
	}
	if err := check(); err != nil {
		d.mon.StoreFailure(st.ID, err)
		return d.mon.ProbeBackoff(st.ID)
	}
	// First success: wait for stable success before the catch-up.
	if !bridge.Sleep(ctx, d.clock, d.cfg.Debounce) {
		return 0
	}
	if err := check(); err != nil {
		d.mon.StoreFailure(st.ID, err)
		return d.mon.ProbeBackoff(st.ID)
	}
	res := sy.syncOnce(ctx, st, true)
	if bridge.IsStateError(res.err) {
		// The marketplace is back; the state database is what failed. The
		// store stays down (probing) until a catch-up can be recorded.
		return d.mon.ProbeBackoff(st.ID)
	}
	d.mon.StoreRecovered(st.ID, res.messages, res.err)
	if _, ok := d.mp.(bridge.PushDriven); ok {
		return sy.nextPushPass()
	}
	return sy.jittered(sy.pollInterval())
}

// pollInterval is the store's poll interval: its marketplace's own
// (PollPolicy), else the engine's.
func (sy *syncer) pollInterval() time.Duration {
	if pp, ok := sy.d.mp.(bridge.PollPolicy); ok {
		if iv := pp.PollInterval(); iv > 0 {
			return iv
		}
	}
	return sy.d.cfg.PollInterval
}

// syncOnce runs one sync of the store and reports it to the monitor.
func (sy *syncer) syncOnce(ctx context.Context, st bridge.Store, catchUp bool) syncResult {
	d := sy.d
	sctx, cancel := context.WithTimeout(ctx, d.cfg.SyncTimeout)
	sy.mu.Lock()
	sy.running = cancel
	sy.mu.Unlock()
	start := d.clock.Now()
	n, err := sy.syncStoreSafely(sctx, st)
	cancel()
	sy.mu.Lock()
	sy.running = nil
	dur := d.clock.Now().Sub(start)
	sy.lastDuration = dur
	sy.recorded += uint64(n)
	if err == nil {
		sy.lastOK = d.clock.Now()
		sy.syncsOK++
	} else {
		sy.syncsFailed++
	}
	sy.mu.Unlock()

	run := bridge.SyncRun{Store: st.ID, StartedAt: start, Duration: dur, OK: err == nil, Messages: n, CatchUp: catchUp}
	if err != nil {
		run.Error = bridge.ReasonOf(err)
	}
	if rerr := d.state.RecordSync(context.WithoutCancel(ctx), run); rerr != nil {
		d.log.Warn("could not record sync run", "store", st.ID, "err", rerr)
	}
	switch {
	case err == nil:
		d.mon.StateSuccess()
		d.mon.StoreSuccess(st.ID, n)
		d.mon.QuotaResumed(st.ID)
		if d.mon.AuthRestored(st.ID) {
			d.log.Info("store works again: the marketplace accepts its tokens", "store", st.ID)
			if d.authWorks != nil {
				d.authWorks(context.WithoutCancel(ctx), st)
			}
		}
	case bridge.IsStateError(err):
		// A local fault, not the marketplace's: the monitor alerts about the
		// state database, and the store is not counted as failing.
		d.mon.StateFailure(err)
		d.mon.StoreSuccess(st.ID, 0)
	case errors.Is(err, context.Canceled) && ctx.Err() == nil:
		d.log.Info("sync superseded", "store", st.ID)
	case ctx.Err() != nil:
	case bridge.Classify(err) == bridge.KindRateLimited && bridge.RetryAfterOf(err) >= monitor.QuotaPauseMin:
		// A quota, not an outage: pause until it resets (the syncer waits
		// RetryAfter) and say so once.
		d.mon.StoreSuccess(st.ID, 0)
		d.mon.QuotaPaused(st.ID, d.clock.Now().Add(bridge.RetryAfterOf(err)), bridge.ReasonOf(err))
	case bridge.Classify(err) == bridge.KindAuth:
		// Not a network outage: the store's authorization is gone. The
		// authorization flow marks it "needs update" and alerts once; the
		// store is not up, and is tried again only every AuthRetry.
		if d.mon.AuthRefused(st.ID, err) {
			d.log.Warn("store needs update: the marketplace refuses its tokens; syncing waits for a new authorization",
				"store", st.ID, "retry_in", d.cfg.AuthRetry, "err", err)
		}
		if d.authRefused != nil {
			d.authRefused(context.WithoutCancel(ctx), st, err)
		}
	default:
		// A network failure is counted by the monitor, which says once that
		// the store is unreachable (and alerts); each failed try is detail.
		level := slog.LevelWarn
		if bridge.Classify(err) == bridge.KindTransient || bridge.Classify(err) == bridge.KindRateLimited {
			level = slog.LevelDebug
		}
		d.log.Log(ctx, level, "sync failed", "store", st.ID, "err", err)
		d.mon.StoreFailure(st.ID, err)
	}
	return syncResult{messages: n, err: err}
}

// syncStoreSafely runs syncStore and turns a panic (a bug, or an adapter
// choking on a malformed answer) into a failed sync, so one bad response
// never stops a store's syncer for good.
func (sy *syncer) syncStoreSafely(ctx context.Context, st bridge.Store) (n int, err error) {
	defer sy.recoverSync(st, "", &err)
	return sy.syncStore(ctx, st)
}

// syncConversationSafely does the same for one conversation's goroutine.
func (sy *syncer) syncConversationSafely(ctx context.Context, st bridge.Store, c bridge.Conversation, scope importScope) (n int, err error) {
	defer sy.recoverSync(st, c.ID, &err)
	return sy.syncConversation(ctx, st, c, scope)
}

func (sy *syncer) recoverSync(st bridge.Store, conv bridge.ConversationID, err *error) {
	if r := recover(); r != nil {
		sy.d.log.Error("sync panicked; the store keeps syncing", "store", st.ID, "conversation", conv, "panic", r, "stack", string(debug.Stack()))
		*err = fmt.Errorf("internal error during sync of store %s: %v", st.ID, r)
	}
}

// retryTransient runs a read once more, at once, after a transient failure:
// the clients already back off between their own HTTP attempts, so this
// only saves a whole sync from one unlucky answer without stacking retries.
func retryTransient(ctx context.Context, read func() error) error {
	var err error
	for i := 0; i < 2; i++ {
		if err = read(); err == nil || bridge.Classify(err) != bridge.KindTransient || ctx.Err() != nil {
			return err
		}
		var pe *bridge.PlatformError
		if errors.As(err, &pe) && pe.NotDelivered {
			return err // the network is down: retrying at once will not help
		}
	}
	return err
}
