package slack

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// queued returns how many waiters a bucket has.
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

func TestPacerServesHighPriorityFirst(t *testing.T) {
	clock := bridgetest.NewClock(epoch)
	p := newPacer(clock)
	lim := limit{rate: 1, burst: 1}
	ctx := context.Background()
	if err := p.wait(ctx, "post:C1", lim, prioNormal); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 4)
	start := func(name string, prio priority, queuedBefore int) {
		waitQueued(t, p, "post:C1", queuedBefore)
		go func() {
			if err := p.wait(ctx, "post:C1", lim, prio); err == nil {
				order <- name
			}
		}()
		waitQueued(t, p, "post:C1", queuedBefore+1)
	}
	start("buyer-1", prioNormal, 0)
	start("buyer-2", prioNormal, 1)
	start("buyer-3", prioNormal, 2)
	start("alert", prioHigh, 3)

	var got []string
	for len(got) < 4 {
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
	want := []string{"alert", "buyer-1", "buyer-2", "buyer-3"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("grant order = %v, want %v", got, want)
		}
	}
}

func TestPacerBlockHonoursRetryAfter(t *testing.T) {
	clock := bridgetest.NewClock(epoch)
	p := newPacer(clock)
	lim := limit{rate: 10, burst: 5}
	p.block("post:C1", lim, 5*time.Second)
	done := make(chan struct{})
	go func() {
		_ = p.wait(context.Background(), "post:C1", lim, prioHigh)
		close(done)
	}()
	if err := clock.BlockUntil(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if d, _ := clock.NextTimer(); d != 5*time.Second {
		t.Fatalf("waiting %v, want the full Retry-After of 5s", d)
	}
	clock.Advance(4 * time.Second)
	select {
	case <-done:
		t.Fatal("granted before Retry-After passed")
	default:
	}
	clock.Advance(time.Second)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("not granted after Retry-After passed")
	}
}

func TestPacerCancelledWaiterLeaves(t *testing.T) {
	clock := bridgetest.NewClock(epoch)
	p := newPacer(clock)
	lim := limit{rate: 1, burst: 1}
	_ = p.wait(context.Background(), "k", lim, prioNormal)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.wait(ctx, "k", lim, prioNormal) }()
	waitQueued(t, p, "k", 1)
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
	if n := p.queuedFor("k"); n != 0 {
		t.Fatalf("%d waiters left after cancel", n)
	}
}
