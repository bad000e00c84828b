package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/lease"
)

// Several replicas of one state database (PostgreSQL) share the work by
// leases (bridge/lease): each store's syncer, replies and posting run on
// the replica that holds the store's lease, and the jobs that must run
// once (Deps.Singletons: the report, the Telegram update consumer, the
// alerts about the chat and the state) on the replica that holds theirs.
// Any replica receives agent replies, commands, pushes and webhooks and
// records them; the holder picks up what others recorded on an interval
// (Config.ReplicaRescan). A replica that loses a lease stops its work on
// it before the lease can pass to another (fencing, bridge/lease); rows a
// previous holder may have posted are looked for in their thread first,
// as after a restart.
//
// Without Deps.Leases the engine is alone and holds everything.

// errNotHolder cuts work on a store whose lease this replica lost.
var errNotHolder = errors.New("another replica holds the store now")

// errHandedOver ends a listener whose lease another replica took.
var errHandedOver = errors.New("another replica listens now")

// newCoordinator builds the lease coordinator when the engine shares its
// work, nil otherwise.
func (e *Engine) newCoordinator(deps Deps) (*lease.Coordinator, error) {
	if deps.Leases == nil {
		return nil, nil
	}
	id := deps.ReplicaID
	if id == "" {
		id = lease.NewHolderID()
	}
	e.leases = deps.Leases
	return lease.New(e.cfg.Lease, lease.Deps{
		Leases: deps.Leases, Holder: id, Names: e.leaseNames(), Clock: e.clock, Logger: e.log,
		OnAcquired: e.leaseAcquired, OnLost: e.leaseLost,
	})
}

// leaseNames are the leases the replicas share: one per configured store,
// and the singletons.
func (e *Engine) leaseNames() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.leaseNamesLocked()
}

func (e *Engine) leaseNamesLocked() []string {
	names := append([]string(nil), e.singletons...)
	if sl, ok := e.chat.(bridge.SingleListener); ok {
		names = append(names, sl.ListenerLease())
	}
	for _, id := range e.order {
		names = append(names, lease.Store(id))
	}
	return names
}

// Holds reports whether this replica runs the job of lease name now (a
// singleton such as lease.Report); alone, it runs every job.
func (e *Engine) Holds(name string) bool {
	if e.coord == nil {
		return true
	}
	_, ok := e.coord.Holds(name)
	return ok
}

// HoldsStore reports whether this replica syncs the store, sends its
// replies and refreshes its tokens now.
func (e *Engine) HoldsStore(id bridge.StoreID) bool { return e.Holds(lease.Store(id)) }

// Replica is the lease coordinator, nil when the engine is alone: its
// Holder, Held leases and Replicas are for status and metrics.
func (e *Engine) Replica() *lease.Coordinator { return e.coord }

// leaseAcquired starts the work of a lease this replica now holds.
func (e *Engine) leaseAcquired(name string, token int64) {
	id, ok := strings.CutPrefix(name, "store:")
	if !ok {
		e.log.Info("lease acquired", "lease", name, "token", token)
		return
	}
	store := bridge.StoreID(id)
	e.mu.Lock()
	s, configured := e.stores[store]
	ctx := e.runCtx
	if configured && e.started && e.syncers[store] == nil && ctx.Err() == nil {
		e.startSyncerLocked(ctx, s)
	}
	e.mu.Unlock()
	if !configured || ctx == nil || ctx.Err() != nil {
		return
	}
	e.log.Info("store taken over", "store", store, "token", token)
	e.relay.storeAcquired(ctx, store)
	if err := e.outbox.resume(ctx); err != nil {
		e.log.Warn("could not read the unfinished replies; will try again", "store", store, "err", err)
	}
}

// leaseLost stops the work of a lease this replica no longer holds, within
// the lease's margin.
func (e *Engine) leaseLost(name string) {
	id, ok := strings.CutPrefix(name, "store:")
	if !ok {
		e.log.Info("lease given up", "lease", name)
		return
	}
	store := bridge.StoreID(id)
	e.mu.Lock()
	sy := e.syncers[store]
	delete(e.syncers, store)
	e.mu.Unlock()
	e.outbox.forgetStore(store)
	if sy != nil && !sy.halt(e.cfg.Lease.Margin/2, e.clock) {
		e.log.Warn("store's sync did not stop in time after its lease was lost", "store", store)
	}
	e.log.Info("store handed over", "store", store)
}

// runReplica runs the coordinator and, on an interval, picks up what other
// replicas recorded for the stores this one holds: pending inbound rows
// (pushes received there) and unfinished replies (agents' replies received
// there).
func (e *Engine) runReplica(ctx context.Context) {
	e.wg.Add(2)
	go func() {
		defer e.wg.Done()
		_ = e.coord.Run(ctx)
	}()
	go func() {
		defer e.wg.Done()
		for bridge.Sleep(ctx, e.clock, e.cfg.ReplicaRescan) {
			e.relay.rescan(ctx)
			if err := e.outbox.resume(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("could not read the unfinished replies; will try again", "err", err)
			}
		}
	}()
}

// ownsFunc is the relay's and the outbox's view of the store leases: nil
// (every store) when the engine is alone.
func (e *Engine) ownsFunc(deps Deps) func(bridge.StoreID) bool {
	if deps.Leases == nil {
		return nil
	}
	return e.HoldsStore
}

// alertingFunc is the monitor's view of lease.Alerts: nil (it publishes
// every alert) when the engine is alone.
func (e *Engine) alertingFunc(deps Deps) func() bool {
	if deps.Leases == nil {
		return nil
	}
	return func() bool { return e.Holds(lease.Alerts) }
}

// listenOnce runs the surface's listener. A surface that allows one
// listener at a time (bridge.SingleListener) listens, with replicas, only
// while this replica holds its lease: it waits for the lease, and the
// listener is cut when the lease is lost.
func (e *Engine) listenOnce(ctx context.Context) error {
	sl, single := e.chat.(bridge.SingleListener)
	if e.coord == nil || !single {
		return e.chat.Listen(ctx, e)
	}
	name := sl.ListenerLease()
	for !e.Holds(name) {
		if !bridge.Sleep(ctx, e.clock, e.cfg.Lease.RenewEvery) {
			return nil
		}
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.chat.Listen(lctx, e) }()
	for {
		select {
		case err := <-done:
			return err
		case <-e.clock.After(e.cfg.Lease.Margin / 2):
			if !e.Holds(name) {
				e.log.Info("another replica listens to the chat surface now", "lease", name)
				cancel()
				<-done
				return errHandedOver
			}
		}
	}
}

// Ready reports whether this replica does its share of the work, for
// /readyz: the state database answers, the chat surface is connected, the
// leases are taken (with replicas: this replica has run a round and sees
// itself among the live ones), and the inbound backlog is not stuck (no
// message has waited longer than stuckAfter while the chat is up).
func (e *Engine) Ready(ctx context.Context, stuckAfter time.Duration) (bool, string) {
	var why []string
	if h := e.mon.StateHealth(); h.Down {
		why = append(why, "state database failing: "+h.LastError)
	}
	chat := e.mon.ChatHealth()
	if chat.Down {
		why = append(why, "chat surface down: "+chat.LastError)
	}
	if e.coord != nil && !slices.Contains(e.coord.Replicas(), e.coord.Holder()) {
		why = append(why, "not yet sharing the work: no lease round has reached the state database")
	}
	if !chat.Down {
		if backlog, err := e.relay.Backlog(ctx); err == nil {
			now := e.clock.Now()
			for _, d := range backlog {
				if d.Pending > 0 && now.Sub(d.Oldest) > stuckAfter {
					why = append(why, fmt.Sprintf("inbound backlog stuck: %d messages for %s, oldest %s ago", d.Pending, d.Destination, now.Sub(d.Oldest).Round(time.Second)))
				}
			}
		}
	}
	if len(why) > 0 {
		return false, strings.Join(why, "; ")
	}
	msg := "ready"
	if e.coord != nil {
		msg += fmt.Sprintf("; replica %s holds %d leases among %d replicas", e.coord.Holder(), len(e.coord.Held()), len(e.coord.Replicas()))
	}
	return true, msg
}

// writeReplicas adds to status which replica holds which store and job,
// as the state database has it.
func (e *Engine) writeReplicas(ctx context.Context, b *strings.Builder) {
	if e.coord == nil {
		return
	}
	held, err := e.leases.CurrentLeases(ctx)
	if err != nil {
		fmt.Fprintf(b, "Replicas: could not read the leases: %v\n", err)
		return
	}
	live, err := e.leases.LiveReplicas(ctx)
	if err != nil {
		fmt.Fprintf(b, "Replicas: could not read them: %v\n", err)
		return
	}
	ids := make([]string, len(live))
	for i, r := range live {
		ids[i] = r.ID
	}
	fmt.Fprintf(b, "Replicas: %s (this one is %s).\n", strings.Join(ids, ", "), e.coord.Holder())
	for _, l := range held {
		fmt.Fprintf(b, "  %s: %s\n", l.Name, l.Holder)
	}
}
