package bridge

import "sync"

// PushHint says that a marketplace notified activity in a shop. It is only a
// hint: the syncer wakes and polls, and the poll decides what is new.
type PushHint struct {
	Platform     Platform
	ShopID       string
	Conversation ConversationID
}

// Hints carries push hints from marketplace adapters to the sync engine
// without either depending on the other. Sending never blocks: hints that
// arrive while one is pending for the same shop are merged.
type Hints struct {
	mu      sync.Mutex
	pending map[PushHint]struct{}
	wake    chan struct{}
}

// NewHints returns an empty hint bus.
func NewHints() *Hints {
	return &Hints{pending: map[PushHint]struct{}{}, wake: make(chan struct{}, 1)}
}

// Send records a hint and wakes the engine.
func (h *Hints) Send(hint PushHint) {
	hint.Conversation = "" // the syncer polls the whole store; merge per shop
	h.mu.Lock()
	h.pending[hint] = struct{}{}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Wake is signalled when hints are pending.
func (h *Hints) Wake() <-chan struct{} { return h.wake }

// Drain returns and clears the pending hints.
func (h *Hints) Drain() []PushHint {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]PushHint, 0, len(h.pending))
	for k := range h.pending {
		out = append(out, k)
	}
	clear(h.pending)
	return out
}
