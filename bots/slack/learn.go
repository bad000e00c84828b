package slack

import "time"

// Constants of the rate learner. Slack does not publish its allowances
// exactly (chat.postMessage is "about one per second per channel, short
// bursts tolerated"; tiers are per method and workspace) and they differ by
// workspace, so the surface starts from the documented rate and learns the
// real one from Slack's own answers. README.md ("Rate limits") explains the
// algorithm with measured figures.
const (
	// rampInterval is how long a bucket must be saturated (callers queued
	// for its tokens) at one rate, without a 429, before the rate rises.
	// One second is the granularity of Slack's Retry-After, so each rate is
	// tried for at least that long.
	rampInterval = time.Second
	// fastRamp multiplies the rate per rampInterval of saturation while no
	// 429 was ever seen for the bucket: a channel that allows ten times the
	// documented rate is reached in about four seconds, and the rate that
	// finally draws a 429 is at most about twice the real allowance.
	fastRamp = 2.0
	// recoverShare is how far back towards the rate Slack refused (hi) the
	// rate moves after one rampInterval of saturation at the lowered rate
	// (lo): a quarter of the gap. The allowance lies between lo, a lower
	// bound, and hi, which drained Slack's burst: a quarter of the way is
	// close enough to the allowance to lose little, and far enough below hi
	// not to drain Slack's burst again at once.
	recoverShare = 0.25
	// slowStep is how much the rate rises per rampInterval of saturation
	// after that (0.5 %). The overshoot above the allowance then grows so
	// slowly that Slack's burst absorbs it for tens of seconds, so a 429 —
	// which costs a whole Retry-After of posting — stays rare, and an
	// allowance that grew is still found.
	slowStep = 0.005
	// maxDecrease is the lowest factor one 429 applies to the rate: a single
	// answer never more than halves it, so a 429 caused by something else
	// (another app posting in the channel, a workspace-wide limit) cannot
	// collapse the pace.
	maxDecrease = 0.5
	// floorFactor bounds the learned rate from below, as a fraction of the
	// starting rate: pacing is never slower than a tenth of the documented
	// rate, whatever the estimates say (Retry-After still holds it back).
	floorFactor = 0.1
	// minSamples and minWindow make a 429 informative: the rate is lowered
	// to the measured acceptance only when at least minSamples requests were
	// accepted over at least minWindow since the reference point.
	minSamples = 2
	minWindow  = 500 * time.Millisecond
)

// learner is the rate of one bucket, learned from Slack's answers. Its
// methods are called with the pacer's lock held.
//
// "What Slack actually accepted" is measured between two moments at which
// Slack's own bucket is known to be empty, which is what a 429 says: the
// requests accepted between the previous 429 and this one, over the time
// between them (the block included), is what Slack let through. It is a
// lower bound of the allowance (during the block Slack's bucket may have
// filled up to its burst and wasted the rest of its refill). The best such
// bound is kept as lo; the rate that drew the 429 is kept as hi, about an
// upper bound. Before the first 429 of a saturated stretch (or after a
// storm) Slack's bucket was probably full at the reference point, so that
// measure is too high: it lowers the rate but is not kept as lo.
type learner struct {
	rate  float64
	burst float64
	floor float64
	// cap is the configured maximum (0: none).
	cap float64
	// seen429 switches from the fast to the slow upward probe.
	seen429 bool
	// lo is the best lower bound of the allowance measured so far, hi the
	// rate that drew the last informative 429, and target the rate one
	// rampInterval after that 429 (a quarter of the way back to hi).
	lo, hi, target float64

	// satSince is when the current saturated stretch at this rate began
	// (zero: the bucket is not saturated).
	satSince time.Time
	// lastChange is when the rate last changed.
	lastChange time.Time
	// ref and accepted measure acceptance: requests answered (not 429)
	// since ref, the last 429 or the start of saturation.
	ref      time.Time
	accepted int
	// refEmpty says Slack's bucket was empty at ref (ref is a 429 that
	// taught something), so the measure since is a lower bound.
	refEmpty bool

	// episode holds the state before the 429 that started the current
	// block: if the probe after the block is refused too, the 429s are not
	// about this bucket's rate (a storm, an incident, a workspace limit),
	// and the lowering is undone.
	episode bool
	saved   learnerState
}

// learnerState is the part of a learner a refused probe restores.
type learnerState struct {
	rate, lo, hi, target float64
	seen429              bool
	burst                float64
}

func newLearner(start, burst, cap float64) *learner {
	if cap > 0 && start > cap {
		start = cap
	}
	return &learner{rate: start, burst: burst, floor: start * floorFactor, cap: cap}
}

// immediate notes a request granted without waiting: the bucket is not the
// bottleneck, so neither saturation nor acceptance is being measured.
func (l *learner) immediate() {
	l.satSince = time.Time{}
	l.ref, l.accepted, l.refEmpty = time.Time{}, 0, false
}

// queued notes a request granted after waiting for a token, and raises the
// rate after rampInterval of such saturation: doubling until the first 429,
// then back to target, then by slowStep. It reports whether the rate changed.
func (l *learner) queued(now time.Time) bool {
	if l.satSince.IsZero() {
		l.satSince = now
		if l.ref.IsZero() {
			l.ref, l.accepted, l.refEmpty = now, 0, false
		}
		return false
	}
	if now.Sub(l.satSince) < rampInterval || now.Sub(l.lastChange) < rampInterval {
		return false
	}
	if l.cap > 0 && l.rate >= l.cap {
		return false
	}
	switch {
	case !l.seen429:
		l.set(now, l.rate*fastRamp)
	case l.rate < l.target:
		l.set(now, l.target)
	default:
		l.set(now, l.rate*(1+slowStep))
	}
	l.satSince = now
	return true
}

// accept counts a request Slack answered without a 429.
func (l *learner) accept() { l.accepted++ }

// limited handles a 429 on an ordinary request. When it is informative, it
// lowers the rate to lo, the best lower bound measured — or, when the 429
// came at or below lo (the allowance shrank), to this measure — but never
// below half the current rate or the floor, and never up; the rate that
// failed becomes hi, and the upward probe turns slow. A 429 without a
// measure behind it only blocks; if it refused a request granted out of the
// burst (immediate), the burst shrinks by one. The state before is kept
// for undo.
func (l *learner) limited(now time.Time, immediate bool) {
	l.episode = true
	l.saved = learnerState{rate: l.rate, lo: l.lo, hi: l.hi, target: l.target, seen429: l.seen429, burst: l.burst}
	window := now.Sub(l.ref)
	switch {
	case !l.ref.IsZero() && window >= minWindow && l.accepted >= minSamples:
		l.seen429 = true
		est := min(float64(l.accepted)/window.Seconds(), l.rate)
		next := est
		if l.refEmpty {
			if l.rate > l.lo {
				l.lo = max(l.lo, est)
			} else {
				l.lo = est
			}
			next = l.lo
		}
		l.hi = l.rate
		l.set(now, min(l.rate, max(next, l.rate*maxDecrease)))
		l.target = l.rate + (l.hi-l.rate)*recoverShare
	case immediate:
		// Refused out of the bucket's burst, after a quiet spell: Slack's
		// burst is smaller than this bucket's.
		l.burst = max(1, l.burst-1)
	}
	l.ref, l.accepted, l.refEmpty = now, 0, true
	l.satSince = time.Time{}
	l.lastChange = now
}

// probeRefused handles a 429 on the one request sent after a block: Slack
// still refuses although its Retry-After has passed, which a rate limit on
// this bucket does not do. The lowering of this episode is undone; the
// block is repeated by the pacer.
func (l *learner) probeRefused(now time.Time) {
	if l.episode {
		l.rate, l.lo, l.hi, l.target, l.seen429, l.burst = l.saved.rate, l.saved.lo, l.saved.hi, l.saved.target, l.saved.seen429, l.saved.burst
		l.episode = false
	}
	l.ref, l.accepted, l.refEmpty = now, 0, false
	l.satSince = time.Time{}
}

// probeAccepted ends a block episode: the lowering stands.
func (l *learner) probeAccepted() { l.episode = false }

// set changes the rate within the floor and the cap.
func (l *learner) set(now time.Time, r float64) {
	r = max(r, l.floor)
	if l.cap > 0 {
		r = min(r, l.cap)
	}
	l.rate = r
	l.lastChange = now
}
