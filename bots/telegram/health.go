package telegram

import (
	"sort"
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// health combines the connection (getUpdates, or the webhook's delivery
// status) with access to each chat (bot removed, a right missing) into the
// one state the bridge's connectivity monitor sees. The connection is
// reported on every poll outcome, so the monitor can count failures;
// access problems hold the surface down until a check or a send to that
// chat succeeds.
type health struct {
	mu      sync.Mutex
	handler bridge.ChatHandler
	conn    error
	access  map[int64]error
}

func newHealth() *health { return &health{access: map[int64]error{}} }

func (h *health) setHandler(ch bridge.ChatHandler) {
	h.mu.Lock()
	h.handler = ch
	h.mu.Unlock()
}

// connection records the outcome of a poll or a webhook check and reports.
func (h *health) connection(err error) {
	h.mu.Lock()
	h.conn = err
	h.mu.Unlock()
	h.report()
}

// chatFailed marks chat unusable (auth-class error) and reports.
func (h *health) chatFailed(chat int64, err error) {
	h.mu.Lock()
	h.access[chat] = err
	h.mu.Unlock()
	h.report()
}

// chatOK clears chat's problem, reporting only when there was one.
func (h *health) chatOK(chat int64) {
	h.mu.Lock()
	_, had := h.access[chat]
	delete(h.access, chat)
	h.mu.Unlock()
	if had {
		h.report()
	}
}

// failingChats lists the chats with an access problem.
func (h *health) failingChats() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int64, 0, len(h.access))
	for c := range h.access {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// state is the combined health.
func (h *health) state() (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stateLocked()
}

func (h *health) stateLocked() (bool, error) {
	if h.conn != nil {
		return false, h.conn
	}
	if len(h.access) == 0 {
		return true, nil
	}
	chats := make([]int64, 0, len(h.access))
	for c := range h.access {
		chats = append(chats, c)
	}
	sort.Slice(chats, func(i, j int) bool { return chats[i] < chats[j] })
	return false, h.access[chats[0]]
}

func (h *health) report() {
	h.mu.Lock()
	ch := h.handler
	ok, err := h.stateLocked()
	h.mu.Unlock()
	if ch != nil {
		ch.SurfaceHealth(ok, err)
	}
}
