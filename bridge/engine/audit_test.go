package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

func TestAuditCommand(t *testing.T) {
	h := newHarness(t)
	h.start()
	ctx := context.Background()
	run := func(text, user string, admin bool) bridge.CommandResponse {
		t.Helper()
		resp, err := h.chat.Command(ctx, text, user, admin)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	run("pause shopee-my", "alice", true)
	h.clock.Advance(time.Minute)
	run("resume shopee-my", "alice", true)
	h.clock.Advance(time.Minute)
	run("pause lazada-sg", "mallory", false) // refused, audited
	h.clock.Advance(time.Minute)
	run("status", "bob", false) // read-only: not audited
	// A button press that changes something is audited too.
	if resp, err := h.chat.Press(ctx, bridge.ActionRetrySync, "tiktok-th", "carol", true); err != nil || resp.Error {
		t.Fatalf("retry sync button: %+v %v", resp, err)
	}

	if resp := run("audit", "mallory", false); !resp.Error || resp.Text != bridge.TextNotAdmin {
		t.Fatalf("non-admin audit: %+v", resp)
	}
	if resp := run("audit lots", "alice", true); !resp.Error || !strings.Contains(resp.Text, "Usage: audit [n]") {
		t.Fatalf("bad n: %+v", resp)
	}
	resp := run("audit 4", "alice", true)
	if resp.Error || resp.Public {
		t.Fatalf("audit: %+v", resp)
	}
	lines := strings.Split(resp.Text, "\n")
	if len(lines) != 5 || lines[0] != "Latest 4 admin actions, newest first:" {
		t.Fatalf("audit 4:\n%s", resp.Text)
	}
	// Newest first: the bad "audit lots" by alice, mallory's refused audit,
	// carol's button press, mallory's refused pause.
	checks := []struct{ contains []string }{
		{[]string{"09:03:00Z", "fake", "alice", "FAILED", "audit lots", "Usage: audit [n]"}},
		{[]string{"09:03:00Z", "mallory", "FAILED", "audit", "refused: not an admin"}},
		{[]string{"09:03:00Z", "fake", "carol", "ok", "sync retry tiktok-th"}},
		{[]string{"09:02:00Z", "mallory", "FAILED", "pause lazada-sg", "refused: not an admin"}},
	}
	for i, c := range checks {
		for _, s := range c.contains {
			if !strings.Contains(lines[i+1], s) {
				t.Fatalf("line %d %q lacks %q\n%s", i+1, lines[i+1], s, resp.Text)
			}
		}
	}
	all := run("audit", "alice", true)
	if strings.Contains(all.Text, "status") || !strings.Contains(all.Text, "pause shopee-my") || !strings.Contains(all.Text, "resume shopee-my") {
		t.Fatalf("audit should hold admin actions only:\n%s", all.Text)
	}
	if n := strings.Count(all.Text, "\n"); n != 7 {
		t.Fatalf("audit (default 10) shows %d entries, want the 7 recorded:\n%s", n, all.Text)
	}
}

func TestFormatAuditEmptyAndLong(t *testing.T) {
	if got := engine.FormatAudit(nil); got != "No admin actions recorded yet." {
		t.Fatalf("empty: %q", got)
	}
	got := engine.FormatAudit([]bridge.AuditEntry{{At: t0, Surface: "slack", UserID: "U1", UserName: "alice", Command: "template add x a\nb", OK: true,
		Result: strings.Repeat("r", 300)}})
	if !strings.Contains(got, "alice (U1)  ok  template add x a b → ") || !strings.HasSuffix(got, "…") || len([]rune(got)) > 250 {
		t.Fatalf("long entry: %q", got)
	}
}
