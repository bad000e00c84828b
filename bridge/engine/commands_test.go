package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// sqliteOpen opens the in-memory state a harness runs on by its path (a
// second handle on the same records, as a second connection to a file).
func sqliteOpen(path string) (bridge.State, error) {
	return openMem(path, nil), nil
}

func TestCommandPermissionsAndErrors(t *testing.T) {
	h := newHarness(t)
	h.start()
	ctx := context.Background()
	cases := []struct {
		name     string
		text     string
		admin    bool
		wantErr  bool
		contains string
	}{
		{"help lists commands", "help", false, false, "sync retry"},
		{"status for everyone", "status", false, false, "shopee-my"},
		{"stores for everyone", "stores", false, false, "lazada-sg"},
		{"pause refused to non-admin", "pause shopee-my", false, true, bridge.TextNotAdmin},
		{"pause unknown store", "pause nope", true, true, `No store "nope"`},
		{"pause without store", "pause", true, true, "Usage: pause <store>"},
		{"store update unknown store", "store update nope", true, true, bridge.TextNoStoreToUpdate},
		{"unknown command", "frobnicate", false, true, "Unknown command"},
		{"pause by admin", "pause shopee-my", true, false, "paused"},
		{"status shows paused", "status", false, false, "paused"},
		{"resume by admin", "resume shopee-my", true, false, "resumed"},
		{"sync retry refused to non-admin", "sync retry", false, true, bridge.TextNotAdmin},
		{"sync retry by admin", "sync retry", true, false, "Synced 3 stores"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.chat.Command(ctx, tc.text, "U1", tc.admin)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Error != tc.wantErr || !strings.Contains(resp.Text, tc.contains) {
				t.Fatalf("%q: got error=%v %q, want error=%v containing %q", tc.text, resp.Error, resp.Text, tc.wantErr, tc.contains)
			}
		})
	}
	audit, err := h.state.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) < 4 {
		t.Fatalf("admin commands must be audited, got %d entries", len(audit))
	}
	refused := false
	for _, a := range audit {
		if a.Command == "pause shopee-my" && !a.OK && a.UserID == "U1" {
			refused = true
		}
	}
	if !refused {
		t.Fatalf("the refused pause must be audited: %+v", audit)
	}
}

func TestPausedStoreIsNotPolled(t *testing.T) {
	h := newHarness(t, testStores[0])
	h.start()
	ctx := context.Background()
	if resp, _ := h.chat.Command(ctx, "pause shopee-my", "admin", true); resp.Error {
		t.Fatal(resp.Text)
	}
	before := h.mp(testStores[0]).Calls("ListConversations")
	h.pollOnce()
	h.pollOnce()
	if got := h.mp(testStores[0]).Calls("ListConversations"); got != before {
		t.Fatalf("paused store was polled %d times", got-before)
	}
}
