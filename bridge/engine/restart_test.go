package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

func TestRestartResumesWithoutDuplicates(t *testing.T) {
	h := newHarness(t)
	h.start()
	buyersWrite(h, 3, 2)
	h.syncAll()
	threadsBefore := len(h.chat.Threads())

	h.restart()
	// Nothing new: a restart re-posts nothing and opens no thread.
	h.syncAll()
	if got := len(h.chat.Threads()); got != threadsBefore {
		t.Fatalf("threads after restart: %d, want %d", got, threadsBefore)
	}
	buyersWrite(h, 4, 2)
	h.syncAll()
	h.assertRelayedExactlyOnce()
	if got := len(h.chat.Threads()); got != 3*4 {
		t.Fatalf("threads: %d, want 12", got)
	}
}

func TestRestartResumesQueuedReplies(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	rec, err := h.state.Conversation(ctx, s.ID, "c1")
	if err != nil {
		t.Fatal(err)
	}
	h.stop()
	// A reply stored just before a crash, never attempted.
	h.chat.Reopen()
	st := openState(t, h)
	queued, err := st.EnqueueReply(ctx, bridge.Reply{Store: s.ID, Conversation: "c1", Thread: rec.Thread,
		ChatMessage: bridge.ChatMessageRef{Channel: th.Ref.Channel, ID: "U-crash"}, Text: "queued before crash",
		Status: bridge.ReplyQueued, CreatedAt: h.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	h.start()
	waitStatus(t, h, queued.ChatMessage, bridge.ReplySent)
	if got := sellerTexts(h, s, "c1"); len(got) != 1 || got[0] != "queued before crash" {
		t.Fatalf("marketplace has %q", got)
	}
}

func TestUnknownOutcomeNotSentTwiceAfterRestart(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	// The marketplace accepts the send but the answer is lost; the engine
	// is stopped before its retry.
	h.mp(s).FailNextSends(bridgetest.SendLostAnswer)
	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "your refund is approved")
	if err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "outcome unknown", func() bool {
		r, err := h.state.ReplyByChatMessage(ctx, ref)
		return err == nil && r.Status == bridge.ReplySending && r.Attempts == 1 && !r.NextAttemptAt.IsZero()
	})
	h.restart()
	// The restarted engine resumes the row: due now or after its backoff.
	h.clock.Settle(t, 5*time.Second, 1)
	r := waitStatus(t, h, ref, bridge.ReplySent)
	if got := sellerTexts(h, s, "c1"); len(got) != 1 {
		t.Fatalf("buyer received the reply %d times (%q), want once", len(got), got)
	}
	if r.MarketplaceMessageID == "" {
		t.Fatalf("reconciled reply should carry the marketplace message ID")
	}
	// The reconciled message is not echoed into the thread either.
	h.syncAll()
	for _, p := range h.thread(s, "c1").Posts {
		if p.Message.Sender == bridge.SenderSeller {
			t.Fatalf("own reply echoed into the thread: %+v", p.Message)
		}
	}
}

func TestSyncMatchesUnknownOutcomeReplyInsteadOfEchoing(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	h.mp(s).FailNextSends(bridgetest.SendLostAnswer)
	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "shipped today")
	if err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "outcome unknown", func() bool {
		r, err := h.state.ReplyByChatMessage(ctx, ref)
		return err == nil && r.Status == bridge.ReplySending && r.Attempts == 1
	})
	// A sync sees the message before the outbox retries: it must be
	// recognised as the reply, not shown as sent from Seller Centre.
	h.syncAll()
	waitStatus(t, h, ref, bridge.ReplySent)
	for _, p := range h.thread(s, "c1").Posts {
		if p.Message.Sender == bridge.SenderSeller {
			t.Fatalf("own reply echoed into the thread: %+v", p.Message)
		}
	}
	h.clock.Settle(t, 5*time.Second, 1)
	if got := sellerTexts(h, s, "c1"); len(got) != 1 {
		t.Fatalf("buyer received the reply %d times, want once", len(got))
	}
}

func openState(t *testing.T, h *harness) bridge.State {
	t.Helper()
	st, err := sqliteOpen(h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
