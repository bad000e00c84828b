package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// pacer spaces sends on the injected clock: a minimum gap per chat, a cap
// per window in groups, a cap per second overall, and a chat blocked for the
// retry_after of a 429. Reservations are atomic, so concurrent senders never
// exceed a limit together.
type pacer struct {
	clock bridge.Clock
	cfg   Pacing

	mu     sync.Mutex
	global []time.Time
	chats  map[int64]*chatPace
}

type chatPace struct {
	last         time.Time
	recent       []time.Time
	blockedUntil time.Time
}

func newPacer(clock bridge.Clock, cfg Pacing) *pacer {
	return &pacer{clock: clock, cfg: cfg, chats: map[int64]*chatPace{}}
}

// isGroup tells groups and supergroups (negative ids) from private chats.
func isGroup(chat int64) bool { return chat < 0 }

// reserve records a call to chat now, or returns how long to wait first.
// Every call counts against the global limit and waits out a 429 block of
// its chat (0: calls tied to no chat); only messages (message true) are
// spaced per chat and per group.
func (p *pacer) reserve(chat int64, message bool) time.Duration {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var wait time.Duration
	later := func(t time.Time) {
		if d := t.Sub(now); d > wait {
			wait = d
		}
	}
	p.global = prune(p.global, now.Add(-time.Second))
	if len(p.global) >= p.cfg.GlobalPerSecond {
		later(p.global[len(p.global)-p.cfg.GlobalPerSecond].Add(time.Second))
	}
	message = message && chat != 0
	cp := p.chats[chat]
	if cp == nil {
		cp = &chatPace{}
		p.chats[chat] = cp
	}
	later(cp.blockedUntil)
	if message && !cp.last.IsZero() {
		later(cp.last.Add(p.cfg.PerChatInterval))
	}
	if message && isGroup(chat) {
		cp.recent = prune(cp.recent, now.Add(-p.cfg.GroupWindow))
		if len(cp.recent) >= p.cfg.GroupPerMinute {
			later(cp.recent[len(cp.recent)-p.cfg.GroupPerMinute].Add(p.cfg.GroupWindow))
		}
	}
	if wait > 0 {
		return wait
	}
	p.global = append(p.global, now)
	if message {
		cp.last = now
		if isGroup(chat) {
			cp.recent = append(cp.recent, now)
		}
	}
	return 0
}

// prune drops times at or before cutoff from the sorted slice ts.
func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}

// wait blocks until a call to chat may go and reserves it. kick, when not
// nil, interrupts a wait so the caller can re-check its queue; wait then
// returns errKicked.
func (p *pacer) wait(ctx context.Context, chat int64, message bool, kick <-chan struct{}) error {
	for {
		d := p.reserve(chat, message)
		if d == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-kick:
			return errKicked
		case <-p.clock.After(d):
		}
	}
}

// block holds every send to chat until d from now (a 429's retry_after).
func (p *pacer) block(chat int64, d time.Duration) {
	until := p.clock.Now().Add(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.chats[chat]
	if cp == nil {
		cp = &chatPace{}
		p.chats[chat] = cp
	}
	if until.After(cp.blockedUntil) {
		cp.blockedUntil = until
	}
}

type kickedError struct{}

func (kickedError) Error() string { return "telegram: wait interrupted" }

var errKicked error = kickedError{}
