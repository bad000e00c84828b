package engine

import (
	"context"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// A reply whose send outcome is unknown (a timeout, a 5xx, a crash
// mid-send) may still reach the buyer until its attempt's deadline plus a
// margin has passed. The outbox parks it until then, and then looks for it
// among the conversation's recent seller messages before sending it again;
// on a push-driven platform, whose lists are not polled, the queue matches
// the pushed echo of the reply instead.

// settleAt is when the reply's last attempt can no longer land: its
// deadline plus ReconcileMargin. Rows from before attempts had deadlines
// count from their last update.
func (o *Outbox) settleAt(r bridge.Reply) time.Time {
	deadline := r.AttemptDeadline
	if deadline.IsZero() {
		deadline = r.UpdatedAt.Add(o.cfg.SendTimeout)
	}
	return deadline.Add(o.cfg.ReconcileMargin)
}

// TextChecking is the note an agent gets while a reply whose send outcome is
// unknown waits to be checked.
const TextChecking = "Checking whether your reply already reached the buyer before sending it again."

// awaitSettle parks a reply with an unknown outcome until settleAt: it stays
// "sending" (no new ⏳ cycle) with a reason saying it is being checked, and
// its author is told once.
func (o *Outbox) awaitSettle(ctx context.Context, r bridge.Reply, wait time.Duration) {
	r.Reason = "checking whether an earlier attempt reached the buyer"
	r.NextAttemptAt = o.clock.Now().Add(wait)
	r.UpdatedAt = o.clock.Now()
	o.schedule(r.ID, wait)
	if err := o.state.UpdateReply(ctx, r); err != nil {
		o.log.Error("record reply as being checked", "reply", r.ID, "err", err)
	}
	o.mu.Lock()
	told := o.told[r.ID]
	o.told[r.ID] = true
	o.mu.Unlock()
	if told || r.ChatMessage.IsZero() {
		return
	}
	o.log.Info("reply with unknown outcome: waiting until its last attempt cannot land any more", "reply", r.ID, "check_in", wait.Round(time.Second))
	n := bridge.Notice{Thread: r.Thread, Channel: r.ChatMessage.Channel, UserID: r.AuthorID, Text: TextChecking}
	if err := o.chat.Notify(ctx, n); err != nil {
		o.log.Debug("could not tell the agent that the reply is being checked", "reply", r.ID, "err", err)
	}
}

// reconcile looks for the reply among the conversation's recent seller
// messages that no other reply has claimed.
func (o *Outbox) reconcile(ctx context.Context, st bridge.Store, r bridge.Reply) (bool, bridge.Message, error) {
	mp := o.mps(st.Platform)
	if _, pd := mp.(bridge.PushDriven); pd {
		// Its message lists must not be polled: the platform pushes the
		// reply back if it was applied, and the queue matches that echo to
		// this reply (MatchEcho) while it is unfinished. Past the settle
		// time no echo came, so the reply is sent again.
		return false, bridge.Message{}, nil
	}
	msgs, err := mp.ListMessages(ctx, st, r.Conversation, "", o.cfg.ReconcileWindow)
	if err != nil {
		return false, bridge.Message{}, err
	}
	claimed, err := o.claimedIDs(ctx, r.Store, r.CreatedAt)
	if err != nil {
		return false, bridge.Message{}, err
	}
	for _, m := range msgs {
		if m.Sender != bridge.SenderSeller {
			continue
		}
		if r.MarketplaceMessageID != "" && m.ID == r.MarketplaceMessageID {
			return true, m, nil // the ID an earlier attempt got back
		}
		// The same text, not claimed by another reply, and not older than
		// the reply (with room for clock skew between us and the marketplace).
		if sameText(m.Text, r.Text) && !claimed[m.ID] && !m.SentAt.Before(r.CreatedAt.Add(-reconcileSkew)) {
			return true, m, nil
		}
	}
	return false, bridge.Message{}, nil
}

// claimedIDs are marketplace message IDs already matched to a reply.
func (o *Outbox) claimedIDs(ctx context.Context, store bridge.StoreID, since time.Time) (map[bridge.MessageID]bool, error) {
	rows, err := o.state.Replies(ctx, store, since.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	out := map[bridge.MessageID]bool{}
	for _, x := range rows {
		if x.MarketplaceMessageID != "" {
			out[x.MarketplaceMessageID] = true
		}
	}
	return out, nil
}

func sameText(a, b string) bool { return strings.TrimSpace(a) == strings.TrimSpace(b) }

// reconcileSkew is how much earlier than the reply a matching message may
// be dated (the marketplace's clock against ours).
const reconcileSkew = 5 * time.Minute

// MatchEcho is called by the queue, under the conversation's lock, for a
// seller message it has not recorded: if an unfinished reply of the same
// conversation that was attempted has that text, the message is that reply
// (its send outcome was unknown), not one sent from elsewhere.
func (o *Outbox) MatchEcho(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, m bridge.Message, taken map[bridge.ReplyID]bool) (bridge.Reply, bool, error) {
	rows, err := o.state.UnfinishedReplies(ctx)
	if err != nil {
		return bridge.Reply{}, false, err
	}
	for _, r := range rows {
		if r.Store == store && r.Conversation == conv && r.Attempts > 0 && !taken[r.ID] && sameText(r.Text, m.Text) {
			return r, true, nil
		}
	}
	return bridge.Reply{}, false, nil
}

// EchoRecorded finishes a reply that the queue recorded as the bridge's own
// message: it is sent.
func (o *Outbox) EchoRecorded(ctx context.Context, st bridge.Store, before bridge.ConversationRecord, r bridge.Reply, m bridge.Message) {
	o.log.Info("reply found among the marketplace's messages; not sending again", "reply", r.ID, "message", m.ID)
	o.finishSent(ctx, st, before, r, m, false)
}
