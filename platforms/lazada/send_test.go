package lazada_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// Lazada's session rule: to a buyer quiet for a day the seller may send 5
// messages; the 6th is refused before any API call, with the reason agents
// see beside the failed reply.
func TestSixthMessageToAQuietBuyerIsRefusedBeforeAnyCall(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	m, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "is it in stock?")
	r.delivered(t)
	r.clock.Advance(25 * time.Hour)
	conv := bridge.Conversation{ID: bridge.ConversationID(m.ConversationID), BuyerID: buyer(1), LastBuyerAt: m.CreatedAt}
	for i := range 5 {
		conv.SellerSince = i
		if _, err := r.client.SendText(ctx, r.store, conv, "follow-up"); err != nil {
			t.Fatalf("message %d of 5 to a quiet buyer: %v", i+1, err)
		}
	}
	r.delivered(t)
	r.sim.ResetCalls()
	conv.SellerSince = 5
	_, err := r.client.SendText(ctx, r.store, conv, "a 6th one")
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindPermanent {
		t.Fatalf("6th message: %v, want a permanent error", err)
	}
	for _, want := range []string{"at most 5 messages", "not replied within a day", "5 were sent", "wait for the buyer"} {
		if !strings.Contains(pe.Reason(), want) {
			t.Errorf("reason %q lacks %q", pe.Reason(), want)
		}
	}
	if n := r.sim.TotalCalls(); n != 0 {
		t.Errorf("the refused message made %d API calls %v, want none", n, r.sim.Calls())
	}
	// Never written (a conversation known only from the seller's side): quiet too.
	if _, err := r.client.SendText(ctx, r.store, bridge.Conversation{ID: conv.ID, SellerSince: 7}, "hello?"); bridge.Classify(err) != bridge.KindPermanent {
		t.Errorf("no buyer message at all, 7 sent: %v, want refused", err)
	}
	// A buyer who wrote within the day may get any number of replies.
	b, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "still there?")
	r.delivered(t)
	conv.LastBuyerAt, conv.SellerSince = b.CreatedAt, 9
	if _, err := r.client.SendText(ctx, r.store, conv, "yes"); err != nil {
		t.Errorf("a buyer active within the day: %v", err)
	}
}

// The simulator enforces the rule as Lazada would, should a client not.
func TestSimulatorRefusesTheSixthMessageToo(t *testing.T) {
	r := newRig(t)
	m, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "hi")
	r.clock.Advance(25 * time.Hour)
	for range 5 {
		if _, err := r.client.SendText(ctxT(t), r.store, bridge.Conversation{ID: bridge.ConversationID(m.ConversationID), LastBuyerAt: time.Now()}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := r.client.SendText(ctxT(t), r.store, bridge.Conversation{ID: bridge.ConversationID(m.ConversationID), LastBuyerAt: time.Now()}, "x")
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindPermanent || pe.Code != "MessageLimitExceeded" {
		t.Errorf("6th message past the client's check: %v, want Lazada's permanent refusal", err)
	}
}

// A sent message comes back with Lazada's ID and time; its push echo
// carries the same ID as the seller's; MarkRead reads the session.
func TestSendTextAndMarkRead(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	m, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "hi")
	r.delivered(t)
	conv := bridge.Conversation{ID: bridge.ConversationID(m.ConversationID), LastBuyerAt: m.CreatedAt}
	r.sim.ResetCalls()
	sent, err := r.client.SendText(ctx, r.store, conv, "hello & welcome = 100% <ok>")
	if err != nil {
		t.Fatal(err)
	}
	if c := r.sim.Calls(); c["/im/message/send"] != 1 || len(c) != 1 {
		t.Errorf("calls %v, want one send", c)
	}
	held := r.sim.Messages(r.store.ShopID)
	last := held[len(held)-1]
	if string(sent.ID) != last.ID || last.Text != "hello & welcome = 100% <ok>" || last.From != simulator.FromSellerAPI ||
		sent.Sender != bridge.SenderSeller || !sent.SentAt.Equal(last.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("sent %+v; the simulator holds %+v", sent, last)
	}
	r.delivered(t)
	echo := r.rec.byID(string(sent.ID))
	if len(echo) != 1 || echo[0].msg.Sender != bridge.SenderSeller || echo[0].msg.Text != last.Text {
		t.Errorf("push echo %+v, want the seller's message with the same ID", echo)
	}
	if err := r.client.MarkRead(ctx, r.store, conv.ID, sent.ID); err != nil {
		t.Fatal(err)
	}
	if c := r.sim.Conversations(r.store.ShopID)[0]; c.Unread != 0 || c.LastReadMessageID != string(sent.ID) {
		t.Errorf("after MarkRead: %+v", c)
	}
	if _, err := r.client.SendText(ctx, r.store, conv, "  "); bridge.Classify(err) != bridge.KindPermanent {
		t.Errorf("empty reply: %v", err)
	}
}

// A store whose site has no Lazada gateway is refused without a call.
func TestUnknownSiteIsPermanent(t *testing.T) {
	r := newRigWith(t, rigOptions{initial: true, mutate: func(c *lazadaConfig) { c.GatewayURL = "" }})
	st := r.store
	st.Site = "TW"
	err := r.client.CheckHealth(ctxT(t), st)
	if bridge.Classify(err) != bridge.KindPermanent || !strings.Contains(err.Error(), "no Lazada gateway") {
		t.Errorf("TW store: %v", err)
	}
}
