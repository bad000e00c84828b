package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// A marketplace that refuses a store for hours (TikTok Shop's daily quota)
// pauses the store until then and says so once; it is not a network outage
// and the store is not called meanwhile.
func TestQuotaExhaustionPausesTheStoreUntilTheReset(t *testing.T) {
	s := testStores[2] // tiktok-th
	h := newHarness(t, s)
	h.start()
	m := h.mp(s)
	ctx := context.Background()
	m.FailMethodWith("ListConversations", bridge.RateLimited("tiktok", "list conversations", 3*time.Hour))
	h.pollOnce()
	before := m.Calls("ListConversations")
	for i := 0; i < 20; i++ { // ten minutes
		h.pollOnce()
	}
	if calls := m.Calls("ListConversations") - before; calls != 0 {
		t.Fatalf("the paused store was called %d times", calls)
	}
	alerts := h.chat.Alerts()
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0].Last().Title, "Store paused until") {
		var titles []string
		for _, a := range alerts {
			titles = append(titles, a.Last().Title)
		}
		t.Fatalf("alerts %q, want one 'Store paused until'", titles)
	}
	status, err := h.eng.StatusText(ctx)
	if err != nil || !strings.Contains(status, "PAUSED (quota)") {
		t.Fatalf("status: %v\n%s", err, status)
	}
	// The quota resets: the store syncs again and the alert says so.
	m.FailMethodWith("ListConversations", nil)
	m.BuyerSays(s.ShopID, "c1", "Nok", "hello?")
	h.clock.Settle(t, 3*time.Hour, 1)
	h.posted()
	h.assertRelayedExactlyOnce()
	if a := h.chat.Alerts(); len(a) != 1 || a[0].Last().Severity != bridge.SeverityResolved {
		t.Fatalf("the pause alert was not resolved: %+v", a[0].Last())
	}
}
