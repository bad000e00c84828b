package slack

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// queuedFor returns how many waiters a bucket has.
func (p *pacer) queuedFor(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.buckets[key]; ok {
		return b.queued()
	}
	return 0
}

func waitQueued(t *testing.T, p *pacer, key string, n int) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		if p.queuedFor(key) >= n {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("waiters never queued: %d of %d", p.queuedFor(key), n)
		}
	}
}

// fixed is a bucket that stays at one post per second (its cap), so tests of
// ordering are not disturbed by the learner's upward probe.
var fixed = bucketSpec{start: 1, burst: 1, cap: 1}

func TestPacerServesByPriority(t *testing.T) {
	clock := bridgetest.NewClock(epoch)
	p := newPacer(clock)
	ctx := context.Background()
	if _, err := p.wait(ctx, "post:C1", fixed, prioHigh); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 5)
	start := func(name string, prio priority, queuedBefore int) {
		waitQueued(t, p, "post:C1", queuedBefore)
		go func() {
			if pm, err := p.wait(ctx, "post:C1", fixed, prio); err == nil {
				pm.accepted()
				order <- name
			}
		}()
		waitQueued(t, p, "post:C1", queuedBefore+1)
	}
	start("header edit", prioLow, 0)
	start("buyer-1", prioHigh, 1)
	start("open thread", prioNormal, 2)
	start("buyer-2", prioHigh, 3)
	start("alert", prioUrgent, 4)

	var got []string
	for len(got) < 5 {
		if err := clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		select {
		case name := <-order:
			got = append(got, name)
		case <-time.After(5 * time.Second):
			t.Fatalf("no grant after advancing a second; got %v so far", got)
		}
	}
	want := []string{"alert", "buyer-1", "buyer-2", "open thread", "header edit"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("grant order = %v, want %v", got, want)
		}
	}
}

// TestPacerBlocksThenProbesOnce: a 429 blocks the bucket for the whole
// Retry-After; then exactly one request goes, and the others wait for its
// answer before following at the learned rate (no burst into the limit).
func TestPacerBlocksThenProbesOnce(t *testing.T) {
	clock := bridgetest.NewClock(epoch)
	p := newPacer(clock)
	spec := bucketSpec{start: 10, burst: 5}
	ctx := context.Background()
	pm, err := p.wait(ctx, "post:C1", spec, prioHigh)
	if err != nil {
		t.Fatal(err)
	}
	pm.limited(5 * time.Second)

	grants := make(chan *permit, 3)
	for range 3 {
		go func() {
			if pm, err := p.wait(ctx, "post:C1", spec, prioHigh); err == nil {
				grants <- pm
			}
		}()
	}
	waitQueued(t, p, "post:C1", 3)
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d, _ := clock.NextTimer(); d != 5*time.Second {
		t.Fatalf("waiting %v, want the full Retry-After of 5s", d)
	}
	clock.Advance(4 * time.Second)
	select {
	case <-grants:
		t.Fatal("granted before Retry-After passed")
	default:
	}
	clock.Advance(time.Second)
	var probe *permit
	select {
	case probe = <-grants:
	case <-time.After(5 * time.Second):
		t.Fatal("no probe after Retry-After passed")
	}
	if !probe.probe {
		t.Fatal("the first request after a block is not marked as the probe")
	}
	// However long the probe is out, nothing else goes.
	clock.Advance(10 * time.Second)
	waitQueued(t, p, "post:C1", 2)
	select {
	case <-grants:
		t.Fatal("a second request went while the probe was unanswered")
	default:
	}
	probe.accepted()
	// The others follow at the rate, from an empty bucket: one per 100 ms.
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d, _ := clock.NextTimer(); d != 100*time.Millisecond {
		t.Fatalf("next grant in %v after the probe, want 100ms (the learned rate, no burst)", d)
	}
}

func TestPacerCancelledWaiterLeaves(t *testing.T) {
	clock := bridgetest.NewClock(epoch)
	p := newPacer(clock)
	_, _ = p.wait(context.Background(), "k", fixed, prioNormal)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.wait(ctx, "k", fixed, prioNormal)
		errc <- err
	}()
	waitQueued(t, p, "k", 1)
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
	if n := p.queuedFor("k"); n != 0 {
		t.Fatalf("%d waiters left after cancel", n)
	}
}

// saturate feeds the learner one queued grant every interval from *now
// until d has passed, each accepted, and returns the time reached.
func saturate(l *learner, now time.Time, d, every time.Duration) time.Time {
	end := now.Add(d)
	for ; now.Before(end); now = now.Add(every) {
		l.queued(now)
		l.accept()
	}
	return now
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestLearnerRampsFastUntilTheFirst429(t *testing.T) {
	l := newLearner(1, 3, 0)
	now := epoch
	l.queued(now) // saturation starts
	var rates []float64
	for range 4 {
		now = now.Add(rampInterval)
		l.queued(now)
		rates = append(rates, l.rate)
	}
	for i, want := range []float64{2, 4, 8, 16} {
		if !near(rates[i], want) {
			t.Fatalf("rates after each second of saturation = %v, want doubling", rates)
		}
	}
}

func TestLearnerDoesNotRaiseWithoutSaturation(t *testing.T) {
	l := newLearner(1, 3, 0)
	now := epoch
	for range 10 {
		l.immediate() // every request found a token: demand is below the rate
		now = now.Add(rampInterval)
	}
	if l.rate != 1 {
		t.Fatalf("rate %v rose without demand", l.rate)
	}
}

// TestLearner429LowersToAccepted: between two 429s (Slack's bucket empty at
// both) the learner measures what Slack accepted and paces at that.
func TestLearner429LowersToAccepted(t *testing.T) {
	l := newLearner(8, 3, 0)
	l.seen429 = true // ramp slowly, so the rate stays put for the measure
	now := epoch
	l.queued(now)
	l.limited(now, false) // first 429: the reference point
	l.probeAccepted()
	// 30 requests accepted in the 5 s up to the next 429 (6/s accepted
	// while pacing at 8/s).
	for i := range 30 {
		l.queued(now.Add(time.Duration(i) * 5 * time.Second / 30))
		l.accept()
	}
	before := l.rate
	l.limited(now.Add(5*time.Second), false)
	if !near(l.rate, 6) {
		t.Fatalf("rate %v → %v after the 429, want the accepted 6/s", before, l.rate)
	}
}

func TestLearner429NeverMoreThanHalvesNorGoesBelowTheFloor(t *testing.T) {
	l := newLearner(10, 5, 0)
	now := epoch
	l.queued(now)
	l.accept()
	l.accept()
	l.limited(now.Add(10*time.Second), false) // 2 accepted in 10 s: 0.2/s measured
	if !near(l.rate, 5) {
		t.Fatalf("rate %v after one 429, want at most halved to 5", l.rate)
	}
	for i := range 10 {
		l.probeAccepted()
		at := now.Add(time.Duration(11+i) * 10 * time.Second)
		l.queued(at)
		l.accept()
		l.accept()
		l.limited(at.Add(10*time.Second), false)
	}
	if !near(l.rate, 1) {
		t.Fatalf("rate %v after many 429s, want the floor (a tenth of the start: 1)", l.rate)
	}
}

// TestLearnerProbesSlowlyAfterA429: one second after a 429 the rate goes a
// quarter of the way back to the rate that drew it, then rises by 0.5 % per
// second of saturation.
func TestLearnerProbesSlowlyAfterA429(t *testing.T) {
	l := newLearner(10, 5, 0)
	now := epoch
	l.queued(now)
	now = saturate(l, now, 2*time.Second, 100*time.Millisecond) // ramps to 20/s
	l.limited(now, false)                                       // 20 accepted in 2 s: 10/s
	l.probeAccepted()
	if !near(l.rate, 10) || !near(l.hi, 20) {
		t.Fatalf("after the 429: rate %v, hi %v; want 10 (accepted) and 20 (refused)", l.rate, l.hi)
	}
	now = now.Add(time.Second)
	l.queued(now) // saturation starts again
	now = now.Add(rampInterval)
	l.queued(now)
	if !near(l.rate, 12.5) {
		t.Fatalf("rate %v one second later, want a quarter of the way back to 20: 12.5", l.rate)
	}
	for range 10 {
		now = now.Add(rampInterval)
		l.queued(now)
	}
	if want := 12.5 * math.Pow(1+slowStep, 10); !near(l.rate, want) {
		t.Fatalf("rate after 10 more seconds = %v, want %v (0.5 %%/s)", l.rate, want)
	}
}

// TestLearner429OutOfTheBurstShrinksTheBurst: a 429 on a request granted
// without waiting, after a quiet spell, says Slack's burst is smaller.
func TestLearner429OutOfTheBurstShrinksTheBurst(t *testing.T) {
	l := newLearner(1, 3, 0)
	l.immediate()
	l.limited(epoch, true)
	if l.burst != 2 || l.rate != 1 || l.seen429 {
		t.Fatalf("burst %v rate %v seen %v; want burst 2, the rate unchanged and the fast ramp kept", l.burst, l.rate, l.seen429)
	}
}

func TestLearnerRespectsTheCap(t *testing.T) {
	l := newLearner(1, 3, 5)
	now := epoch
	l.queued(now)
	for range 10 {
		now = now.Add(rampInterval)
		l.queued(now)
	}
	if l.rate != 5 {
		t.Fatalf("rate %v, want the cap 5", l.rate)
	}
	if l := newLearner(20, 3, 5); l.rate != 5 {
		t.Fatalf("start rate %v above the cap 5", l.rate)
	}
}

// TestLearnerRefusedProbeUndoesTheLowering: a 429 on the probe that follows
// an honoured Retry-After is not about this bucket's rate (a real rate limit
// has a token by then): the episode's lowering is undone, and a storm does
// not switch a fresh bucket to the slow probe.
func TestLearnerRefusedProbeUndoesTheLowering(t *testing.T) {
	l := newLearner(1, 3, 0)
	now := epoch
	l.queued(now)
	for range 3 {
		now = now.Add(rampInterval)
		l.queued(now)
		l.accept()
	}
	before := l.rate
	now = saturate(l, now, 2*time.Second, time.Second/8)
	l.limited(now, false)
	if l.rate >= before*2 || !l.seen429 {
		t.Fatalf("the 429 did not take effect: rate %v, seen %v", l.rate, l.seen429)
	}
	for range 4 {
		now = now.Add(time.Second)
		l.probeRefused(now)
	}
	if l.seen429 {
		t.Fatal("a storm of 429s switched the bucket to the slow probe")
	}
	if l.rate < before {
		t.Fatalf("rate %v after the storm, want it restored (≥ %v)", l.rate, before)
	}
}
