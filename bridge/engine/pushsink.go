package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The engine is the PushSink of its Pushes: messages a push carries go
// into the inbound queue exactly as fetched ones do.

var _ bridge.PushSink = (*Engine)(nil)

// storeByShop finds the configured store of a platform's shop.
func (e *Engine) storeByShop(p bridge.Platform, shopID string) (bridge.Store, bool) {
	for _, s := range e.Stores() {
		if s.Platform == p && s.ShopID == shopID {
			return s, true
		}
	}
	return bridge.Store{}, false
}

// RecordPushed records messages a push carried (PushSink).
func (e *Engine) RecordPushed(ctx context.Context, p bridge.Platform, shopID string, c bridge.Conversation, msgs []bridge.Message) error {
	st, ok := e.storeByShop(p, shopID)
	if !ok {
		return fmt.Errorf("%s shop %s: %w", p, shopID, bridge.ErrUnknownShop)
	}
	_, err := e.queue.Record(ctx, st, c, msgs)
	if err != nil {
		if bridge.IsStateError(err) {
			e.mon.StateFailure(err)
		}
		return err
	}
	e.mon.StateSuccess()
	return nil
}

// ConversationKnown reports whether the bridge has a record of the
// conversation (PushSink).
func (e *Engine) ConversationKnown(ctx context.Context, p bridge.Platform, shopID string, c bridge.ConversationID) (bool, error) {
	st, ok := e.storeByShop(p, shopID)
	if !ok {
		return false, fmt.Errorf("%s shop %s: %w", p, shopID, bridge.ErrUnknownShop)
	}
	_, err := e.state.Conversation(ctx, st.ID, c)
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err):
		return false, nil
	}
	return false, stateErr(false, "read conversation "+string(c), err)
}

// PushSeen notes that a push arrived for the shop (PushSink).
func (e *Engine) PushSeen(p bridge.Platform, shopID string) {
	if st, ok := e.storeByShop(p, shopID); ok {
		e.mon.PushSeen(st.ID, e.clock.Now())
	}
}

// noteSent tells the monitor that the bridge sent a reply for a store whose
// messages arrive by push: the platform pushes the seller's own messages
// back, so a reply with no push after it means pushes stopped.
func (e *Engine) noteSent(id bridge.StoreID, at time.Time) {
	st, ok := e.Store(id)
	if !ok {
		return
	}
	if _, pd := e.mps[st.Platform].(bridge.PushDriven); pd {
		e.mon.PushExpected(id, at)
	}
}
