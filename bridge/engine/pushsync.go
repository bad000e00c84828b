package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// A push-driven store (Lazada) is never polled for conversations: its new
// messages arrive by push and are recorded from the push itself. Its
// syncer instead checks it with the platform's cheap health call every
// HealthInterval (that is what the monitor judges it by, with pushes
// arriving), and runs the one-off history import ImportDelay after the store
// is first added or authorized again, the only time the platform's list
// endpoints are called on the bridge's own initiative.

// pushPass is a push-driven store's "sync": the history import when it is
// due, then a health check.
func (sy *syncer) pushPass(ctx context.Context, st bridge.Store, pd bridge.PushDriven) (int, error) {
	d := sy.d
	ss, err := d.state.StoreState(ctx, st.ID)
	if err != nil {
		return 0, stateErr(false, fmt.Sprintf("load state of store %s", st.ID), err)
	}
	now := d.clock.Now()
	sy.mu.Lock()
	if ss.Cursor.IsZero() && sy.importAt.IsZero() {
		// First added: the platform copies the history to the API side
		// after authorization; import it once that had time to happen.
		sy.importAt = now.Add(d.cfg.ImportDelay)
	}
	due := !sy.importAt.IsZero() && !now.Before(sy.importAt)
	sy.mu.Unlock()
	n := 0
	cursor := ss.Cursor
	if due {
		if n, err = sy.importHistory(ctx, st, pd, ss); err != nil {
			return n, fmt.Errorf("history import of store %s: %w", st.ID, err)
		}
		sy.mu.Lock()
		sy.importAt = time.Time{}
		sy.mu.Unlock()
		cursor = now
	}
	if err := pd.CheckHealth(ctx, st); err != nil {
		return n, fmt.Errorf("health check of store %s: %w", st.ID, err)
	}
	d.mon.CheckPushes(st.ID, d.cfg.PushSilence)
	if err := d.state.SaveSyncCursor(ctx, st.ID, cursor, d.clock.Now()); err != nil {
		return n, stateErr(true, fmt.Sprintf("save sync state of store %s", st.ID), err)
	}
	return n, nil
}

// importHistory records the conversations active within the import window
// (at most a month) with their recent messages, as a first start would.
func (sy *syncer) importHistory(ctx context.Context, st bridge.Store, pd bridge.PushDriven, ss bridge.StoreState) (int, error) {
	d := sy.d
	window := min(d.cfg.ImportWindow, 30*24*time.Hour)
	scope := importScope{firstStart: ss.Cursor.IsZero(), since: d.clock.Now().Add(-window)}
	if !scope.firstStart && ss.Cursor.After(scope.since) {
		scope.since = ss.Cursor.Add(-d.cfg.CursorOverlap)
	}
	hist, err := pd.ImportHistory(ctx, st, scope.since, d.cfg.HistoryLimit)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, h := range hist {
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		unlock := d.locks.lock(st.ID, h.Conversation.ID)
		n, err := d.queue.recordLocked(context.WithoutCancel(ctx), st, h.Conversation, h.Messages, scope)
		unlock()
		total += n
		if err != nil {
			return total, err
		}
	}
	d.log.Info("history imported", "store", st.ID, "conversations", len(hist), "messages", total)
	return total, nil
}

// scheduleImport runs the history import ImportDelay from now (a push-driven
// store was authorized again).
func (sy *syncer) scheduleImport() {
	sy.mu.Lock()
	sy.importAt = sy.d.clock.Now().Add(sy.d.cfg.ImportDelay)
	sy.mu.Unlock()
}

// nextPushPass is the wait before a push-driven store's next pass.
func (sy *syncer) nextPushPass() time.Duration {
	next := sy.d.cfg.HealthInterval
	sy.mu.Lock()
	defer sy.mu.Unlock()
	if !sy.importAt.IsZero() {
		next = min(next, max(sy.importAt.Sub(sy.d.clock.Now()), 0))
	}
	return next
}
