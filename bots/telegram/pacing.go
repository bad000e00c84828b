package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// pacer spaces calls on the injected clock: every call counts against the
// global cap per second; a call that posts into a chat (priority other than
// prioFree) also keeps the per-chat gap and, in a group, fits the group's
// allowance per window (learned, see allowance); a 429 blocks the chat for
// its retry_after. Reservations are atomic, so concurrent callers never
// exceed a limit together, and a reservation that was not used or was
// refused is given back.
type pacer struct {
	clock    bridge.Clock
	cfg      Pacing
	adaptive bool
	ceiling  int

	mu     sync.Mutex
	global []time.Time
	chats  map[int64]*chatPace
}

type chatPace struct {
	// last is the latest reservation of a call that posts (per-chat gap).
	last time.Time
	// recent are the reservations of calls that post within the window.
	recent []time.Time
	// blockedUntil holds calls that post; freeBlockedUntil the others (a
	// 429 on a reaction says nothing about posting, and the reverse).
	blockedUntil     time.Time
	freeBlockedUntil time.Time
	// allow is the group's allowance (groups only, created on first use).
	allow *allowance
}

func newPacer(clock bridge.Clock, cfg Pacing) *pacer {
	ceiling := cfg.GroupMaxPerMinute
	if ceiling <= 0 {
		// As many as the per-chat gap lets into one window.
		ceiling = cfg.GlobalPerSecond * int(cfg.GroupWindow/time.Second)
		if cfg.PerChatInterval > 0 {
			ceiling = int(cfg.GroupWindow / cfg.PerChatInterval)
		}
	}
	return &pacer{clock: clock, cfg: cfg, adaptive: cfg.Adaptive == nil || *cfg.Adaptive, ceiling: max(1, ceiling),
		chats: map[int64]*chatPace{}}
}

// isGroup tells groups and supergroups (negative ids) from private chats.
func isGroup(chat int64) bool { return chat < 0 }

func (p *pacer) chatLocked(chat int64) *chatPace {
	cp := p.chats[chat]
	if cp == nil {
		cp = &chatPace{}
		p.chats[chat] = cp
	}
	return cp
}

func (p *pacer) allowLocked(cp *chatPace, now time.Time) *allowance {
	if cp.allow == nil {
		cp.allow = newAllowance(p.cfg.GroupPerMinute, p.ceiling, now)
	}
	return cp.allow
}

// posts reports whether a call of priority pr to chat posts into it.
func posts(chat int64, pr priority) bool { return chat != 0 && pr != prioFree }

// reserve records a call of priority pr to chat now and returns when it
// was reserved, or returns how long to wait first. Low-priority calls get
// only the group's headroom (see allowance.headroom).
func (p *pacer) reserve(chat int64, pr priority) (time.Duration, time.Time) {
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
	cp := p.chatLocked(chat)
	post := posts(chat, pr)
	if !post {
		later(cp.freeBlockedUntil)
	} else {
		later(cp.blockedUntil)
		if !cp.last.IsZero() {
			later(cp.last.Add(p.cfg.PerChatInterval))
		}
		if isGroup(chat) {
			a := p.allowLocked(cp, now)
			cp.recent = prune(cp.recent, now.Add(-p.cfg.GroupWindow))
			limit := a.limit
			if pr == prioLow {
				limit = a.headroom()
			}
			if len(cp.recent) >= limit && pr != prioLow && p.adaptive && a.probe(now, len(cp.recent), p.cfg.GroupWindow) {
				limit = a.limit
			}
			if len(cp.recent) >= limit {
				later(cp.recent[len(cp.recent)-limit].Add(p.cfg.GroupWindow))
			}
		}
	}
	if wait > 0 {
		return wait, time.Time{}
	}
	p.global = append(p.global, now)
	if post {
		cp.last = now
		if isGroup(chat) {
			cp.recent = append(cp.recent, now)
			cp.allow.reserved()
		}
	}
	return 0, now
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

// remove drops one entry equal to t (the latest such) from ts.
func remove(ts []time.Time, t time.Time) []time.Time {
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(t) {
			return append(ts[:i], ts[i+1:]...)
		}
	}
	return ts
}

// wait blocks until a call of priority pr to chat may go, reserves it and
// returns the reservation. kick, when not nil, interrupts a wait so the
// caller can re-check its queue; wait then returns errKicked.
func (p *pacer) wait(ctx context.Context, chat int64, pr priority, kick <-chan struct{}) (time.Time, error) {
	for {
		d, at := p.reserve(chat, pr)
		if d == 0 {
			return at, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-kick:
			return time.Time{}, errKicked
		case <-p.clock.After(d):
		}
	}
}

// release gives back a reservation that was not used (the call never
// reached Telegram, or the lane had nothing left to send).
func (p *pacer) release(chat int64, pr priority, at time.Time) {
	if at.IsZero() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.global = remove(p.global, at)
	cp := p.chatLocked(chat)
	if !posts(chat, pr) {
		return
	}
	if isGroup(chat) {
		cp.recent = remove(cp.recent, at)
		cp.allow.released()
	}
	if cp.last.Equal(at) {
		cp.last = time.Time{}
		if n := len(cp.recent); n > 0 {
			cp.last = cp.recent[n-1]
		}
	}
}

// rejected learns from a 429 on a call reserved at at: the group did not
// count the call, so it leaves the window; calls of its kind to chat wait
// out retryAfter; and for a call that posts into a group, the allowance
// learns what the group accepted (see allowance.rejected).
func (p *pacer) rejected(chat int64, pr priority, at time.Time, retryAfter time.Duration) {
	now := p.clock.Now()
	until := now.Add(retryAfter)
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.chatLocked(chat)
	if !posts(chat, pr) {
		if until.After(cp.freeBlockedUntil) {
			cp.freeBlockedUntil = until
		}
		return
	}
	if until.After(cp.blockedUntil) {
		cp.blockedUntil = until
	}
	if !isGroup(chat) || at.IsZero() {
		return
	}
	cp.recent = remove(prune(cp.recent, now.Add(-p.cfg.GroupWindow)), at)
	a := p.allowLocked(cp, now)
	if !p.adaptive {
		a.released()
		return
	}
	a.rejected(now, len(cp.recent))
}

// block holds every call to chat until d from now.
func (p *pacer) block(chat int64, d time.Duration) {
	until := p.clock.Now().Add(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.chatLocked(chat)
	if until.After(cp.blockedUntil) {
		cp.blockedUntil = until
	}
	if until.After(cp.freeBlockedUntil) {
		cp.freeBlockedUntil = until
	}
}

// groupLimit is the group's current allowance per window (for tests,
// benchmarks and logs).
func (p *pacer) groupLimit(chat int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.chats[chat]
	if cp == nil || cp.allow == nil {
		return min(p.cfg.GroupPerMinute, p.ceiling)
	}
	return cp.allow.limit
}

type kickedError struct{}

func (kickedError) Error() string { return "telegram: wait interrupted" }

var errKicked error = kickedError{}
