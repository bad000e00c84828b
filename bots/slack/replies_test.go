package slack

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// agentReply puts an agent's reply into the thread and returns the outbox
// row the core would make of it.
func agentReply(f *fixture, thread bridge.ThreadRef, id bridge.ReplyID, text string) bridge.Reply {
	ts := f.fake.PostAsUser(thread.Channel, agentID, thread.ID, text)
	return bridge.Reply{ID: id, Thread: thread, ChatMessage: bridge.ChatMessageRef{Channel: thread.Channel, ID: ts},
		AuthorID: agentID, Text: text, Status: bridge.ReplyQueued}
}

func TestReplyStatusReactionsProgress(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	thread, _ := openThread(t, f, "c1")
	r := agentReply(f, thread, 7, "Yes, in stock")
	steps := []struct {
		status bridge.ReplyStatus
		want   []string
	}{
		{bridge.ReplyQueued, []string{"hourglass_flowing_sand"}},
		{bridge.ReplySending, []string{"hourglass_flowing_sand"}},
		{bridge.ReplySent, []string{"white_check_mark"}},
	}
	for _, st := range steps {
		r.Status = st.status
		if err := f.s.SetReplyStatus(ctx, r); err != nil {
			t.Fatalf("SetReplyStatus(%s): %v", st.status, err)
		}
		if got := f.fake.Reactions(r.ChatMessage.Channel, r.ChatMessage.ID); !slices.Equal(got, st.want) {
			t.Fatalf("after %s reactions = %v, want %v", st.status, got, st.want)
		}
	}
	if n := len(f.fake.Thread(thread.Channel, thread.ID)); n != 1 {
		t.Fatalf("a successful reply added %d thread messages, want only the agent's", n)
	}
}

func TestReplyStatusAfterRestartRemovesUnknownPrevious(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	thread, _ := openThread(t, f, "c1")
	r := agentReply(f, thread, 7, "hi")
	r.Status = bridge.ReplySending
	_ = f.s.SetReplyStatus(ctx, r)
	// A new process does not remember the hourglass it set.
	f.s.replies = newReplyBook()
	r.Status = bridge.ReplySent
	if err := f.s.SetReplyStatus(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got := f.fake.Reactions(r.ChatMessage.Channel, r.ChatMessage.ID); !slices.Equal(got, []string{"white_check_mark"}) {
		t.Fatalf("reactions = %v, want only the check mark", got)
	}
	// Setting it again is harmless (already_reacted counts as success).
	f.s.replies = newReplyBook()
	if err := f.s.SetReplyStatus(ctx, r); err != nil {
		t.Fatalf("repeated SetReplyStatus: %v", err)
	}
}

func TestFailedReplyShowsReasonAndRetryButton(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	thread, _ := openThread(t, f, "c1")
	r := agentReply(f, thread, 42, "Sure <b>")
	r.Status = bridge.ReplyFailed
	r.Reason = "shopee: send message: permanent: buyer blocked <script>"
	if err := f.s.SetReplyStatus(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got := f.fake.Reactions(r.ChatMessage.Channel, r.ChatMessage.ID); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("reactions = %v, want x", got)
	}
	replies := f.fake.Thread(thread.Channel, thread.ID)
	if len(replies) != 2 {
		t.Fatalf("%d thread messages, want the agent's and one failure notice", len(replies))
	}
	notice := replies[1]
	text := blockText(notice.Blocks)
	if !strings.Contains(text, "buyer blocked") || strings.Contains(text, "<script>") || !strings.Contains(text, "<@"+agentID+">") {
		t.Fatalf("notice text = %q, want the escaped reason and the author mentioned", text)
	}
	buttons := blocksOfType(notice.Blocks, "button")
	if len(buttons) != 1 || buttons[0]["action_id"] != bridge.ActionRetrySend || buttons[0]["value"] != "42" {
		t.Fatalf("buttons = %v, want one retry_send with value 42", buttons)
	}

	// A second failure edits the same notice.
	r.Reason = "network down"
	if err := f.s.SetReplyStatus(ctx, r); err != nil {
		t.Fatal(err)
	}
	replies = f.fake.Thread(thread.Channel, thread.ID)
	if len(replies) != 2 || !strings.Contains(blockText(replies[1].Blocks), "network down") {
		t.Fatalf("second failure: %d thread messages, notice %q", len(replies), blockText(replies[1].Blocks))
	}

	// Sent after a retry: ✅ and the notice loses its button.
	r.Status = bridge.ReplySent
	if err := f.s.SetReplyStatus(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got := f.fake.Reactions(r.ChatMessage.Channel, r.ChatMessage.ID); !slices.Equal(got, []string{"white_check_mark"}) {
		t.Fatalf("reactions = %v, want the check mark", got)
	}
	n, _ := f.fake.Message(notice.Channel, notice.TS)
	if len(blocksOfType(n.Blocks, "button")) != 0 || !strings.Contains(blockText(n.Blocks), "sent to the buyer after a retry") {
		t.Fatalf("notice not resolved: %s", blockText(n.Blocks))
	}
}

func TestCustomReactionNames(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Reactions = Reactions{Sending: "eyes", Sent: "ok_hand", Failed: "broken_heart"}
	})
	thread, _ := openThread(t, f, "c1")
	r := agentReply(f, thread, 1, "hi")
	r.Status = bridge.ReplySending
	_ = f.s.SetReplyStatus(context.Background(), r)
	r.Status = bridge.ReplySent
	_ = f.s.SetReplyStatus(context.Background(), r)
	if got := f.fake.Reactions(r.ChatMessage.Channel, r.ChatMessage.ID); !slices.Equal(got, []string{"ok_hand"}) {
		t.Fatalf("reactions = %v, want ok_hand", got)
	}
}

func TestAlertsPostAndUpdateInPlace(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	ref, err := f.s.PostAlert(ctx, bridge.Alert{
		Severity: bridge.SeverityWarning, Title: "Network restored, but full session sync failed",
		Text: "Stores: shop-a, shop-b", Stores: []bridge.StoreID{"shop-a", "shop-b"},
		Actions: []bridge.Action{{ID: bridge.ActionRetrySync, Label: "Retry", Value: ""}, {ID: bridge.ActionRetrySync, Label: "Retry shop-a", Value: "shop-a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Channel != chAlerts {
		t.Fatalf("alert in %s, want the alerts channel", ref.Channel)
	}
	m, _ := f.fake.Message(chAlerts, ref.ID)
	buttons := blocksOfType(m.Blocks, "button")
	if len(buttons) != 2 || baseActionID(buttons[1]["action_id"].(string)) != bridge.ActionRetrySync || buttons[0]["action_id"] == buttons[1]["action_id"] {
		t.Fatalf("buttons = %v, want two unique retry_sync buttons", buttons)
	}
	if err := f.s.UpdateAlert(ctx, ref, bridge.Alert{Severity: bridge.SeverityResolved, Title: "Network restored after 4m — 12 messages caught up"}); err != nil {
		t.Fatal(err)
	}
	m, _ = f.fake.Message(chAlerts, ref.ID)
	if m.Updates != 1 || len(blocksOfType(m.Blocks, "button")) != 0 || !strings.Contains(blockText(m.Blocks), "12 messages caught up") {
		t.Fatalf("alert not edited in place to resolved: updates=%d\n%s", m.Updates, blockText(m.Blocks))
	}
	if n := len(f.fake.Roots(chAlerts)); n != 1 {
		t.Fatalf("%d alerts, want one edited in place", n)
	}
}

func TestNotifyIsEphemeralInThread(t *testing.T) {
	f := newFixture(t, nil)
	thread, _ := openThread(t, f, "c1")
	err := f.s.Notify(context.Background(), bridge.Notice{Thread: thread, UserID: agentID, Text: "Only admins can do <that>"})
	if err != nil {
		t.Fatal(err)
	}
	eph := f.fake.Ephemerals()
	if len(eph) != 1 || eph[0].User != agentID || eph[0].ThreadTS != thread.ID || eph[0].Channel != thread.Channel || strings.Contains(eph[0].Text, "<that>") {
		t.Fatalf("ephemerals = %+v", eph)
	}
}

func TestPostReport(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ReportChannel = chStore })
	ref, err := f.s.PostReport(context.Background(), "Daily inspection 2026-03-01", "Missed replies: 0\nFailed sends: 1")
	if err != nil || ref.Channel != chStore {
		t.Fatalf("PostReport = %v, %v", ref, err)
	}
	m, _ := f.fake.Message(chStore, ref.ID)
	if !strings.Contains(blockText(m.Blocks), "Failed sends: 1") {
		t.Fatalf("report text missing: %s", blockText(m.Blocks))
	}
}
