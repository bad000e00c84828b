package statetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Leases and replica presence (bridge.Leases). Expiries are the database's
// clock: a test that needs a lease to expire gives it a TTL of a
// millisecond and retries, bounded by expireWithin, until the database says
// it has expired — no fixed sleeps.

const (
	// long is a TTL that does not run out during a test.
	long = time.Hour
	// blink is a TTL that runs out almost at once.
	blink = time.Millisecond
	// expireWithin bounds the wait for a blink to run out.
	expireWithin = 10 * time.Second
)

// leasesOf is st's bridge.Leases; the test fails without one.
func leasesOf(t *testing.T, st bridge.State) bridge.Leases {
	t.Helper()
	if ct, ok := st.(*closeTracker); ok {
		st = ct.State
	}
	l, ok := st.(bridge.Leases)
	if !ok {
		t.Fatalf("%T does not implement bridge.Leases", st)
	}
	return l
}

// freshLeases opens an empty database for this test and its leases.
func (s *suite) freshLeases(t *testing.T) bridge.Leases {
	t.Helper()
	return leasesOf(t, s.fresh(t))
}

// acquire asks for the lease and fails the test on an error or an answer
// other than wantHeld.
func acquire(t *testing.T, l bridge.Leases, name, holder string, ttl time.Duration, wantHeld bool) bridge.Lease {
	t.Helper()
	got, held, err := l.AcquireLease(t.Context(), name, holder, ttl)
	must(t, fmt.Sprintf("AcquireLease(%s, %s)", name, holder), err)
	if held != wantHeld {
		t.Fatalf("AcquireLease(%s, %s) held = %v, want %v (lease as it stands: %+v)", name, holder, held, wantHeld, got)
	}
	if got.Name != name {
		t.Errorf("AcquireLease(%s, %s).Name = %q", name, holder, got.Name)
	}
	return got
}

// eventually retries try until it reports true, failing the test after
// expireWithin.
func eventually(t *testing.T, what string, try func() bool) {
	t.Helper()
	deadline := time.Now().Add(expireWithin)
	for !try() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, expireWithin)
		}
	}
}

// takeWhenExpired retries holder's acquisition of a lease that another
// holder has for a blink until it succeeds.
func takeWhenExpired(t *testing.T, l bridge.Leases, name, holder string, ttl time.Duration) bridge.Lease {
	t.Helper()
	var got bridge.Lease
	eventually(t, fmt.Sprintf("%s takes %s over once it expired", holder, name), func() bool {
		var held bool
		var err error
		got, held, err = l.AcquireLease(t.Context(), name, holder, ttl)
		must(t, fmt.Sprintf("AcquireLease(%s, %s)", name, holder), err)
		return held
	})
	return got
}

// expiresAround checks that an expiry on the database's clock is ttl after
// the test's clock, within a minute (the database runs beside the test).
func expiresAround(t *testing.T, what string, got time.Time, before, after time.Time, ttl time.Duration) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: expiry %v is not UTC", what, got)
	}
	if got.Before(before.Add(ttl-time.Minute)) || got.After(after.Add(ttl+time.Minute)) {
		t.Errorf("%s: expires at %s, want about %s after %s", what, fmtTime(got), ttl, fmtTime(before))
	}
}

var leaseTests = []test{
	{"acquire_a_free_lease", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		before := time.Now()
		got := acquire(t, l, "store:shop-a", "replica-1", long, true)
		after := time.Now()
		if got.Holder != "replica-1" {
			t.Errorf("Holder = %q, want replica-1", got.Holder)
		}
		if got.Token <= 0 {
			t.Errorf("Token = %d, want a positive token", got.Token)
		}
		expiresAround(t, "the new lease", got.ExpiresAt, before, after, long)
	}},
	{"renewed_by_its_holder_with_the_same_token", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		first := acquire(t, l, "store:shop-a", "replica-1", time.Minute, true)
		second := acquire(t, l, "store:shop-a", "replica-1", long, true)
		if second.Token != first.Token {
			t.Errorf("renewal changed the token: %d, then %d", first.Token, second.Token)
		}
		if !second.ExpiresAt.After(first.ExpiresAt) {
			t.Errorf("renewal for %s did not move the expiry past the first one's (%s): %s", long, fmtTime(first.ExpiresAt), fmtTime(second.ExpiresAt))
		}
	}},
	{"refused_to_another_holder_while_unexpired", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		mine := acquire(t, l, "store:shop-a", "replica-1", long, true)
		theirs := acquire(t, l, "store:shop-a", "replica-2", long, false)
		check(t, "the refused acquisition's lease (the holder's)", theirs, mine)
		// The refusal changed nothing: the holder renews as before.
		again := acquire(t, l, "store:shop-a", "replica-1", long, true)
		if again.Token != mine.Token {
			t.Errorf("token after a refused takeover = %d, want %d", again.Token, mine.Token)
		}
		// Other names are independent.
		acquire(t, l, "store:shop-b", "replica-2", long, true)
	}},
	{"taken_over_after_expiry_with_a_larger_token", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		old := acquire(t, l, "store:shop-a", "replica-1", blink, true)
		taken := takeWhenExpired(t, l, "store:shop-a", "replica-2", long)
		if taken.Holder != "replica-2" || taken.Token <= old.Token {
			t.Errorf("takeover = %+v, want replica-2's with a token larger than %d", taken, old.Token)
		}
		// The old holder's renewal is refused now, and says who holds it.
		refused := acquire(t, l, "store:shop-a", "replica-1", long, false)
		check(t, "the old holder's refused renewal", refused, taken)
	}},
	{"same_holder_after_expiry_is_a_new_tenure", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		old := acquire(t, l, "report", "replica-1", blink, true)
		eventually(t, "the lease expires", func() bool {
			cur, err := l.CurrentLeases(t.Context())
			must(t, "CurrentLeases", err)
			return len(cur) == 0
		})
		again := acquire(t, l, "report", "replica-1", long, true)
		if again.Token <= old.Token {
			t.Errorf("token after the holder took its expired lease again = %d, want more than %d", again.Token, old.Token)
		}
	}},
	{"release", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		ctx := t.Context()
		mine := acquire(t, l, "store:shop-a", "replica-1", long, true)
		must(t, "ReleaseLease by another holder", l.ReleaseLease(ctx, "store:shop-a", "replica-2"))
		acquire(t, l, "store:shop-a", "replica-2", long, false)
		must(t, "ReleaseLease of a lease never taken", l.ReleaseLease(ctx, "store:nobody", "replica-1"))

		must(t, "ReleaseLease", l.ReleaseLease(ctx, "store:shop-a", "replica-1"))
		cur, err := l.CurrentLeases(ctx)
		must(t, "CurrentLeases", err)
		check(t, "leases after the only one was released", cur, []bridge.Lease(nil))
		must(t, "ReleaseLease again", l.ReleaseLease(ctx, "store:shop-a", "replica-1"))

		// Another replica takes it at once, with a larger token.
		next := acquire(t, l, "store:shop-a", "replica-2", long, true)
		if next.Token <= mine.Token {
			t.Errorf("token after release = %d, want more than %d", next.Token, mine.Token)
		}
		// Released and taken back by turns, the token only grows.
		holder, last := "replica-2", next.Token
		for i, h := range []string{"replica-1", "replica-2", "replica-1"} {
			must(t, "ReleaseLease", l.ReleaseLease(ctx, "store:shop-a", holder))
			got := acquire(t, l, "store:shop-a", h, long, true)
			if got.Token <= last {
				t.Errorf("tenure %d (%s): token %d, want more than %d", i+3, h, got.Token, last)
			}
			holder, last = h, got.Token
		}
	}},
	{"current_leases", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		ctx := t.Context()
		cur, err := l.CurrentLeases(ctx)
		must(t, "CurrentLeases of a new database", err)
		check(t, "leases of a new database", cur, []bridge.Lease(nil))

		c := acquire(t, l, "telegram-updates", "replica-2", long, true)
		a := acquire(t, l, "alerts", "replica-1", long, true)
		acquire(t, l, "report", "replica-1", blink, true)
		b := acquire(t, l, "store:shop-a", "replica-1", long, true)
		var got []bridge.Lease
		eventually(t, "the blink lease expires", func() bool {
			got, err = l.CurrentLeases(ctx)
			must(t, "CurrentLeases", err)
			return len(got) == 3
		})
		check(t, "CurrentLeases (unexpired, by name)", got, []bridge.Lease{a, b, c})
	}},
	{"racing_holders_one_wins", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		const racers = 8
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			wins  []string
			fails []error
		)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				holder := fmt.Sprintf("replica-%d", i)
				_, held, err := l.AcquireLease(t.Context(), "store:contended", holder, long)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					fails = append(fails, err)
				}
				if held {
					wins = append(wins, holder)
				}
			}()
		}
		wg.Wait()
		if len(fails) > 0 {
			t.Fatalf("AcquireLease raced: %v", fails)
		}
		if len(wins) != 1 {
			t.Fatalf("%d racers for one free lease won: %v, want exactly one", len(wins), wins)
		}
		cur, err := l.CurrentLeases(t.Context())
		must(t, "CurrentLeases", err)
		if len(cur) != 1 || cur[0].Holder != wins[0] {
			t.Errorf("CurrentLeases = %+v, want %s's lease", cur, wins[0])
		}
	}},
	{"refuses_a_bad_request", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		ctx := t.Context()
		for _, c := range []struct {
			name, holder string
			ttl          time.Duration
		}{{"report", "replica-1", 0}, {"report", "replica-1", -time.Second}, {"", "replica-1", long}, {"report", "", long}} {
			if _, held, err := l.AcquireLease(ctx, c.name, c.holder, c.ttl); err == nil || held {
				t.Errorf("AcquireLease(%q, %q, %s) = held %v, err %v; want an error", c.name, c.holder, c.ttl, held, err)
			}
		}
		if _, err := l.HeartbeatReplica(ctx, "replica-1", 0); err == nil {
			t.Error("HeartbeatReplica with a zero TTL: no error")
		}
		if _, err := l.HeartbeatReplica(ctx, "", long); err == nil {
			t.Error("HeartbeatReplica of an unnamed replica: no error")
		}
		cur, err := l.CurrentLeases(ctx)
		must(t, "CurrentLeases", err)
		check(t, "leases after refused requests", cur, []bridge.Lease(nil))
	}},
}

var replicaTests = []test{
	{"heartbeat_expiry_and_removal", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		ctx := t.Context()
		live, err := l.LiveReplicas(ctx)
		must(t, "LiveReplicas of a new database", err)
		check(t, "replicas of a new database", live, []bridge.Replica(nil))

		before := time.Now()
		exp1, err := l.HeartbeatReplica(ctx, "replica-1", long)
		must(t, "HeartbeatReplica(replica-1)", err)
		expiresAround(t, "replica-1's heartbeat", exp1, before, time.Now(), long)
		_, err = l.HeartbeatReplica(ctx, "replica-2", blink)
		must(t, "HeartbeatReplica(replica-2)", err)
		eventually(t, "replica-2's heartbeat expires", func() bool {
			live, err = l.LiveReplicas(ctx)
			must(t, "LiveReplicas", err)
			return len(live) == 1
		})
		check(t, "live replicas once replica-2's heartbeat expired", live, []bridge.Replica{{ID: "replica-1", ExpiresAt: exp1}})

		// A heartbeat brings it back; a later one moves the expiry on.
		exp2, err := l.HeartbeatReplica(ctx, "replica-2", time.Minute)
		must(t, "HeartbeatReplica(replica-2) again", err)
		exp2b, err := l.HeartbeatReplica(ctx, "replica-2", long)
		must(t, "HeartbeatReplica(replica-2) once more", err)
		if !exp2b.After(exp2) {
			t.Errorf("a later heartbeat for longer did not move the expiry on: %s, then %s", fmtTime(exp2), fmtTime(exp2b))
		}
		live, err = l.LiveReplicas(ctx)
		must(t, "LiveReplicas", err)
		check(t, "live replicas", live, []bridge.Replica{{ID: "replica-1", ExpiresAt: exp1}, {ID: "replica-2", ExpiresAt: exp2b}})

		must(t, "RemoveReplica(replica-1)", l.RemoveReplica(ctx, "replica-1"))
		must(t, "RemoveReplica of an unknown replica", l.RemoveReplica(ctx, "replica-9"))
		live, err = l.LiveReplicas(ctx)
		must(t, "LiveReplicas", err)
		check(t, "live replicas after replica-1 left", live, []bridge.Replica{{ID: "replica-2", ExpiresAt: exp2b}})
	}},
	{"independent_of_leases", func(t *testing.T, s *suite) {
		l := s.freshLeases(t)
		ctx := t.Context()
		acquire(t, l, "store:shop-a", "replica-1", long, true)
		live, err := l.LiveReplicas(ctx)
		must(t, "LiveReplicas", err)
		check(t, "replicas after a lease (no heartbeat)", live, []bridge.Replica(nil))
		_, err = l.HeartbeatReplica(ctx, "replica-1", long)
		must(t, "HeartbeatReplica", err)
		must(t, "RemoveReplica", l.RemoveReplica(ctx, "replica-1"))
		acquire(t, l, "store:shop-a", "replica-1", long, true)
	}},
}
