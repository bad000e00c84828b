package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/lease"
)

// Two replicas, each with its own pool on one schema, share leases through
// bridge/lease's coordinators on the real database: an even share with
// every lease held by exactly one; a clean stop hands the stopped
// replica's leases to the other at its next round, with larger tokens.
func TestCoordinatorsShareLeases(t *testing.T) {
	s := newSchemas(t)
	ns := []string{lease.Report, lease.Alerts, lease.TelegramUpdates}
	for i := range 5 {
		ns = append(ns, lease.Store(bridge.StoreID(fmt.Sprintf("shop-%d", i))))
	}
	slices.Sort(ns)
	var (
		mu      sync.Mutex
		running = map[string]string{}
	)
	coordinator := func(replica string) *lease.Coordinator {
		db := s.open(t, "coordinators")
		t.Cleanup(func() { db.Close() })
		c, err := lease.New(lease.Config{TTL: 30 * time.Second}, lease.Deps{
			Leases: db, Holder: replica, Names: ns,
			OnAcquired: func(name string, _ int64) {
				mu.Lock()
				defer mu.Unlock()
				if other, ok := running[name]; ok {
					t.Errorf("%s started %s while %s runs it", replica, name, other)
				}
				running[name] = replica
			},
			OnLost: func(name string) {
				mu.Lock()
				defer mu.Unlock()
				delete(running, name)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1, c2 := coordinator("replica-1"), coordinator("replica-2")
	ctx := t.Context()
	for range 3 {
		c1.Step(ctx)
		c2.Step(ctx)
	}
	n1, n2 := len(c1.Held()), len(c2.Held())
	if n1 != 4 || n2 != 4 {
		t.Fatalf("replicas hold %d and %d of %d leases, want 4 each", n1, n2, len(ns))
	}
	tokens := map[string]int64{}
	for _, h := range c1.Held() {
		tokens[h.Name] = h.Token
	}
	// The database agrees.
	db := s.open(t, "coordinators")
	defer db.Close()
	cur, err := db.CurrentLeases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != len(ns) {
		t.Fatalf("CurrentLeases = %+v, want all %d", cur, len(ns))
	}
	for _, l := range cur {
		mu.Lock()
		r := running[l.Name]
		mu.Unlock()
		if l.Holder != r {
			t.Errorf("%s: the database says %s holds it, the work runs on %q", l.Name, l.Holder, r)
		}
	}

	// replica-1 stops cleanly: Run with an ended context releases at once.
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if err := c1.Run(stopped); err != nil {
		t.Fatal(err)
	}
	c2.Step(ctx)
	if got := len(c2.Held()); got != len(ns) {
		t.Fatalf("after replica-1 stopped, replica-2 holds %d of %d leases", got, len(ns))
	}
	for _, h := range c2.Held() {
		if old, ok := tokens[h.Name]; ok && h.Token <= old {
			t.Errorf("%s: token %d after the takeover, not above %d", h.Name, h.Token, old)
		}
	}
	if live, err := db.LiveReplicas(ctx); err != nil || len(live) != 1 || live[0].ID != "replica-2" {
		t.Errorf("LiveReplicas = %+v, %v; want replica-2 alone", live, err)
	}
}
