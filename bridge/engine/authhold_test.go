package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

// lazyTokens is the harness's state as a TokenStore, looked up at each
// call (the harness opens a new state at every start).
type lazyTokens struct{ h *harness }

func (l lazyTokens) LoadTokens(ctx context.Context, id bridge.StoreID) (bridge.Tokens, error) {
	return l.h.state.LoadTokens(ctx, id)
}

func (l lazyTokens) SaveTokens(ctx context.Context, id bridge.StoreID, t bridge.Tokens) error {
	return l.h.state.SaveTokens(ctx, id, t)
}

// A store whose tokens are refused (its refresh token was revoked) is not
// up: one alert, NEEDS UPDATE in status, stores and the stats behind
// /metrics, and the marketplace is called (each call a refused refresh in
// the real client) at most once per AuthRetry, not on every poll. A new
// authorization brings it back at once, and across a restart the store
// stays held.
func TestRevokedTokensHoldTheStoreUntilReauthorized(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.cfg.AuthRetry = 6 * time.Hour
	var am *authMarketplace
	h.wrapMP = func(m *bridgetest.Marketplace) bridge.Marketplace {
		if m.Platform() != s.Platform {
			return m
		}
		am = &authMarketplace{Marketplace: m, tokens: lazyTokens{h}, clock: h.clock, lifetime: 4 * time.Hour, codes: map[string]string{}}
		return am
	}
	h.beforeStart = func(e *engine.Engine) { enableAuth(t, e, h.deps, auth.Config{PublicURL: publicURL}) }
	h.start()
	m := h.mp(s)
	ctx := context.Background()

	m.FailMethodWith("ListConversations", bridge.AuthError("shopee", "list conversations", "refresh refused: Invalid refresh_token."))
	before := m.Calls("ListConversations")
	for i := 0; i < 100; i++ { // 100 polls: about 50 minutes
		h.pollOnce()
	}
	if calls := m.Calls("ListConversations") - before; calls != 1 {
		t.Fatalf("the marketplace was called %d times in 100 polls with refused tokens, want once", calls)
	}
	hl := h.eng.Monitor().StoreHealth(s.ID)
	if !hl.NeedsUpdate || hl.Up() {
		t.Fatalf("store health %+v, want needs update and not up", hl)
	}
	st := h.eng.Stats()
	if st.Stores[0].Up || st.Stores[0].DownReason != "needs_update" {
		t.Fatalf("stats: up=%v reason=%q, want down with needs_update", st.Stores[0].Up, st.Stores[0].DownReason)
	}
	status, err := h.eng.StatusText(ctx)
	if err != nil || !strings.Contains(status, "NEEDS UPDATE") {
		t.Fatalf("status: %v\n%s", err, status)
	}
	if resp := h.eng.Command(ctx, bridge.CommandRequest{Text: "stores"}); !strings.Contains(resp.Text, "NEEDS UPDATE") {
		t.Fatalf("stores:\n%s", resp.Text)
	}
	alerts := h.chat.Alerts()
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0].Last().Title, "Store needs update") {
		t.Fatalf("want exactly one needs-update alert, got %d", len(alerts))
	}

	// A restart keeps the store held; after AuthRetry it is tried once more.
	h.restart()
	before = m.Calls("ListConversations")
	for i := 0; i < 20; i++ {
		h.pollOnce()
	}
	if calls := m.Calls("ListConversations") - before; calls != 0 {
		t.Fatalf("after a restart the held store was called %d times", calls)
	}
	h.clock.Settle(t, h.cfg.AuthRetry, 1)
	if calls := m.Calls("ListConversations") - before; calls != 1 {
		t.Fatalf("%d calls after AuthRetry, want one try", calls)
	}
	if len(h.chat.Alerts()) != 1 {
		t.Fatalf("a repeated refusal must not alert again: %d alerts", len(h.chat.Alerts()))
	}

	// The admin re-authorizes (here: refreshes with new tokens): the store
	// syncs at once and is up again.
	m.FailMethodWith("ListConversations", nil)
	m.BuyerSays(s.ShopID, "c1", "Ana", "hello again")
	resp := h.eng.Command(ctx, bridge.CommandRequest{Text: "store update " + string(s.ID) + " refresh", Admin: true, UserID: "U1"})
	if resp.Error {
		t.Fatalf("store update refresh: %s", resp.Text)
	}
	bridgetest.Eventually(t, "the store is up again", func() bool { return h.eng.Monitor().StoreHealth(s.ID).Up() })
	bridgetest.Eventually(t, "the new buyer message posted", func() bool {
		_, ok := h.chat.ThreadOf(s.ID, "c1")
		return ok
	}, h.chat.Changed)
	h.posted()
	h.assertRelayedExactlyOnce()
	if _, refreshes := am.counts(); refreshes != 1 {
		t.Fatalf("%d refreshes, want the admin's one", refreshes)
	}
}
