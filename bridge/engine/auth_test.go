package engine_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

func TestStoreUpdateAuthorizesThroughTheCallback(t *testing.T) {
	f := newAuthFixture(t, auth.Config{})
	ctx := context.Background()
	cb := f.link(authStore.ID)
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != publicURL+"/auth/shopee/callback" {
		t.Fatalf("redirect goes to %s, want the bridge's callback", got)
	}
	state := cb.Query().Get("state")
	if cb.Query().Get("store") != string(authStore.ID) || len(state) < 40 {
		t.Fatalf("redirect %s must carry the store and a long random state", cb)
	}

	status, page := f.get(withCode(cb, f.mp.Code("1001"), "1001"))
	if status != http.StatusOK || !strings.Contains(page, "Store authorized") {
		t.Fatalf("callback answered %d %q", status, page)
	}
	saved, err := f.state.LoadTokens(ctx, authStore.ID)
	if err != nil || !strings.HasPrefix(saved.AccessToken, "ACCESS-SECRET-") || saved.AccessExpiresAt != t0.Add(4*time.Hour) {
		t.Fatalf("tokens after the callback: %+v, %v", saved, err)
	}
	if titles := f.alertTitles(); len(titles) != 1 || titles[0] != "Store authorized: shopee MY Main" {
		t.Fatalf("chat confirmation: %q", titles)
	}
	if a := f.chat.Alerts()[0].Last(); !strings.Contains(a.Text, "requested by alice") || !strings.Contains(a.Text, "2026-11-27 13:00 UTC") {
		t.Fatalf("confirmation should say who asked and until when: %q", a.Text)
	}
	audit, _ := f.state.Audit(ctx, 10)
	if len(audit) != 2 || audit[0].Surface != "http" || audit[0].UserID != "U1" || !audit[0].OK ||
		audit[0].Command != "store authorize shopee-my (callback)" || audit[1].Command != "store update shopee-my" {
		t.Fatalf("audit: %+v", audit)
	}
	if last, err := f.state.LastAuthAttempt(ctx, "shopee-my"); err != nil || !last.OK {
		t.Fatalf("last attempt: %+v %v", last, err)
	}

	// The same redirect again (a replay, or a reload of the page) is refused.
	status, page = f.get(withCode(cb, f.mp.Code("1001"), "1001"))
	if status != http.StatusBadRequest || !strings.Contains(page, "not valid any more") {
		t.Fatalf("replayed callback answered %d %q", status, page)
	}
	if ex, _ := f.mp.counts(); ex != 1 {
		t.Fatalf("codes exchanged: %d, want 1", ex)
	}
	f.assertNoSecrets(state)
}

func TestCallbackRefusesBadState(t *testing.T) {
	cases := []struct {
		name   string
		mangle func(f *authFixture, cb string) string
	}{
		{"no state", func(f *authFixture, cb string) string { return strings.Replace(cb, "state=", "x=", 1) }},
		{"forged state", func(f *authFixture, cb string) string {
			return publicURL + "/auth/shopee/callback?store=shopee-my&state=forged-0123456789abcdef0123456789abcdef0123"
		}},
		{"expired state", func(f *authFixture, cb string) string { f.clock.Advance(10*time.Minute + time.Second); return cb }},
		{"state of another store", func(f *authFixture, cb string) string {
			return strings.Replace(cb, "store=shopee-my", "store=lazada-sg", 1)
		}},
		{"state of another platform", func(f *authFixture, cb string) string {
			return strings.Replace(cb, "/auth/shopee/", "/auth/lazada/", 1)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuthFixture(t, auth.Config{})
			cb := withCode(f.link(authStore.ID), f.mp.Code("1001"), "1001")
			status, page := f.get(tc.mangle(f, cb))
			if status != http.StatusBadRequest || !strings.Contains(page, "not valid any more") {
				t.Fatalf("answered %d %q", status, page)
			}
			if ex, _ := f.mp.counts(); ex != 0 {
				t.Fatalf("a refused callback exchanged a code")
			}
			if _, err := f.state.LoadTokens(context.Background(), authStore.ID); !errors.Is(err, bridge.ErrNotFound) {
				t.Fatalf("tokens saved after a refused callback: %v", err)
			}
			if len(f.chat.Alerts()) != 0 {
				t.Fatalf("a refused callback must not alert (anyone can call the URL): %q", f.alertTitles())
			}
		})
	}
}

func TestCallbackRefusesAnotherShop(t *testing.T) {
	f := newAuthFixture(t, auth.Config{})
	ctx := context.Background()
	cb := f.link(authStore.ID)
	status, page := f.get(withCode(cb, f.mp.Code("9999"), "9999"))
	if status != http.StatusBadRequest || !strings.Contains(page, "Wrong shop") || !strings.Contains(page, "approved shop 9999") {
		t.Fatalf("answered %d %q", status, page)
	}
	if ex, _ := f.mp.counts(); ex != 0 {
		t.Fatalf("the code of another shop was exchanged")
	}
	if _, err := f.state.LoadTokens(ctx, authStore.ID); !errors.Is(err, bridge.ErrNotFound) {
		t.Fatalf("tokens saved for the wrong shop: %v", err)
	}
	if titles := f.alertTitles(); len(titles) != 1 || titles[0] != "Store authorization failed: shopee MY Main" {
		t.Fatalf("alerts: %q", titles)
	}
	audit, _ := f.state.Audit(ctx, 1)
	if len(audit) != 1 || audit[0].OK || !strings.Contains(audit[0].Result, "9999") {
		t.Fatalf("the failure must be audited: %+v", audit)
	}
	if last, err := f.state.LastAuthAttempt(ctx, "shopee-my"); err != nil || last.OK {
		t.Fatalf("last attempt: %+v %v", last, err)
	}
	// The link is used up: the right shop needs a new one.
	if status, _ := f.get(withCode(cb, f.mp.Code("1001"), "1001")); status != http.StatusBadRequest {
		t.Fatalf("a used link was accepted again: %d", status)
	}
}

func TestCallbackWithRefusedCode(t *testing.T) {
	f := newAuthFixture(t, auth.Config{})
	status, page := f.get(withCode(f.link(authStore.ID), "code-never-issued", "1001"))
	if status != http.StatusBadGateway || !strings.Contains(page, "Authorization failed") || !strings.Contains(page, "code was refused") {
		t.Fatalf("answered %d %q", status, page)
	}
	if titles := f.alertTitles(); len(titles) != 1 || !strings.HasPrefix(titles[0], "Store authorization failed") {
		t.Fatalf("alerts: %q", titles)
	}
}

func TestStoreUpdateErrorTexts(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(f *authFixture)
		text    string
		want    string
		wantLog string
	}{
		{"unknown store", nil, "store update nope", bridge.TextNoStoreToUpdate, ""},
		{"no store given", nil, "store update", bridge.TextNoStoreToUpdate, ""},
		{"unknown store, refresh", nil, "store update nope refresh", bridge.TextNoStoreToUpdate, ""},
		{"link cannot be built", func(f *authFixture) {
			f.mp.urlErr = bridge.Permanent("shopee", "authorization link", "partner key missing")
		}, "store update shopee-my", bridge.TextUpdateStoreFailed, "partner key missing"},
		{"platform without authorization", nil, "store update lazada-sg", bridge.TextUpdateStoreFailed, "no authorization flow"},
		{"refresh on platform without authorization", nil, "store update lazada-sg refresh", bridge.TextUpdateStoreFailed, "no authorization flow"},
		{"not an admin", nil, "store update shopee-my", bridge.TextNotAdmin, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuthFixture(t, auth.Config{})
			if tc.setup != nil {
				tc.setup(f)
			}
			resp := f.command(tc.text, tc.name != "not an admin")
			if !resp.Error || resp.Text != tc.want {
				t.Fatalf("%q answered error=%v %q, want exactly %q", tc.text, resp.Error, resp.Text, tc.want)
			}
			if tc.wantLog != "" && !strings.Contains(f.logs.String(), tc.wantLog) {
				t.Fatalf("the detail %q is not in the log:\n%s", tc.wantLog, f.logs.String())
			}
			f.assertNoSecrets()
		})
	}
}

func TestStoreUpdateWithoutPublicURLOrAuth(t *testing.T) {
	// Without a public URL the link cannot point back to the bridge.
	f := newAuthFixture(t, auth.Config{PublicURL: " "})
	if resp := f.command("store update shopee-my", true); resp.Text != bridge.TextUpdateStoreFailed {
		t.Fatalf("without a public URL: %q", resp.Text)
	}
	if !strings.Contains(f.logs.String(), "http.public_url") {
		t.Fatalf("the log should name the missing setting:\n%s", f.logs.String())
	}

	// An engine whose authorization flow was never enabled.
	h := newHarness(t, authStore)
	h.start()
	resp, _ := h.chat.Command(context.Background(), "store update shopee-my", "U1", true)
	if resp.Text != bridge.TextUpdateStoreFailed {
		t.Fatalf("without the flow: %q", resp.Text)
	}
	resp, _ = h.chat.Command(context.Background(), "store update nope", "U1", true)
	if resp.Text != bridge.TextNoStoreToUpdate {
		t.Fatalf("unknown store without the flow: %q", resp.Text)
	}
}

func TestStoreUpdateLinkStaysOutOfAudit(t *testing.T) {
	f := newAuthFixture(t, auth.Config{})
	resp := f.command("store update shopee-my", true)
	if resp.Error || resp.Public || !strings.Contains(resp.Text, fakeSign) {
		t.Fatalf("the admin gets the link privately: %+v", resp)
	}
	audit, _ := f.state.Audit(context.Background(), 1)
	if len(audit) != 1 || !audit[0].OK || strings.Contains(audit[0].Result, "https://") {
		t.Fatalf("audit must record the action, not the link: %+v", audit)
	}
	f.assertNoSecrets()
}

// refresher runs the authorization flow's refresher alone (no syncers) so
// the only timer on the fake clock is its own.
type refresher struct {
	*authFixture
}

func startRefresher(t *testing.T, cfg auth.Config, tokens bridge.Tokens) *refresher {
	t.Helper()
	if cfg.CheckInterval == 0 {
		cfg.CheckInterval = 30 * 24 * time.Hour // only the due times wake it
	}
	f := newAuthFixture(t, cfg)
	ctx := context.Background()
	if tokens.AccessToken != "" {
		if err := f.state.SaveTokens(ctx, authStore.ID, tokens); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.auth.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.auth.Stop(sctx); err != nil {
			t.Error(err)
		}
	})
	f.park(1)
	return &refresher{authFixture: f}
}

// park waits until n timers are pending: the refresher sleeps on the fake
// clock again (a wake-up leaves its previous timer pending too).
func (f *authFixture) park(n int) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.clock.BlockUntil(ctx, n); err != nil {
		f.t.Fatalf("refresher did not park: %v", err)
	}
}

func (f *authFixture) nextTimer() time.Duration {
	f.t.Helper()
	d, ok := f.clock.NextTimer()
	if !ok {
		f.t.Fatal("no timer pending")
	}
	return d
}

func initialTokens() bridge.Tokens {
	return bridge.Tokens{AccessToken: "ACCESS-SECRET-0", RefreshToken: "REFRESH-SECRET-0",
		AccessExpiresAt: t0.Add(4 * time.Hour), RefreshExpiresAt: t0.Add(30 * 24 * time.Hour), UpdatedAt: t0}
}

func TestRefresherRefreshesBeforeExpiry(t *testing.T) {
	r := startRefresher(t, auth.Config{RefreshMargin: 30 * time.Minute}, initialTokens())
	if d := r.nextTimer(); d != 3*time.Hour+30*time.Minute {
		t.Fatalf("refresh scheduled in %s, want 3h30m (expiry minus the margin)", d)
	}
	r.clock.Settle(t, 3*time.Hour+29*time.Minute, 1)
	if _, n := r.mp.counts(); n != 0 {
		t.Fatalf("refreshed %d times before the margin", n)
	}
	r.clock.Settle(t, time.Minute, 1)
	if _, n := r.mp.counts(); n != 1 {
		t.Fatalf("refreshed %d times at expiry minus margin, want 1", n)
	}
	tok, _ := r.state.LoadTokens(context.Background(), authStore.ID)
	if tok.AccessToken == "ACCESS-SECRET-0" || !tok.AccessExpiresAt.Equal(r.clock.Now().Add(4*time.Hour)) {
		t.Fatalf("new tokens not saved: expiry %s", tok.AccessExpiresAt)
	}
	if d := r.nextTimer(); d != 3*time.Hour+30*time.Minute {
		t.Fatalf("next refresh in %s, want 3h30m", d)
	}
	r.clock.Settle(t, 3*time.Hour+30*time.Minute, 1)
	if _, n := r.mp.counts(); n != 2 {
		t.Fatalf("refreshes: %d, want 2", n)
	}
	if len(r.chat.Alerts()) != 0 {
		t.Fatalf("a healthy refresh must not alert: %q", r.alertTitles())
	}
	r.assertNoSecrets()
}

func TestRefreshRefusedMarksNeedsUpdateAndAlertsOnce(t *testing.T) {
	r := startRefresher(t, auth.Config{}, initialTokens())
	ctx := context.Background()
	r.mp.failRefresh(bridge.AuthError("shopee", "refresh access token", "refresh refused, re-authorize the store"))
	r.clock.Settle(t, 3*time.Hour+30*time.Minute, 1)

	sa, err := bridge.StoreAuthStatus(ctx, r.state, authStore.ID)
	if err != nil || !sa.NeedsUpdate || !strings.Contains(sa.Reason, "refresh refused") {
		t.Fatalf("status after a refused refresh: %+v %v", sa, err)
	}
	alerts := r.chat.Alerts()
	if len(alerts) != 1 || alerts[0].Last().Severity != bridge.SeverityCritical ||
		alerts[0].Last().Title != "Store needs update: shopee MY Main" || !strings.Contains(alerts[0].Last().Text, "store update shopee-my") {
		t.Fatalf("alerts: %+v", alerts)
	}
	// Status and the store list show it.
	if resp := r.command("stores", false); !strings.Contains(resp.Text, "NEEDS UPDATE") {
		t.Fatalf("stores: %s", resp.Text)
	}
	if resp := r.command("status", false); !strings.Contains(resp.Text, "Store shopee-my NEEDS UPDATE") {
		t.Fatalf("status: %s", resp.Text)
	}
	// Refused is refused: no retry storm, no second alert.
	r.clock.Settle(t, 24*time.Hour, 1)
	if _, n := r.mp.counts(); n != 1 {
		t.Fatalf("refresh retried %d times after a refusal", n-1)
	}
	if len(r.chat.Alerts()) != 1 {
		t.Fatalf("alerted again: %q", r.alertTitles())
	}

	// The shop owner authorizes again: cleared, alert resolved, refreshes resume.
	r.mp.failRefresh(nil)
	if status, page := r.get(withCode(r.link(authStore.ID), r.mp.Code("1001"), "1001")); status != http.StatusOK {
		t.Fatalf("callback: %d %s", status, page)
	}
	if sa, _ := bridge.StoreAuthStatus(ctx, r.state, authStore.ID); sa.NeedsUpdate {
		t.Fatalf("still needs update after authorizing: %+v", sa)
	}
	alerts = r.chat.Alerts()
	if last := alerts[0].Last(); last.Severity != bridge.SeverityResolved || !strings.Contains(last.Text, "authorized again") {
		t.Fatalf("the needs-update alert should be resolved: %+v", last)
	}
	r.park(2) // the callback woke it; its previous timer is still pending
	if d := r.nextTimer(); d != 3*time.Hour+30*time.Minute {
		t.Fatalf("after authorizing, next refresh in %s", d)
	}
	r.assertNoSecrets()
}

func TestRefreshTransientFailureRetriesWithoutNeedsUpdate(t *testing.T) {
	r := startRefresher(t, auth.Config{RetryInterval: time.Minute, CheckInterval: 10 * time.Minute}, initialTokens())
	ctx := context.Background()
	r.mp.failRefresh(bridge.Transient("shopee", "refresh access token", errors.New("connection reset")))
	r.clock.Settle(t, 3*time.Hour+30*time.Minute, 1)
	if d := r.nextTimer(); d != time.Minute {
		t.Fatalf("retry in %s, want 1m", d)
	}
	r.clock.Settle(t, time.Minute, 1)
	if d := r.nextTimer(); d != 2*time.Minute {
		t.Fatalf("second retry in %s, want 2m (doubling)", d)
	}
	if sa, _ := bridge.StoreAuthStatus(ctx, r.state, authStore.ID); sa.NeedsUpdate {
		t.Fatal("a network error must not mark the store as needing an update")
	}
	r.mp.failRefresh(nil)
	r.clock.Settle(t, 2*time.Minute, 1)
	if _, n := r.mp.counts(); n != 3 {
		t.Fatalf("attempts: %d, want 3", n)
	}
	if last, err := r.state.LastAuthAttempt(ctx, "shopee-my"); err != nil || !last.OK {
		t.Fatalf("last attempt: %+v %v", last, err)
	}
	if len(r.chat.Alerts()) != 0 {
		t.Fatalf("transient failures must not alert: %q", r.alertTitles())
	}
}

func TestExpiryWarning(t *testing.T) {
	tok := initialTokens()
	tok.AccessExpiresAt = time.Time{} // unknown: only the authorization's end matters here
	tok.RefreshExpiresAt = t0.Add(10 * 24 * time.Hour)
	r := startRefresher(t, auth.Config{ExpiryWarning: 7 * 24 * time.Hour}, tok)
	if d := r.nextTimer(); d != 3*24*time.Hour {
		t.Fatalf("warning scheduled in %s, want 72h", d)
	}
	if len(r.chat.Alerts()) != 0 {
		t.Fatal("warned too early")
	}
	if resp := r.command("stores", false); !strings.Contains(resp.Text, "ok") {
		t.Fatalf("stores before the warning period: %s", resp.Text)
	}
	r.clock.Settle(t, 3*24*time.Hour, 1)
	alerts := r.chat.Alerts()
	if len(alerts) != 1 || alerts[0].Last().Severity != bridge.SeverityWarning || !strings.Contains(alerts[0].Last().Text, "expires in 7d") {
		t.Fatalf("alerts: %+v", alerts)
	}
	r.clock.Settle(t, 24*time.Hour, 1)
	r.auth.Wake()
	r.park(2)
	if len(r.chat.Alerts()) != 1 {
		t.Fatalf("warned more than once: %q", r.alertTitles())
	}
	if resp := r.command("stores", false); !strings.Contains(resp.Text, "expires in 6d") {
		t.Fatalf("stores: %s", resp.Text)
	}
	if resp := r.command("status", false); !strings.Contains(resp.Text, "authorization expires 2026-12-07") {
		t.Fatalf("status: %s", resp.Text)
	}
}

func TestStoreUpdateRefreshNow(t *testing.T) {
	f := newAuthFixture(t, auth.Config{})
	if err := f.state.SaveTokens(context.Background(), authStore.ID, initialTokens()); err != nil {
		t.Fatal(err)
	}
	resp := f.command("store update shopee-my refresh", true)
	if resp.Error || !strings.Contains(resp.Text, "refreshed") {
		t.Fatalf("refresh: %+v", resp)
	}
	f.mp.failRefresh(bridge.AuthError("shopee", "refresh access token", "refresh refused"))
	resp = f.command("store update shopee-my --refresh", true)
	if !resp.Error || !strings.Contains(resp.Text, "refresh refused") || !strings.Contains(resp.Text, "store update shopee-my") {
		t.Fatalf("refused refresh: %+v", resp)
	}
	if titles := f.alertTitles(); len(titles) != 1 || !strings.HasPrefix(titles[0], "Store needs update") {
		t.Fatalf("alerts: %q", titles)
	}
	f.assertNoSecrets()
}

func TestStoresRefreshReloadsTheList(t *testing.T) {
	f := newAuthFixture(t, auth.Config{})
	if resp := f.command("stores refresh", true); !resp.Error || !strings.Contains(resp.Text, "not started from a config file") {
		t.Fatalf("without a loader: %+v", resp)
	}
	renamed := authStore
	renamed.Name = "Main Renamed"
	added := bridge.Store{ID: "shopee-sg", Platform: bridge.PlatformShopee, ShopID: "1002", Name: "SG", Site: "SG"}
	var fail error
	f = newAuthFixture(t, auth.Config{}, func(d *engine.Deps) {
		d.StoreLoader = func(context.Context) ([]bridge.Store, error) {
			return []bridge.Store{renamed, added}, fail
		}
	})
	if resp := f.command("stores refresh", false); resp.Text != bridge.TextNotAdmin {
		t.Fatalf("non-admin: %q", resp.Text)
	}
	resp := f.command("stores refresh", true)
	want := "Store list reloaded: 2 stores. added: shopee-sg. changed: shopee-my. removed: lazada-sg."
	if resp.Error || resp.Text != want {
		t.Fatalf("got %q, want %q", resp.Text, want)
	}
	if _, ok := f.eng.Store("shopee-sg"); !ok {
		t.Fatal("the added store is not known")
	}
	// The new store can be updated at once, without a restart.
	if resp := f.command("store update shopee-sg", true); resp.Error {
		t.Fatalf("store update of a store added by refresh: %q", resp.Text)
	}
	if resp := f.command("store update lazada-sg", true); resp.Text != bridge.TextNoStoreToUpdate {
		t.Fatalf("a removed store: %q", resp.Text)
	}
	fail = errors.New("shopbridge.yaml: 1 problem(s):\n  stores[0].site: missing")
	resp = f.command("stores refresh", true)
	if !resp.Error || !strings.Contains(resp.Text, "current one stays in use") || !strings.Contains(resp.Text, "stores[0].site") {
		t.Fatalf("loader failure: %q", resp.Text)
	}
	if len(f.eng.Stores()) != 2 {
		t.Fatalf("a failed reload changed the store list")
	}
}

// When a sync is refused for the store's tokens (the client's own refresh
// was refused too), the store is marked "needs update" at once, with its
// alert, and no network-outage alert is raised for it.
func TestSyncRefusedMarksNeedsUpdateNotOutage(t *testing.T) {
	s := testStores[0]
	h := newHarness(t, s)
	h.beforeStart = func(e *engine.Engine) { enableAuth(t, e, h.deps, auth.Config{PublicURL: publicURL}) }
	h.start()
	h.mp(s).FailMethodWith("ListConversations", bridge.AuthError("shopee", "list conversations", "Invalid access_token."))
	for i := 0; i < 4; i++ {
		if _, err := h.eng.SyncNow(context.Background(), s.ID); err == nil {
			t.Fatalf("sync should fail while the tokens are refused")
		}
	}
	sa, err := bridge.StoreAuthStatus(context.Background(), h.state, s.ID)
	if err != nil || !sa.NeedsUpdate || !strings.Contains(sa.Reason, "Invalid access_token") {
		t.Fatalf("auth status: %+v %v", sa, err)
	}
	alerts := h.chat.Alerts()
	if len(alerts) != 1 || !strings.HasPrefix(alerts[0].Last().Title, "Store needs update") {
		var titles []string
		for _, a := range alerts {
			titles = append(titles, a.Last().Title)
		}
		t.Fatalf("want one needs-update alert and no outage alert, got %q", titles)
	}
}

// status and stores call an authorization "expiring" from the configured
// auth.expiry_warning on, not from the default week.
func TestStatusAndStoresUseTheConfiguredExpiryWarning(t *testing.T) {
	tok := initialTokens()
	tok.AccessExpiresAt = time.Time{}
	tok.RefreshExpiresAt = t0.Add(10 * 24 * time.Hour)
	r := startRefresher(t, auth.Config{ExpiryWarning: 14 * 24 * time.Hour}, tok)
	if resp := r.command("stores", false); !strings.Contains(resp.Text, "expires in 10d") {
		t.Fatalf("stores, 10 days before the end with a 14-day warning: %s", resp.Text)
	}
	if resp := r.command("status", false); !strings.Contains(resp.Text, "authorization expires 2026-12-07") {
		t.Fatalf("status, 10 days before the end with a 14-day warning: %s", resp.Text)
	}
}
