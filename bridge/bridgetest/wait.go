package bridgetest

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// Eventually waits until cond holds, re-checking whenever one of the fakes
// changes (and every few milliseconds, for state the fakes do not see). It
// waits on asynchronous work, never on timing logic: that uses the fake clock.
func Eventually(t testing.TB, what string, cond func() bool, changed ...func() <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	cases := make([]reflect.SelectCase, 2+len(changed))
	cases[0] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
	cases[1] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(tick.C)}
	for !cond() {
		for i, ch := range changed {
			cases[2+i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch())}
		}
		if chosen, _, _ := reflect.Select(cases); chosen == 0 {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// Settle advances the fake clock by d and waits until at least parked timers
// are pending again: the goroutines woken by the advance have done their
// work and parked on the clock once more.
func (c *Clock) Settle(t testing.TB, d time.Duration, parked int) {
	t.Helper()
	c.Advance(d)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.BlockUntil(ctx, parked); err != nil {
		t.Fatalf("fake clock: goroutines did not park again after advancing %s (want %d timers, have %d)", d, parked, c.Waiters())
	}
}
