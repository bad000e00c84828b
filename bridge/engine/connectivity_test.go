package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// pollOnce advances the clock by one poll interval and waits for every
// syncer to park again.
func (h *harness) pollOnce() {
	h.t.Helper()
	h.clock.Settle(h.t, h.cfg.PollInterval+time.Second, len(h.stores))
	h.posted()
}

func TestBlipUnderThresholdRaisesNoAlert(t *testing.T) {
	h := newHarness(t)
	h.start()
	for _, m := range h.mps {
		m.SetDown(true)
	}
	// Two failed polls (threshold is three), then the network is back.
	h.pollOnce()
	h.pollOnce()
	for _, m := range h.mps {
		m.SetDown(false)
	}
	h.pollOnce()
	h.pollOnce()
	if a := h.chat.Alerts(); len(a) != 0 {
		t.Fatalf("a blip under the threshold must not alert, got %q", a[0].Last().Title)
	}
}

// runOutage takes every store down until the alert shows, lets buyers write
// during the outage, and brings the network back. It returns how many
// messages were written during the outage.
func runOutage(t *testing.T, h *harness) int {
	for _, m := range h.mps {
		m.SetDown(true)
	}
	for i := 0; i < 6 && len(h.chat.Alerts()) == 0; i++ {
		h.pollOnce()
	}
	alerts := h.chat.Alerts()
	if len(alerts) != 1 {
		t.Fatalf("several stores failing together must make one alert, got %d", len(alerts))
	}
	if a := alerts[0].Last(); a.Title != bridge.TextInterrupted || len(a.Stores) != len(h.stores) {
		t.Fatalf("alert: %q naming %v, want %q naming every store", a.Title, a.Stores, bridge.TextInterrupted)
	}
	// Buyers keep writing while the bridge cannot see them.
	n := 0
	for _, s := range h.stores {
		for c := 0; c < 3; c++ {
			h.mp(s).BuyerSays(s.ShopID, bridge.ConversationID(fmt.Sprintf("out-%s-%d", s.ID, c)), "buyer", "during the outage")
			n++
		}
	}
	// Probes keep failing with backoff for a while.
	h.clock.Settle(t, 10*time.Second, len(h.stores))
	for _, m := range h.mps {
		m.SetDown(false)
	}
	return n
}

func TestOutageAlertDebouncedRecoveryAndCatchUp(t *testing.T) {
	h := newHarness(t)
	h.start()
	n := runOutage(t, h)

	// Step the clock one second at a time: the first successful probe starts
	// the 3-second debounce; only then is the catch-up run.
	for i := 0; i < 120; i++ {
		h.clock.Settle(t, time.Second, len(h.stores))
		a := h.chat.Alerts()[0].Last()
		if a.Severity == bridge.SeverityResolved {
			break
		}
	}
	h.posted()
	a := h.chat.Alerts()
	if len(a) != 1 {
		t.Fatalf("recovery must edit the alert, not post another: %d alerts", len(a))
	}
	last := a[0].Last()
	if last.Severity != bridge.SeverityResolved || !strings.HasPrefix(last.Title, "Network restored after") ||
		!strings.Contains(last.Title, fmt.Sprintf("%d messages caught up", n)) {
		t.Fatalf("alert after recovery: %q, want restored with %d messages caught up", last.Title, n)
	}
	h.assertRelayedExactlyOnce()
}

func TestRecoveryWaitsForDebounce(t *testing.T) {
	h := newHarness(t, testStores[0])
	h.cfg.ProbeBackoffMax = 3 * time.Second // probe every debounce period
	h.start()
	s := testStores[0]
	m := h.mp(s)
	m.SetDown(true)
	for i := 0; i < 6 && len(h.chat.Alerts()) == 0; i++ {
		h.pollOnce()
	}
	if len(h.chat.Alerts()) != 1 {
		t.Fatalf("expected the interruption alert")
	}
	m.BuyerSays(s.ShopID, "c9", "buyer", "hello?")
	m.SetDown(false)
	// Advance until a probe has succeeded (the syncer then waits the debounce).
	before := m.Calls("ListConversations")
	for m.Calls("ListConversations") == before {
		h.clock.Settle(t, time.Second, 1)
	}
	if len(h.chat.PostedIDs()) != 0 {
		t.Fatalf("catch-up must wait for the debounce after the first success")
	}
	// A failure during the debounce sends it back to probing.
	m.SetDown(true)
	h.clock.Settle(t, 3*time.Second, 1)
	if h.chat.Alerts()[0].Last().Severity == bridge.SeverityResolved {
		t.Fatalf("a failure during the debounce must not count as recovered")
	}
	m.SetDown(false)
	for i := 0; i < 60 && h.chat.Alerts()[0].Last().Severity != bridge.SeverityResolved; i++ {
		h.clock.Settle(t, time.Second, 1)
	}
	h.posted()
	if got := h.chat.Alerts()[0].Last(); got.Severity != bridge.SeverityResolved {
		t.Fatalf("alert not restored: %q", got.Title)
	}
	h.assertRelayedExactlyOnce()
}

func TestFailedCatchUpShowsRetryAndRetryWorks(t *testing.T) {
	h := newHarness(t)
	h.start()
	n := runOutage(t, h)
	// The network is back for listing, but fetching messages fails.
	for _, m := range h.mps {
		m.FailMethod("ListMessages", true)
	}
	var last bridge.Alert
	for i := 0; i < 120; i++ {
		h.clock.Settle(t, time.Second, len(h.stores))
		last = h.chat.Alerts()[0].Last()
		if last.Title == bridge.TextCatchUpFailed {
			break
		}
	}
	if last.Title != bridge.TextCatchUpFailed {
		t.Fatalf("alert: %q, want %q", last.Title, bridge.TextCatchUpFailed)
	}
	if len(last.Actions) != 1 || last.Actions[0].ID != bridge.ActionRetrySync {
		t.Fatalf("failed catch-up alert needs a Retry action, got %+v", last.Actions)
	}
	for _, m := range h.mps {
		m.FailMethod("ListMessages", false)
	}
	resp, err := h.chat.Press(context.Background(), last.Actions[0].ID, last.Actions[0].Value, "admin", true)
	if err != nil || resp.Error {
		t.Fatalf("retry: %v %+v", err, resp)
	}
	bridgetest.Eventually(t, "alert restored", func() bool {
		return h.chat.Alerts()[0].Last().Severity == bridge.SeverityResolved
	}, h.chat.Changed)
	if got := h.chat.Alerts()[0].Last().Title; !strings.Contains(got, fmt.Sprintf("%d messages caught up", n)) {
		t.Fatalf("restored alert %q should count the %d caught-up messages", got, n)
	}
	h.posted()
	h.assertRelayedExactlyOnce()
}
