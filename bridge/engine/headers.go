package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// headerUpdater edits thread headers off the posting path: updates of one
// thread are merged (the newest wins) and an update that would show what the
// thread already shows is dropped, so a busy conversation costs one edit per
// round instead of one per message, and a rate-limited surface delays
// headers, never buyer messages. Each destination (a thread's channel) has
// its own worker while it has updates, so a chat that is slow to take edits
// never delays the headers of another.
type headerUpdater struct {
	chat bridge.Chat
	log  *slog.Logger

	mu      sync.Mutex
	ctx     context.Context
	wg      sync.WaitGroup
	pending map[bridge.ThreadRef]bridge.ThreadHeader
	// order holds each destination's threads with a pending update, oldest
	// first; running marks destinations with a worker.
	order   map[string][]bridge.ThreadRef
	running map[string]bool
	// last is what each thread's header shows (as far as this run knows).
	last map[bridge.ThreadRef]bridge.ThreadHeader
}

// headerMemory bounds how many threads' shown headers are remembered.
const headerMemory = 20000

func newHeaderUpdater(chat bridge.Chat, log *slog.Logger) *headerUpdater {
	return &headerUpdater{
		chat: chat, log: log, pending: map[bridge.ThreadRef]bridge.ThreadHeader{},
		order: map[string][]bridge.ThreadRef{}, running: map[string]bool{}, last: map[bridge.ThreadRef]bridge.ThreadHeader{},
	}
}

// start lets updates run until ctx ends; wait waits for the workers.
func (u *headerUpdater) start(ctx context.Context) {
	u.mu.Lock()
	u.ctx = ctx
	for dest := range u.order {
		u.spawnLocked(dest)
	}
	u.mu.Unlock()
}

func (u *headerUpdater) wait() { u.wg.Wait() }

// shown records that the thread shows h (it was opened with it).
func (u *headerUpdater) shown(t bridge.ThreadRef, h bridge.ThreadHeader) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.last) >= headerMemory {
		clear(u.last)
	}
	h.Resumed = false
	u.last[t] = h
}

// queue asks for the thread's header to show h.
func (u *headerUpdater) queue(t bridge.ThreadRef, h bridge.ThreadHeader) {
	u.mu.Lock()
	defer u.mu.Unlock()
	prev, had := u.pending[t]
	// A resumed conversation stays flagged until its header is shown.
	h.Resumed = h.Resumed || (had && prev.Resumed)
	if !had {
		if last, ok := u.last[t]; ok && !h.Resumed && last == h {
			return // the thread shows this already
		}
		u.order[t.Channel] = append(u.order[t.Channel], t)
	}
	u.pending[t] = h
	u.spawnLocked(t.Channel)
}

func (u *headerUpdater) spawnLocked(dest string) {
	if u.ctx == nil || u.running[dest] || u.ctx.Err() != nil {
		return
	}
	u.running[dest] = true
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		u.run(u.ctx, dest)
	}()
}

// next takes the destination's oldest pending update, or ends its worker.
func (u *headerUpdater) next(dest string) (bridge.ThreadRef, bridge.ThreadHeader, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	list := u.order[dest]
	if len(list) == 0 {
		delete(u.order, dest)
		delete(u.running, dest)
		return bridge.ThreadRef{}, bridge.ThreadHeader{}, false
	}
	t := list[0]
	u.order[dest] = list[1:]
	h := u.pending[t]
	delete(u.pending, t)
	return t, h, true
}

func (u *headerUpdater) run(ctx context.Context, dest string) {
	for {
		t, h, ok := u.next(dest)
		if !ok {
			return
		}
		if ctx.Err() != nil {
			continue // drain without calling the surface
		}
		if err := u.chat.UpdateThreadHeader(ctx, t, h); err != nil {
			if !errors.Is(err, bridge.ErrThreadGone) && ctx.Err() == nil {
				u.log.Warn("could not update thread header", "store", h.Store.ID, "conversation", h.Conversation, "err", err)
			}
			continue
		}
		u.shown(t, h)
	}
}
