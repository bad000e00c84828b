package telegram

import "time"

// allowance is what the pacer believes one group accepts: limit calls that
// post into it per window (the pacer keeps the window). Telegram does not
// publish the real figure and it differs between groups, so the allowance
// starts from the documented guidance (pacing.group_per_minute) and learns:
//
//   - A 429 that ends a run of accepted calls lowers the limit to what the
//     group actually accepted in the window, but never below half of the
//     limit in one step, so one stray 429 (another client on the same
//     token, a flood wait for an unrelated reason) cannot stall a group.
//     A 429 that follows a 429 with nothing accepted in between is the same
//     refusal continuing: it is waited out (retry_after) and teaches nothing.
//   - A window that went through full at the limit without a 429, with
//     more calls waiting, proves the limit; the next one is a probe above
//     it. Before the group's first 429 the probe adds half the limit (slow
//     start: a group allowing 40/min is found within three minutes); after
//     it, one call, and only after hold windows without a 429, hold
//     doubling with each failed probe (2, 4, …, 32 windows), so a group
//     that allows exactly what the pacer uses costs five 429s in the first
//     hour of sustained demand and one every 32 windows after, instead of
//     a 429 storm.
//   - The limit never exceeds ceiling (pacing.group_max_per_minute, or what
//     the per-chat gap allows).
//
// A failed probe costs one refused call and no time: in a sliding window
// the 429's retry_after ends when the oldest call leaves the window, which
// is when the proven limit would have let the call go anyway.
type allowance struct {
	limit   int
	ceiling int
	// changed is when limit last changed (or the group was first used):
	// a probe needs a whole window of evidence at the current limit.
	changed time.Time
	// last429 is the group's latest 429 on a call that posts.
	last429 time.Time
	// cautious is set by the first 429: probes add one call and wait hold
	// windows.
	cautious bool
	hold     int
	// proven is the highest limit a full window went through at.
	proven int
	// probing: limit is above proven and has not been confirmed yet.
	probing bool
	// run counts the calls reserved since the last 429.
	run int
}

// The learning constants (see allowance).
const (
	// quietWindows is how many windows must pass after a 429 before a probe.
	quietWindows = 2
	// holdStart and holdMax bound the windows between cautious probes.
	holdStart = 2
	holdMax   = 32
)

func newAllowance(start, ceiling int, now time.Time) *allowance {
	if start > ceiling {
		start = ceiling
	}
	return &allowance{limit: start, ceiling: ceiling, changed: now, hold: holdStart}
}

// headroom is how much of the window low-priority calls (header edits,
// pins, reports) may fill: they never take the last quarter, which stays
// for buyer messages that may arrive any moment.
func (a *allowance) headroom() int {
	return max(1, a.limit-a.limit/4)
}

// probe is called when a call that posts finds the window full (inWindow
// calls at the limit) and so has to wait: demand exceeds the limit. It
// raises the limit when the evidence allows (see allowance) and reports
// whether it did.
func (a *allowance) probe(now time.Time, inWindow int, window time.Duration) bool {
	if inWindow < a.limit || a.limit >= a.ceiling {
		return false
	}
	if now.Sub(a.changed) < window {
		return false
	}
	if !a.last429.IsZero() && now.Sub(a.last429) < quietWindows*window {
		return false
	}
	if a.cautious && now.Sub(a.changed) < time.Duration(a.hold)*window {
		return false
	}
	// A full window at limit and no 429 in it: limit is proven.
	if a.probing && a.cautious {
		a.hold = max(holdStart, a.hold/2)
	}
	a.proven = max(a.proven, a.limit)
	step := 1
	if !a.cautious {
		step = max(1, a.limit/2)
	}
	a.limit = min(a.limit+step, a.ceiling)
	a.changed = now
	a.probing = true
	return true
}

// reserved counts a call that went out.
func (a *allowance) reserved() { a.run++ }

// released uncounts a reservation that was not used.
func (a *allowance) released() { a.run = max(0, a.run-1) }

// rejected learns from a 429 on a call that posts; inWindow is how many
// calls the group accepted in the window before it (the refused one not
// counted). It reports whether the limit was lowered.
func (a *allowance) rejected(now time.Time, inWindow int) bool {
	a.run = max(0, a.run-1) // the refused call
	continuing := a.run == 0 && !a.last429.IsZero()
	a.last429 = now
	if continuing {
		return false
	}
	a.run = 0
	if a.cautious && a.probing && inWindow >= a.proven {
		a.hold = min(holdMax, a.hold*2)
	}
	a.probing = false
	a.cautious = true
	next := max(1, inWindow, (a.limit+1)/2)
	if next >= a.limit {
		return false
	}
	a.limit = next
	a.changed = now
	return true
}
