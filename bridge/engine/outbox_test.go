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

func waitStatus(t testing.TB, h *harness, ref bridge.ChatMessageRef, want bridge.ReplyStatus) bridge.Reply {
	t.Helper()
	var last bridge.Reply
	bridgetest.Eventually(t, fmt.Sprintf("reply %v shows %s", ref, want), func() bool {
		r, ok := h.chat.LastStatus(ref)
		last = r
		return ok && r.Status == want
	}, h.chat.Changed)
	return last
}

// sellerTexts returns the seller messages the marketplace holds for a conversation.
func sellerTexts(h *harness, s bridge.Store, conv bridge.ConversationID) []string {
	var out []string
	for _, m := range h.mp(s).Messages(s.ShopID)[conv] {
		if m.Sender == bridge.SenderSeller {
			out = append(out, m.Text)
		}
	}
	return out
}

func setupConversation(t *testing.T) (*harness, bridge.Store, bridgetest.Thread) {
	s := testStores[0]
	h := newHarness(t, s)
	h.start()
	h.clock.Advance(time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "Gina", "is this in stock?")
	h.syncAll()
	return h, s, h.thread(s, "c1")
}

func TestReplySentShowsSendingThenSent(t *testing.T) {
	h, s, th := setupConversation(t)
	ref, err := h.chat.AgentSays(context.Background(), th.Ref, "agent", "Yes, it is!")
	if err != nil {
		t.Fatal(err)
	}
	r := waitStatus(t, h, ref, bridge.ReplySent)
	if got := h.chat.Statuses(ref); strings.Join(statusStrings(got), ",") != "queued,sending,sent" {
		t.Fatalf("statuses shown: %v, want queued,sending,sent", got)
	}
	if r.MarketplaceMessageID == "" {
		t.Fatalf("sent reply should carry the marketplace message ID")
	}
	if got := sellerTexts(h, s, "c1"); len(got) != 1 || got[0] != "Yes, it is!" {
		t.Fatalf("marketplace has %q, want the reply once", got)
	}
	rec, _ := h.state.Conversation(context.Background(), s.ID, "c1")
	if !rec.AwaitingSince.IsZero() {
		t.Fatalf("conversation should be answered after the reply")
	}
}

func statusStrings(s []bridge.ReplyStatus) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return out
}

func TestTransientFailureThenSentOnce(t *testing.T) {
	for _, f := range []struct {
		name  string
		fault bridgetest.SendFault
	}{
		{"server error", bridgetest.SendTransient},
		{"connection refused", bridgetest.SendNotDelivered},
		{"rate limited", bridgetest.SendRateLimited},
		{"accepted but answer lost", bridgetest.SendLostAnswer},
	} {
		t.Run(f.name, func(t *testing.T) {
			h, s, th := setupConversation(t)
			h.mp(s).FailNextSends(f.fault)
			ref, err := h.chat.AgentSays(context.Background(), th.Ref, "agent", "On its way")
			if err != nil {
				t.Fatal(err)
			}
			// The first attempt fails and a retry is scheduled on the clock:
			// soon after a failure that certainly did not deliver, only once
			// the attempt cannot land any more after one whose outcome is
			// unknown (a 5xx, a lost answer).
			var next time.Time
			bridgetest.Eventually(t, "retry scheduled", func() bool {
				r, err := h.state.ReplyByChatMessage(context.Background(), ref)
				next = r.NextAttemptAt
				return err == nil && r.Attempts == 1 && !r.NextAttemptAt.IsZero()
			})
			h.clock.Settle(t, next.Sub(h.clock.Now())+time.Second, 1)
			waitStatus(t, h, ref, bridge.ReplySent)
			if got := sellerTexts(h, s, "c1"); len(got) != 1 {
				t.Fatalf("marketplace has the reply %d times (%q), want exactly once", len(got), got)
			}
		})
	}
}

func TestPermanentFailureThenRetry(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	h.mp(s).FailNextSends(bridgetest.SendPermanent)
	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "Here is the link")
	if err != nil {
		t.Fatal(err)
	}
	r := waitStatus(t, h, ref, bridge.ReplyFailed)
	if !strings.Contains(r.Reason, "refused") {
		t.Fatalf("failed reply should say why, got %q", r.Reason)
	}
	if len(sellerTexts(h, s, "c1")) != 0 {
		t.Fatalf("nothing should have reached the buyer")
	}
	resp, err := h.chat.Press(ctx, bridge.ActionRetrySend, fmt.Sprint(r.ID), "agent", false)
	if err != nil || resp.Error {
		t.Fatalf("retry: %v %+v", err, resp)
	}
	waitStatus(t, h, ref, bridge.ReplySent)
	if got := sellerTexts(h, s, "c1"); len(got) != 1 {
		t.Fatalf("marketplace has %q, want the reply once", got)
	}
}

func TestGivesUpAfterAttemptsWithReason(t *testing.T) {
	h, s, th := setupConversation(t)
	h.mp(s).FailNextSends(bridgetest.SendNotDelivered, bridgetest.SendNotDelivered, bridgetest.SendNotDelivered, bridgetest.SendNotDelivered)
	ref, err := h.chat.AgentSays(context.Background(), th.Ref, "agent", "hello?")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		attempt := i
		bridgetest.Eventually(t, fmt.Sprintf("attempt %d scheduled", attempt), func() bool {
			r, err := h.state.ReplyByChatMessage(context.Background(), ref)
			return err == nil && r.Attempts == attempt && !r.NextAttemptAt.IsZero()
		})
		h.clock.Settle(t, 10*time.Second, 1)
	}
	r := waitStatus(t, h, ref, bridge.ReplyFailed)
	if !strings.Contains(r.Reason, "gave up after 4 attempts") {
		t.Fatalf("reason: %q", r.Reason)
	}
}

func TestNotesAndForeignThreadsAreNotSent(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	if _, err := h.chat.AgentSays(ctx, th.Ref, "agent", "note: customer is VIP, be nice"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.chat.AgentSays(ctx, th.Ref, "agent", "NOTE: also internal"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.chat.AgentSays(ctx, bridge.ThreadRef{Channel: "random", ID: "x"}, "agent", "chatting elsewhere"); err != nil {
		t.Fatal(err)
	}
	rows, err := h.state.Replies(ctx, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 0 {
		t.Fatalf("no outbox row expected, got %+v", rows)
	}
	if len(sellerTexts(h, s, "c1")) != 0 {
		t.Fatalf("nothing should reach the buyer")
	}
}

func TestRedeliveredChatMessageSentOnce(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "only once please")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.chat.Redeliver(ctx, th.Ref, ref, "agent", "only once please"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, ref, bridge.ReplySent)
	if err := h.chat.Redeliver(ctx, th.Ref, ref, "agent", "only once please"); err != nil {
		t.Fatal(err)
	}
	if got := sellerTexts(h, s, "c1"); len(got) != 1 {
		t.Fatalf("marketplace has %q, want once", got)
	}
}

// A reply sent while a buyer message is not yet synced must not hide it:
// the watermark stays with the sync.
func TestReplyDoesNotHideUnsyncedBuyerMessages(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	h.clock.Advance(time.Second)
	h.mp(s).BuyerSays(s.ShopID, "c1", "Gina", "also, do you ship to Penang?")
	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "Yes, it is in stock")
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, ref, bridge.ReplySent)
	h.syncAll()
	h.assertRelayedExactlyOnce()
	// And the conversation settles: its own reply is not fetched forever.
	before := h.mp(s).Calls("ListMessages")
	h.syncAll()
	h.syncAll()
	if got := h.mp(s).Calls("ListMessages") - before; got > 1 {
		t.Fatalf("an idle conversation was fetched %d times in two syncs", got)
	}
}

func TestStatsCountRelayedAndReplies(t *testing.T) {
	h, s, th := setupConversation(t)
	ref, err := h.chat.AgentSays(context.Background(), th.Ref, "agent", "hello")
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, ref, bridge.ReplySent)
	st := h.eng.Stats()
	if len(st.Stores) != 1 || st.Stores[0].Store != s.ID || st.Stores[0].Relayed != 1 || !st.Stores[0].Up || st.Stores[0].SyncsOK == 0 {
		t.Fatalf("store stats: %+v", st.Stores)
	}
	if st.RepliesSent != 1 || st.RepliesFailed != 0 || !st.ChatUp {
		t.Fatalf("stats: %+v", st)
	}
}

// Replies of one conversation reach the buyer in the order agents wrote
// them, although several workers send at once.
func TestRepliesOfAConversationKeepTheirOrder(t *testing.T) {
	h, s, th := setupConversation(t)
	ctx := context.Background()
	var refs []bridge.ChatMessageRef
	var want []string
	for i := 0; i < 12; i++ {
		text := fmt.Sprintf("part %d", i)
		ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", text)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
		want = append(want, text)
	}
	for _, ref := range refs {
		waitStatus(t, h, ref, bridge.ReplySent)
	}
	if got := sellerTexts(h, s, "c1"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("buyer received %q, want %q", got, want)
	}
}
