package engine

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Which unfinished replies the outbox tracks: at start, after a takeover
// of a store, and (with replicas) on an interval.

// ownsStore reports whether this replica sends the store's replies.
func (o *Outbox) ownsStore(id bridge.StoreID) bool { return o.owns == nil || o.owns(id) }

// resume schedules the unfinished replies it does not track yet, of the
// stores this replica sends for: at start, when it takes a store over, and
// (with replicas) on an interval, for the replies other replicas received.
func (o *Outbox) resume(ctx context.Context) error {
	rows, err := o.state.UnfinishedReplies(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if !o.ownsStore(r.Store) {
			continue
		}
		o.mu.Lock()
		seen := o.known[r.ID]
		o.known[r.ID] = true
		o.mu.Unlock()
		if seen {
			continue
		}
		wait := r.NextAttemptAt.Sub(o.clock.Now())
		if r.Status == bridge.ReplySending {
			// The previous run may have died mid-send: its request can still
			// land until the attempt's deadline plus the margin.
			wait = max(wait, o.settleAt(r).Sub(o.clock.Now()))
			o.log.Info("resuming reply with unknown outcome; reconciling before sending again", "reply", r.ID, "store", r.Store, "check_in", wait.Round(time.Second))
		}
		o.track(r)
		o.schedule(r.ID, wait)
	}
	return nil
}

// forget stops tracking the reply (finished, or its store is another
// replica's now), so that a later resume picks it up if it is unfinished.
func (o *Outbox) forget(id bridge.ReplyID) {
	o.mu.Lock()
	delete(o.known, id)
	o.mu.Unlock()
}

// forgetStore stops tracking the store's replies: another replica took it.
func (o *Outbox) forgetStore(id bridge.StoreID) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for r := range o.known {
		if k, ok := o.convOf[r]; ok && k.store == id {
			delete(o.known, r)
		}
	}
}
