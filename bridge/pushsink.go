package bridge

import (
	"context"
	"fmt"
	"time"
)

// The engine is the PushSink of its Pushes: messages a push carries go
// into the inbound queue exactly as fetched ones do.

var _ PushSink = (*Engine)(nil)

// storeByShop finds the configured store of a platform's shop.
func (e *Engine) storeByShop(p Platform, shopID string) (Store, bool) {
	for _, s := range e.Stores() {
		if s.Platform == p && s.ShopID == shopID {
			return s, true
		}
	}
	return Store{}, false
}

// RecordPushed records messages a push carried (PushSink).
func (e *Engine) RecordPushed(ctx context.Context, p Platform, shopID string, c Conversation, msgs []Message) error {
	st, ok := e.storeByShop(p, shopID)
	if !ok {
		return fmt.Errorf("%s shop %s: %w", p, shopID, ErrUnknownShop)
	}
	_, err := e.queue.Record(ctx, st, c, msgs)
	if err != nil {
		if IsStateError(err) {
			e.mon.stateFailure(err)
		}
		return err
	}
	e.mon.stateSuccess()
	return nil
}

// ConversationKnown reports whether the bridge has a record of the
// conversation (PushSink).
func (e *Engine) ConversationKnown(ctx context.Context, p Platform, shopID string, c ConversationID) (bool, error) {
	st, ok := e.storeByShop(p, shopID)
	if !ok {
		return false, fmt.Errorf("%s shop %s: %w", p, shopID, ErrUnknownShop)
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
func (e *Engine) PushSeen(p Platform, shopID string) {
	if st, ok := e.storeByShop(p, shopID); ok {
		e.mon.pushSeen(st.ID, e.clock.Now())
	}
}

// noteSent tells the monitor that the bridge sent a reply for a store whose
// messages arrive by push: the platform pushes the seller's own messages
// back, so a reply with no push after it means pushes stopped.
func (e *Engine) noteSent(id StoreID, at time.Time) {
	st, ok := e.Store(id)
	if !ok {
		return
	}
	if _, pd := e.mps[st.Platform].(PushDriven); pd {
		e.mon.pushExpected(id, at)
	}
}
