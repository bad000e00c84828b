package lease_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/lease"
	"github.com/shopbridge/shopbridge/bridge/lease/leasetest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// cfg is the default timing: TTL 10 s, rounds every 3.33 s, margin 2 s.
func cfg() lease.Config {
	var c lease.Config
	c.SetDefaults()
	return c
}

// work is the leased work of every replica of a test, as the callbacks
// start and stop it: it fails the test when a replica starts the work of a
// lease that another replica is still doing.
type work struct {
	t     *testing.T
	clock *bridgetest.Clock

	mu      sync.Mutex
	running map[string]string // lease → replica doing its work
	tokens  map[string]int64  // lease → token of the running tenure
	log     []string          // "replica +lease token @t", "replica -lease @t"
	lostAt  map[string]map[string]time.Time
	gotAt   map[string]map[string]time.Time
}

func newWork(t *testing.T, clock *bridgetest.Clock) *work {
	return &work{t: t, clock: clock, running: map[string]string{}, tokens: map[string]int64{},
		lostAt: map[string]map[string]time.Time{}, gotAt: map[string]map[string]time.Time{}}
}

func (w *work) at() string { return w.clock.Now().Sub(t0).String() }

func (w *work) deps(f bridge.Leases, replica string, ns []string) lease.Deps {
	return lease.Deps{
		Leases: f, Holder: replica, Names: ns, Clock: w.clock,
		OnAcquired: func(name string, token int64) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if other, busy := w.running[name]; busy {
				w.t.Errorf("%s started %s (token %d) at %s while %s still runs it (token %d)",
					replica, name, token, w.at(), other, w.tokens[name])
			}
			if token <= w.tokens[name] {
				w.t.Errorf("%s started %s with token %d, not above the last tenure's %d", replica, name, token, w.tokens[name])
			}
			w.running[name], w.tokens[name] = replica, token
			w.log = append(w.log, fmt.Sprintf("%s +%s %d @%s", replica, name, token, w.at()))
			if w.gotAt[replica] == nil {
				w.gotAt[replica] = map[string]time.Time{}
			}
			w.gotAt[replica][name] = w.clock.Now()
		},
		OnLost: func(name string) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.running[name] != replica {
				w.t.Errorf("%s stopped %s at %s, which it was not running (%q runs it)", replica, name, w.at(), w.running[name])
			}
			delete(w.running, name)
			w.log = append(w.log, fmt.Sprintf("%s -%s @%s", replica, name, w.at()))
			if w.lostAt[replica] == nil {
				w.lostAt[replica] = map[string]time.Time{}
			}
			w.lostAt[replica][name] = w.clock.Now()
		},
	}
}

// runs lists the leases whose work replica runs.
func (w *work) runs(replica string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for n, r := range w.running {
		if r == replica {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func heldNames(c *lease.Coordinator) []string {
	var out []string
	for _, h := range c.Held() {
		out = append(out, h.Name)
	}
	return out
}

// settle waits until the callbacks have caught up with what each
// coordinator holds: the fencing timers fire in goroutines of their own
// when the fake clock passes them.
func (w *work) settle(cs ...*lease.Coordinator) {
	w.t.Helper()
	for _, c := range cs {
		bridgetest.Eventually(w.t, c.Holder()+"'s work matches its leases", func() bool {
			return slices.Equal(w.runs(c.Holder()), heldNames(c))
		})
	}
}

// checkExclusive fails the test when a lease is held by two coordinators,
// or (exact) by none; it also checks that the coordinators agree with the
// database.
func checkExclusive(t *testing.T, f *leasetest.Fake, ns []string, exact bool, cs ...*lease.Coordinator) {
	t.Helper()
	for _, n := range ns {
		var by []string
		for _, c := range cs {
			if _, ok := c.Holds(n); ok {
				by = append(by, c.Holder())
			}
		}
		switch {
		case len(by) > 1:
			t.Fatalf("%s is held by %v at once", n, by)
		case len(by) == 1 && f.Holder(n) != by[0]:
			t.Fatalf("%s holds %s, but the database says %q", by[0], n, f.Holder(n))
		case len(by) == 0 && exact:
			t.Fatalf("%s is held by nobody (the database says %q)", n, f.Holder(n))
		}
	}
}

func newCoordinator(t *testing.T, w *work, f bridge.Leases, replica string, ns []string) *lease.Coordinator {
	t.Helper()
	c, err := lease.New(cfg(), w.deps(f, replica, ns))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// step advances the clock by d, lets the fencing timers fire, then runs a
// round of each coordinator in turn.
func step(t *testing.T, w *work, clock *bridgetest.Clock, d time.Duration, cs ...*lease.Coordinator) {
	t.Helper()
	clock.Advance(d)
	w.settle(cs...)
	for _, c := range cs {
		c.Step(t.Context())
		w.settle(cs...)
	}
}

func sharedNames() []string {
	ns := []string{lease.TelegramUpdates, lease.Report, lease.Alerts, lease.Destination("C-inbox")}
	for i := range 9 {
		ns = append(ns, lease.Store(bridge.StoreID(fmt.Sprintf("shop-%d", i))))
	}
	slices.Sort(ns)
	return ns
}

func TestConfigDefaultsMeetTheTakeoverTarget(t *testing.T) {
	c := cfg()
	if c.TTL != 10*time.Second || c.RenewEvery != c.TTL/3 || c.Margin != 2*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	if b := c.TakeoverBound(); b > 15*time.Second {
		t.Errorf("TakeoverBound = %s, want within the 15 s target", b)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	bad := lease.Config{TTL: 10 * time.Second, RenewEvery: 8 * time.Second, Margin: 2 * time.Second}
	if err := bad.Validate(); err == nil {
		t.Error("Validate accepted a renew interval that lets leases lapse")
	}
	if _, err := lease.New(bad, lease.Deps{Leases: leasetest.New(bridgetest.NewClock(t0)), Holder: "r"}); err == nil {
		t.Error("New accepted a bad config")
	}
	if _, err := lease.New(lease.Config{}, lease.Deps{Leases: leasetest.New(bridgetest.NewClock(t0))}); err == nil {
		t.Error("New accepted a coordinator without a holder ID")
	}
}

func TestSingleReplicaTakesEverythingAndRenews(t *testing.T) {
	clock := bridgetest.NewClock(t0)
	f := leasetest.New(clock)
	w := newWork(t, clock)
	ns := sharedNames()
	c := newCoordinator(t, w, f, "replica-1", ns)
	c.Step(t.Context())
	if got := w.runs("replica-1"); !slices.Equal(got, ns) {
		t.Fatalf("after one round the replica runs %v, want every lease %v", got, ns)
	}
	checkExclusive(t, f, ns, true, c)
	first := c.Held()
	for range 10 {
		step(t, w, clock, c.Config().RenewEvery, c)
	}
	checkExclusive(t, f, ns, true, c)
	again := c.Held()
	for i := range first {
		if again[i].Token != first[i].Token || !again[i].Since.Equal(first[i].Since) || !again[i].Until.After(first[i].Until) {
			t.Errorf("renewed %+v, first %+v: want the same tenure, later end", again[i], first[i])
		}
	}
	if s := c.Stats(); s.Acquired != int64(len(ns)) || s.Lost != 0 || s.Released != 0 {
		t.Errorf("Stats = %+v, want %d acquired and nothing else", s, len(ns))
	}
	if got := c.Replicas(); !slices.Equal(got, []string{"replica-1"}) {
		t.Errorf("Replicas = %v", got)
	}
}

// Two replicas share the names evenly; one stops renewing (it died) and the
// other takes its leases within TTL + renew interval; a third joins and
// the names rebalance. At every step a lease is held by at most one
// replica, and the work of a lease never runs on two.
func TestReplicasShareTakeOverAndRebalance(t *testing.T) {
	clock := bridgetest.NewClock(t0)
	f := leasetest.New(clock)
	w := newWork(t, clock)
	ns := sharedNames()
	c1 := newCoordinator(t, w, f.Link(), "replica-1", ns)
	c2 := newCoordinator(t, w, f.Link(), "replica-2", ns)
	every := cfg().RenewEvery

	// Start: the first round of replica-1 sees itself alone and takes
	// everything; the next round hands replica-2 its share.
	step(t, w, clock, 0, c1, c2)
	checkExclusive(t, f, ns, true, c1, c2)
	step(t, w, clock, every, c1, c2)
	checkExclusive(t, f, ns, true, c1, c2)
	if n1, n2 := len(c1.Held()), len(c2.Held()); n1+n2 != len(ns) || n1 < 6 || n2 < 6 {
		t.Fatalf("two replicas hold %d and %d of %d leases, want an even share", n1, n2, len(ns))
	}
	for range 5 {
		step(t, w, clock, every, c1, c2)
		checkExclusive(t, f, ns, true, c1, c2)
	}
	if s := c1.Stats(); s.Lost != 0 {
		t.Errorf("replica-1 lost leases in a steady state: %+v", s)
	}

	// replica-1 dies: it runs no more rounds (its fencing timers still
	// fire, as they would not on a dead host; nothing depends on them).
	died := clock.Now()
	own1 := heldNames(c1)
	var allAt time.Time
	for i := 0; allAt.IsZero(); i++ {
		if i > 10 {
			t.Fatalf("replica-2 still holds only %v after %d rounds", heldNames(c2), i)
		}
		step(t, w, clock, every, c2)
		w.settle(c1)
		checkExclusive(t, f, ns, false, c1, c2)
		if len(c2.Held()) == len(ns) {
			allAt = clock.Now()
		}
	}
	bound := cfg().TakeoverBound()
	if took := allAt.Sub(died); took > bound {
		t.Errorf("replica-2 took replica-1's leases %s after its last renewal, want within %s", took, bound)
	}
	for _, n := range own1 {
		lost, got := w.lostAt["replica-1"][n], w.gotAt["replica-2"][n]
		if lost.IsZero() || !lost.Before(got) {
			t.Errorf("%s: replica-1 stopped its work at %v, replica-2 started it at %v: want stopped first", n, lost.Sub(t0), got.Sub(t0))
		}
	}

	// replica-3 joins: the names rebalance between replica-2 and replica-3.
	c3 := newCoordinator(t, w, f.Link(), "replica-3", ns)
	step(t, w, clock, every, c2, c3)
	checkExclusive(t, f, ns, true, c2, c3)
	step(t, w, clock, every, c2, c3)
	checkExclusive(t, f, ns, true, c2, c3)
	if n2, n3 := len(c2.Held()), len(c3.Held()); n2+n3 != len(ns) || n2 < 6 || n3 < 6 {
		t.Fatalf("after replica-3 joined: %d and %d of %d leases, want an even share", n2, n3, len(ns))
	}
	if s := c2.Stats(); s.Released == 0 {
		t.Errorf("replica-2 released nothing when replica-3 joined: %+v", s)
	}
	for range 5 {
		step(t, w, clock, every, c2, c3)
		checkExclusive(t, f, ns, true, c2, c3)
	}
	t.Logf("work log:\n%s", strings.Join(w.log, "\n"))
}

// A replica partitioned from the database — its calls hang — stops the
// work of its leases before the database lets another replica take them,
// and shares the work again once it is back.
func TestPartitionedReplicaStopsItsWorkBeforeTakeover(t *testing.T) {
	clock := bridgetest.NewClock(t0)
	f := leasetest.New(clock)
	w := newWork(t, clock)
	ns := sharedNames()
	l1 := f.Link()
	c1 := newCoordinator(t, w, l1, "replica-1", ns)
	c2 := newCoordinator(t, w, f.Link(), "replica-2", ns)
	every := cfg().RenewEvery
	step(t, w, clock, 0, c1, c2)
	step(t, w, clock, every, c1, c2)
	checkExclusive(t, f, ns, true, c1, c2)
	own1 := heldNames(c1)
	tokens1 := map[string]int64{}
	for _, h := range c1.Held() {
		tokens1[h.Name] = h.Token
	}
	lastRenewal := clock.Now()

	// The partition: replica-1's round hangs on the database.
	l1.Hang()
	clock.Advance(every)
	w.settle(c1, c2)
	c2.Step(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c1.Step(t.Context())
	}()
	bridgetest.Eventually(t, "replica-1's round waits on the database", func() bool { return l1.Waiting() > 0 })

	// Time passes in seconds; replica-2 runs its rounds. replica-1 holds
	// its leases until TTL - margin after its last renewal, not a moment
	// longer.
	fence := lastRenewal.Add(cfg().TTL - cfg().Margin)
	c2Last := clock.Now()
	for clock.Now().Sub(lastRenewal) < 20*time.Second {
		clock.Advance(time.Second)
		for _, n := range own1 {
			if _, ok := c1.Holds(n); ok != clock.Now().Before(fence) {
				t.Fatalf("%s after its last renewal: replica-1 Holds(%s) = %v", clock.Now().Sub(lastRenewal), n, ok)
			}
		}
		w.settle(c1, c2)
		if clock.Now().Sub(c2Last) >= every {
			c2.Step(t.Context())
			c2Last = clock.Now()
			w.settle(c1, c2)
		}
		checkExclusive(t, f, ns, false, c1, c2)
	}
	if got := heldNames(c1); len(got) != 0 {
		t.Fatalf("the partitioned replica still holds %v", got)
	}
	if got := heldNames(c2); len(got) != len(ns) {
		t.Fatalf("replica-2 holds %v, want every lease", got)
	}
	for _, n := range own1 {
		// (The work log's times are those of the one-second steps.)
		lost, got := w.lostAt["replica-1"][n], w.gotAt["replica-2"][n]
		if lost.IsZero() {
			t.Errorf("%s: replica-1 never stopped its work", n)
			continue
		}
		if !lost.Before(lastRenewal.Add(cfg().TTL)) {
			t.Errorf("%s: replica-1 stopped %s after its last renewal, want before its lease expired (TTL)", n, lost.Sub(lastRenewal))
		}
		if !got.After(lost) {
			t.Errorf("%s: replica-2 started at %s, replica-1 stopped at %s: want stopped first", n, got.Sub(t0), lost.Sub(t0))
		}
		if took := got.Sub(lastRenewal); took > cfg().TakeoverBound() {
			t.Errorf("%s: taken over %s after replica-1's last renewal, want within %s", n, took, cfg().TakeoverBound())
		}
	}

	// Back: replica-1's hung round ends, and it gets its share again, with
	// new tokens.
	l1.Restore()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("replica-1's round did not end once the database was back")
	}
	w.settle(c1, c2)
	// replica-2 hands replica-1's share over in its round after seeing it
	// back; replica-1 takes it in its next round (a gap of one round).
	step(t, w, clock, every, c1, c2)
	checkExclusive(t, f, ns, false, c1, c2)
	for range 3 {
		step(t, w, clock, every, c1, c2)
		checkExclusive(t, f, ns, true, c1, c2)
	}
	if n1 := len(c1.Held()); n1 < 6 {
		t.Errorf("replica-1 holds %d leases once back, want its share", n1)
	}
	for _, h := range c1.Held() {
		if old, ok := tokens1[h.Name]; ok && h.Token <= old {
			t.Errorf("%s: replica-1's new tenure has token %d, not above its old %d", h.Name, h.Token, old)
		}
	}
	if s := c1.Stats(); s.Lost != int64(len(own1)) {
		t.Errorf("replica-1 Stats = %+v, want %d lost", s, len(own1))
	}
}

// A grant that arrives after the lease's local end is not counted on.
func TestLateAnswerIsNotCountedOn(t *testing.T) {
	clock := bridgetest.NewClock(t0)
	f := leasetest.New(clock)
	w := newWork(t, clock)
	slow := &slowLeases{Leases: f, clock: clock, delay: cfg().TTL}
	c := newCoordinator(t, w, slow, "replica-1", []string{lease.Report})
	c.Step(t.Context())
	if got := w.runs("replica-1"); len(got) != 0 {
		t.Errorf("a grant answered %s late started %v", cfg().TTL, got)
	}
	if _, ok := c.Holds(lease.Report); ok {
		t.Error("Holds after a late grant")
	}
	slow.delay = 0
	step(t, w, clock, cfg().RenewEvery, c)
	if got := w.runs("replica-1"); !slices.Equal(got, []string{lease.Report}) {
		t.Errorf("once answers are prompt the replica runs %v", got)
	}
}

// slowLeases answers AcquireLease after delay on the clock.
type slowLeases struct {
	bridge.Leases
	clock *bridgetest.Clock
	delay time.Duration
}

func (s *slowLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bridge.Lease, bool, error) {
	l, ok, err := s.Leases.AcquireLease(ctx, name, holder, ttl)
	s.clock.Advance(s.delay)
	return l, ok, err
}

// A live replica that does not take a name assigned to it (it does not
// know the name) leaves it free; another adopts it after a round and keeps
// it, without flapping, until the replicas change.
func TestFreeNameIsAdoptedWithoutFlapping(t *testing.T) {
	clock := bridgetest.NewClock(t0)
	f := leasetest.New(clock)
	w := newWork(t, clock)
	ns := sharedNames()
	c1 := newCoordinator(t, w, f, "replica-1", ns)
	c2 := newCoordinator(t, w, f, "replica-2", nil)
	every := cfg().RenewEvery
	// Round 1: replica-1 alone takes everything; 2: it sees replica-2 and
	// hands its share over; 3: sees the share free; 4: adopts it.
	for range 4 {
		step(t, w, clock, every, c1, c2)
	}
	if got := heldNames(c1); !slices.Equal(got, ns) {
		t.Fatalf("replica-1 holds %v, want every lease (replica-2 takes none)", got)
	}
	adopted := 0
	for _, h := range c1.Held() {
		if h.Adopted {
			adopted++
		}
	}
	if adopted == 0 {
		t.Error("no lease is marked adopted")
	}
	before := c1.Stats()
	for range 6 {
		step(t, w, clock, every, c1, c2)
	}
	if s := c1.Stats(); s != before {
		t.Errorf("the adopted leases flapped: Stats %+v, then %+v", before, s)
	}
	// replica-2 learns the names: once the replicas change (replica-3
	// comes), the adopted leases are handed over as assigned.
	c2.SetNames(ns)
	c3 := newCoordinator(t, w, f, "replica-3", ns)
	for range 3 {
		step(t, w, clock, every, c1, c2, c3)
		checkExclusive(t, f, ns, false, c1, c2, c3)
	}
	checkExclusive(t, f, ns, true, c1, c2, c3)
	for _, c := range []*lease.Coordinator{c1, c2, c3} {
		if n := len(c.Held()); n < 4 || n > 5 {
			t.Errorf("%s holds %d of %d leases, want 4 or 5", c.Holder(), n, len(ns))
		}
	}
}

// A name dropped from the set is given up; one added is taken.
func TestSetNames(t *testing.T) {
	clock := bridgetest.NewClock(t0)
	f := leasetest.New(clock)
	w := newWork(t, clock)
	c := newCoordinator(t, w, f, "replica-1", []string{"store:a", "store:b"})
	c.Step(t.Context())
	c.SetNames([]string{"store:b", "store:c"})
	c.Step(t.Context())
	if got := w.runs("replica-1"); !slices.Equal(got, []string{"store:b", "store:c"}) {
		t.Errorf("after SetNames the replica runs %v", got)
	}
	if h := f.Holder("store:a"); h != "" {
		t.Errorf("store:a is still held by %q in the database", h)
	}
}

// Run renews on the clock and, when its context ends, stops the work,
// releases every lease and removes its heartbeat, so that another replica
// takes over at once.
func TestRunRenewsAndStopsCleanly(t *testing.T) {
	clock := bridgetest.NewClock(t0)
	f := leasetest.New(clock)
	w := newWork(t, clock)
	ns := []string{lease.Alerts, lease.Report, lease.TelegramUpdates}
	c := newCoordinator(t, w, f, "replica-1", ns)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	// A round is 3 calls (heartbeat, replicas, leases) and one per name.
	perRound := 3 + len(ns)
	bridgetest.Eventually(t, "the first round", func() bool { return f.Calls() == perRound && len(w.runs("replica-1")) == len(ns) })
	// Parked: the fencing timer and the wait for the next round.
	if err := clock.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	first := c.Held()[0].Until
	clock.Advance(c.Config().RenewEvery)
	bridgetest.Eventually(t, "the second round renewed", func() bool {
		h := c.Held()
		return len(h) == len(ns) && h[len(h)-1].Until.After(first)
	})
	if n := f.Calls(); n != 2*perRound {
		t.Errorf("%d calls after two rounds, want %d", n, 2*perRound)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if got := w.runs("replica-1"); len(got) != 0 {
		t.Errorf("still running %v after Run returned", got)
	}
	for _, n := range ns {
		if h := f.Holder(n); h != "" {
			t.Errorf("%s still held by %q after a clean stop", n, h)
		}
	}
	live, _ := f.LiveReplicas(t.Context())
	if len(live) != 0 {
		t.Errorf("live replicas after a clean stop: %v", live)
	}
	if s := c.Stats(); s.Released != int64(len(ns)) || s.Lost != 0 {
		t.Errorf("Stats = %+v, want %d released", s, len(ns))
	}
	// Another replica takes over at once, with larger tokens.
	c2 := newCoordinator(t, w, f, "replica-2", ns)
	c2.Step(t.Context())
	if got := w.runs("replica-2"); !slices.Equal(got, ns) {
		t.Errorf("replica-2 runs %v right after replica-1 stopped, want every lease", got)
	}
	c.Step(t.Context()) // a stopped coordinator takes nothing
	if got := w.runs("replica-1"); len(got) != 0 {
		t.Errorf("a stopped coordinator's Step started %v", got)
	}
}
