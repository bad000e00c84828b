package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

func TestPostInspectionPrintsSummaryThenDetails(t *testing.T) {
	s, out := newSurface(t, Config{})
	until := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	st := bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, Name: "Main", Site: "MY"}
	r := bridge.Report{Title: "Daily inspection · Nov 26 09:00 → Nov 27 09:00 UTC", Since: until.Add(-24 * time.Hour), Until: until,
		GeneratedAt: until, Location: time.UTC, SLA: 15 * time.Minute}
	for _, item := range bridge.CheckItems {
		r.Checks = append(r.Checks, bridge.Check{Item: item, Text: "fine", Rule: "rule"})
	}
	r.Checks[6] = bridge.Check{Item: bridge.CheckMissed, Verdict: bridge.VerdictWarn, Text: "1 conversation waiting longer than 15m", Rule: "1 waiting > 15m (❌ from 5)"}
	r.Stores = []bridge.StoreReport{{Store: st, Checks: r.Checks}}
	r.Missed = []bridge.MissedReply{{Store: st, Conversation: "c1", BuyerName: "Gina\x1b[31m", Thread: bridge.ThreadRef{Channel: Channel, ID: "T3"},
		AwaitingSince: until.Add(-time.Hour), Waiting: time.Hour}}
	ref, err := s.PostInspection(context.Background(), "ignored", r)
	if err != nil || ref.Channel != Channel {
		t.Fatalf("PostInspection = %v, %v", ref, err)
	}
	got := strings.Join(out.lines(), "\n")
	for _, want := range []string{
		"==================== REPORT: Daily inspection · Nov 26 09:00 → Nov 27 09:00 UTC ====================\n⚠️ 1 store · 0 ❌ · 1 ⚠️ · 8 ✅\n\n✅ Network connection: fine [rule]",
		"⚠️ Missed replies: 1 conversation waiting longer than 15m [1 waiting > 15m (❌ from 5)]",
		"— Missed replies —\nGina: waiting 1h since Nov 27 08:00 · shopee MY Main · thread T3",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("printed report lacks\n%s\n--- printed ---\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") {
		t.Errorf("a buyer name reached the terminal with an escape sequence")
	}
	if rs := s.Reports(); len(rs) != 1 || rs[0].Ref != ref {
		t.Errorf("Reports() = %+v", rs)
	}
}
