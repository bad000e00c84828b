package engine

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The report's metrics are recorded as events happen, in the state store,
// so they survive restarts and are never recomputed from chat history. The
// engine records its starts and the outbox its first responses here; the
// state backends record thread mapping changes themselves.

// recordStart records an engine start: resumed when any store had a saved
// sync cursor (its conversations, watermarks and threads come from saved
// state), else a full resync. Called by Start before the syncers run.
func (e *Engine) recordStart(ctx context.Context) {
	ev := bridge.RestartEvent{At: e.clock.Now(), Stores: len(e.order)}
	for _, id := range e.order {
		ss, err := e.state.StoreState(ctx, id)
		if err != nil {
			e.log.Warn("could not read a store's saved state", "store", id, "err", err)
			continue
		}
		if !ss.Cursor.IsZero() {
			ev.StoresWithCursor++
		}
	}
	ev.Resumed = ev.StoresWithCursor > 0
	if err := e.state.RecordRestart(ctx, ev); err != nil {
		e.log.Warn("could not record the start for the report", "err", err)
	}
}

// recordFirstResponse records a reply that ends a buyer's wait: the
// conversation was awaiting a reply since before the reply was sent.
// Called by markSent with the conversation as it was before the reply.
func (o *Outbox) recordFirstResponse(ctx context.Context, rec bridge.ConversationRecord, r bridge.Reply, sentAt, now time.Time) {
	if rec.AwaitingSince.IsZero() || sentAt.Before(rec.AwaitingSince) {
		return
	}
	ev := bridge.ResponseEvent{
		Store: r.Store, Conversation: r.Conversation, Reply: r.ID,
		AgentID: r.AuthorID, AgentName: r.AuthorName,
		AwaitingSince: rec.AwaitingSince, RespondedAt: now,
	}
	if err := o.state.RecordResponse(context.WithoutCancel(ctx), ev); err != nil {
		o.log.Warn("could not record the first response for the report", "reply", r.ID, "err", err)
	}
}
