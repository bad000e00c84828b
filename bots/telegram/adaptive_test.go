package telegram

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

// sustain keeps a group busy until the fake clock reaches until: one
// poster per thread posts one buyer message after another, so calls always
// wait in the lane (sustained demand).
func sustain(t testing.TB, hs *harness, threads []bridge.ThreadRef, until time.Time) {
	t.Helper()
	var wg sync.WaitGroup
	for i, ref := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; hs.clock.Now().Before(until); n++ {
				m := textMsg(fmt.Sprintf("t%d-%d", i, n), fmt.Sprintf("thread %d message %d", i, n))
				if _, err := hs.s.PostMessages(context.Background(), ref, testHeader, []bridge.Message{m}); err != nil {
					t.Errorf("thread %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// sustainedRate opens topics in a group that allows allowed calls a
// minute (the surface is not told), keeps it busy for d, and returns the
// calls per minute the group accepted in [from, d) and the 429s answered.
func sustainedRate(t testing.TB, hs *harness, allowed int, from, d time.Duration) (float64, int) {
	t.Helper()
	hs.api.SetGroupLimit(allowed, time.Minute)
	start := hs.clock.Now()
	var threads []bridge.ThreadRef
	for c := range 3 {
		h := testHeader
		h.Conversation = bridge.ConversationID(fmt.Sprint("sustained-", c))
		ref, _ := hs.openThread(h)
		threads = append(threads, ref)
	}
	sustain(t, hs, threads, start.Add(d))
	accepted := 0
	for _, c := range hs.api.GroupCalls(inbox, 200) {
		if !c.At.Before(start.Add(from)) && c.At.Before(start.Add(d)) {
			accepted++
		}
	}
	return float64(accepted) / (d - from).Minutes(), len(hs.api.GroupCalls(inbox, 429))
}

func TestPacerFindsAGroupAllowingMore(t *testing.T) {
	hs := newHarness(t)
	rate, refused := sustainedRate(t, hs, 40, 3*time.Minute, 8*time.Minute)
	t.Logf("group allowing 40/min: %.1f/min in minutes 3–8, %d × 429, learned limit %d", rate, refused, hs.s.pacer.groupLimit(inbox))
	if rate < 0.9*40 {
		t.Errorf("used %.1f of 40 calls a minute, want ≥ 36", rate)
	}
	if refused > 4 {
		t.Errorf("%d × 429 in 8 minutes", refused)
	}
}

func TestPacerSettlesOnAGroupAllowingLess(t *testing.T) {
	hs := newHarness(t)
	rate, refused := sustainedRate(t, hs, 10, 2*time.Minute, 10*time.Minute)
	t.Logf("group allowing 10/min: %.1f/min in minutes 2–10, %d × 429, learned limit %d", rate, refused, hs.s.pacer.groupLimit(inbox))
	if refused > 4 {
		t.Errorf("%d × 429 in 10 minutes: a 429 storm", refused)
	}
	if rate < 0.9*10 || rate > 10 {
		t.Errorf("used %.1f of 10 calls a minute", rate)
	}
	if got := hs.s.pacer.groupLimit(inbox); got != 10 {
		t.Errorf("learned limit %d, want 10", got)
	}
}

func TestConfiguredCapHolds(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.Pacing.GroupMaxPerMinute = 20 })
	rate, refused := sustainedRate(t, hs, 40, time.Minute, 5*time.Minute)
	if rate > 20 || refused > 0 || hs.s.pacer.groupLimit(inbox) != 20 {
		t.Errorf("capped at 20: %.1f/min, %d × 429, limit %d", rate, refused, hs.s.pacer.groupLimit(inbox))
	}
}

func TestFixedPacingWhenNotAdaptive(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.Pacing.Adaptive = boolPtr(false) })
	rate, _ := sustainedRate(t, hs, 40, time.Minute, 4*time.Minute)
	if rate > 20 || hs.s.pacer.groupLimit(inbox) != 20 {
		t.Errorf("fixed at 20: %.1f/min, limit %d", rate, hs.s.pacer.groupLimit(inbox))
	}
}

// A storm of 429s with nothing accepted in between is one refusal going
// on: it is waited out and does not drive the allowance down.
func TestRefusalStormDoesNotCollapseTheAllowance(t *testing.T) {
	hs := newHarness(t)
	ref, _ := hs.openThread(testHeader)
	hs.api.Fail(telegramtest.Fault{Method: "sendMessage", Chat: inbox, Times: 10, Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5})
	if _, err := hs.s.PostMessage(context.Background(), ref, testHeader, textMsg("1", "after the storm")); err != nil {
		t.Fatal(err)
	}
	if got := hs.s.pacer.groupLimit(inbox); got < 10 {
		t.Errorf("after ten 429s in a row the group allows %d a minute, want ≥ 10 (halved at most once)", got)
	}
}

func TestAllowanceProbesAndBacksOff(t *testing.T) {
	t0 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	const w = time.Minute
	a := newAllowance(20, 60, t0)
	if a.probe(t0.Add(30*time.Second), 20, w) {
		t.Error("probed within the first window")
	}
	if !a.probe(t0.Add(61*time.Second), 20, w) || a.limit != 30 {
		t.Errorf("slow start: limit %d, want 30", a.limit)
	}
	a.reserved()
	// The probe is refused after 20 accepted: back to 20, cautious.
	if !a.rejected(t0.Add(62*time.Second), 20) || a.limit != 20 || !a.cautious {
		t.Errorf("after a refused probe: limit %d, cautious %v", a.limit, a.cautious)
	}
	if a.probe(t0.Add(62*time.Second+w), 20, w) {
		t.Error("probed again within two windows of a 429")
	}
	for range 40 {
		a.reserved() // two windows of accepted calls
	}
	at := t0.Add(62*time.Second + 2*w)
	if !a.probe(at, 20, w) || a.limit != 21 {
		t.Errorf("cautious probe: limit %d, want 21", a.limit)
	}
	a.reserved()
	a.rejected(at.Add(time.Second), 20)
	if a.hold != 4 || a.limit != 20 {
		t.Errorf("failed cautious probe: hold %d, limit %d; want 4, 20", a.hold, a.limit)
	}
	// One 429 halves the limit at most.
	b := newAllowance(20, 60, t0)
	b.reserved()
	b.rejected(t0.Add(time.Second), 0)
	if b.limit != 10 {
		t.Errorf("a 429 with nothing accepted: limit %d, want 10", b.limit)
	}
}
