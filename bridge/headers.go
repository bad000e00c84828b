package bridge

import (
	"context"
	"errors"
	"sync"
)

// headerUpdater edits thread headers off the sync's path: updates of one
// thread are merged (the newest wins), so a busy conversation costs one
// edit per round instead of one per message, and a rate-limited surface
// delays headers, never buyer messages.
type headerUpdater struct {
	e       *Engine
	mu      sync.Mutex
	pending map[ThreadRef]ThreadHeader
	order   []ThreadRef
	wake    chan struct{}
}

func newHeaderUpdater(e *Engine) *headerUpdater {
	return &headerUpdater{e: e, pending: map[ThreadRef]ThreadHeader{}, wake: make(chan struct{}, 1)}
}

// queue asks for the thread's header to show h.
func (u *headerUpdater) queue(t ThreadRef, h ThreadHeader) {
	u.mu.Lock()
	if _, ok := u.pending[t]; !ok {
		u.order = append(u.order, t)
	}
	prev, had := u.pending[t]
	// A resumed conversation stays flagged until its header is shown.
	h.Resumed = h.Resumed || (had && prev.Resumed)
	u.pending[t] = h
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

func (u *headerUpdater) next() (ThreadRef, ThreadHeader, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.order) == 0 {
		return ThreadRef{}, ThreadHeader{}, false
	}
	t := u.order[0]
	u.order = u.order[1:]
	h := u.pending[t]
	delete(u.pending, t)
	return t, h, true
}

func (u *headerUpdater) run(ctx context.Context) {
	for {
		t, h, ok := u.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-u.wake:
			}
			continue
		}
		if err := u.e.chat.UpdateThreadHeader(ctx, t, h); err != nil && !errors.Is(err, ErrThreadGone) && ctx.Err() == nil {
			u.e.log.Warn("could not update thread header", "store", h.Store.ID, "conversation", h.Conversation, "err", err)
		}
	}
}
