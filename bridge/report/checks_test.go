package report

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The authorization line counts what it knows: stores whose tokens come
// from the config have an unknown expiry, which is not "expiring soon".
func TestAuthLineTellsUnknownExpiryFromExpiringSoon(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	cfg := DefaultConfig()
	stores := []bridge.AuthStats{
		{Status: statusConfigTokens},
		{Status: "authorized", HasTokens: true, RefreshExpiresAt: now.Add(3 * 24 * time.Hour)},
		{Status: "authorized", HasTokens: true, RefreshExpiresAt: now.Add(60 * 24 * time.Hour)},
		{Status: statusConfigTokens},
	}
	for _, tc := range []struct {
		name  string
		n     int
		want  string
		worst bridge.Verdict
	}{
		{"all four", 4, "1 of 4 stores ok, 2 with tokens from the config (expiry unknown until their first refresh), 1 expiring soon", bridge.VerdictWarn},
		{"only config tokens", 1, "0 of 1 stores ok, 1 with tokens from the config (expiry unknown until their first refresh)", bridge.VerdictWarn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rep bridge.Report
			for i, a := range stores[:tc.n] {
				if tc.n == 1 {
					a = stores[0]
				}
				sr := bridge.StoreReport{Store: bridge.Store{ID: bridge.StoreID(rune('a' + i))}, Auth: a}
				sr.Checks = storeChecks(sr, cfg, now)
				switch sr.Check(bridge.CheckAuth).Verdict {
				case bridge.VerdictOK:
					rep.Total.Auth.Authorized++
				case bridge.VerdictWarn:
					rep.Total.Auth.Warning++
				default:
					rep.Total.Auth.Failing++
				}
				rep.Stores = append(rep.Stores, sr)
			}
			var got bridge.Check
			for _, c := range summaryChecks(rep, cfg, now) {
				if c.Item == bridge.CheckAuth {
					got = c
				}
			}
			if got.Text != tc.want || got.Verdict != tc.worst {
				t.Errorf("authorization line = %s %q\nwant %s %q", got.Verdict.Mark(), got.Text, tc.worst.Mark(), tc.want)
			}
		})
	}
}
