package bridge

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// headerUpdater edits thread headers off the posting path: updates of one
// thread are merged (the newest wins) and an update that would show what the
// thread already shows is dropped, so a busy conversation costs one edit per
// round instead of one per message, and a rate-limited surface delays
// headers, never buyer messages.
type headerUpdater struct {
	chat    Chat
	log     *slog.Logger
	mu      sync.Mutex
	pending map[ThreadRef]ThreadHeader
	order   []ThreadRef
	// last is what each thread's header shows (as far as this run knows).
	last map[ThreadRef]ThreadHeader
	wake chan struct{}
}

// headerMemory bounds how many threads' shown headers are remembered.
const headerMemory = 20000

func newHeaderUpdater(chat Chat, log *slog.Logger) *headerUpdater {
	return &headerUpdater{chat: chat, log: log, pending: map[ThreadRef]ThreadHeader{}, last: map[ThreadRef]ThreadHeader{}, wake: make(chan struct{}, 1)}
}

// shown records that the thread shows h (it was opened with it).
func (u *headerUpdater) shown(t ThreadRef, h ThreadHeader) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.last) >= headerMemory {
		clear(u.last)
	}
	h.Resumed = false
	u.last[t] = h
}

// queue asks for the thread's header to show h.
func (u *headerUpdater) queue(t ThreadRef, h ThreadHeader) {
	u.mu.Lock()
	prev, had := u.pending[t]
	// A resumed conversation stays flagged until its header is shown.
	h.Resumed = h.Resumed || (had && prev.Resumed)
	if !had {
		if last, ok := u.last[t]; ok && !h.Resumed && last == h {
			u.mu.Unlock()
			return // the thread shows this already
		}
		u.order = append(u.order, t)
	}
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
		if err := u.chat.UpdateThreadHeader(ctx, t, h); err != nil {
			if !errors.Is(err, ErrThreadGone) && ctx.Err() == nil {
				u.log.Warn("could not update thread header", "store", h.Store.ID, "conversation", h.Conversation, "err", err)
			}
			continue
		}
		u.shown(t, h)
	}
}
