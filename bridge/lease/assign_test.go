package lease_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/shopbridge/shopbridge/bridge/lease"
)

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("store:shop-%03d", i)
	}
	return out
}

func loads(owner map[string]string) map[string]int {
	l := map[string]int{}
	for _, r := range owner {
		l[r]++
	}
	return l
}

func TestAssignIsEven(t *testing.T) {
	for _, c := range []struct{ names, replicas int }{{100, 3}, {13, 2}, {13, 3}, {2, 3}, {0, 2}, {7, 1}, {64, 5}} {
		t.Run(fmt.Sprintf("%d_over_%d", c.names, c.replicas), func(t *testing.T) {
			var reps []string
			for i := range c.replicas {
				reps = append(reps, fmt.Sprintf("replica-%d", i))
			}
			owner := lease.Assign(names(c.names), reps)
			if len(owner) != c.names {
				t.Fatalf("%d names assigned, want %d", len(owner), c.names)
			}
			floor := c.names / c.replicas
			for _, r := range reps {
				if l := loads(owner)[r]; l < floor || l > floor+1 {
					t.Errorf("%s has %d names, want %d or %d", r, l, floor, floor+1)
				}
			}
		})
	}
	if got := lease.Assign(names(3), nil); got != nil {
		t.Errorf("Assign without replicas = %v, want nil", got)
	}
}

// Every replica computes the same assignment, whatever the order it lists
// names and replicas in.
func TestAssignIsTheSameEverywhere(t *testing.T) {
	ns, reps := names(40), []string{"b", "a", "c"}
	want := lease.Assign(ns, reps)
	rev := slices.Clone(ns)
	slices.Reverse(rev)
	got := lease.Assign(append(rev, rev[0]), []string{"c", "b", "a", "b"})
	for _, n := range ns {
		if got[n] != want[n] {
			t.Errorf("%s: %s in one order, %s in another", n, want[n], got[n])
		}
	}
}

// A replica joining takes names from the others, and few names move
// between the replicas that were there.
func TestAssignMovesFewNamesWhenAReplicaJoins(t *testing.T) {
	ns := names(120)
	before := lease.Assign(ns, []string{"r1", "r2", "r3"})
	after := lease.Assign(ns, []string{"r1", "r2", "r3", "r4"})
	moved, toNew := 0, 0
	for _, n := range ns {
		if before[n] != after[n] {
			moved++
			if after[n] == "r4" {
				toNew++
			}
		}
	}
	if toNew != 30 {
		t.Errorf("the new replica got %d names, want 30", toNew)
	}
	// 30 must move to the new replica; bounded loads shift a few more.
	if moved > 45 {
		t.Errorf("%d of 120 names moved when a fourth replica joined, want at most 45", moved)
	}
	t.Logf("%d of 120 names moved (30 to the new replica)", moved)
}
