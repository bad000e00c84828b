package bridgetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The contract suite (state/statetest, run on MemState there) covers the
// behaviour MemState shares with the SQL backends; these tests cover what
// is its own.

func TestMemStateReturnsCopies(t *testing.T) {
	ctx := t.Context()
	st := NewMemState(nil)
	c := bridge.ConversationRecord{Store: "shop-a", ID: "c1"}
	card := &bridge.Card{Title: "mug"}
	m := bridge.InboundMessage{Store: "shop-a", Message: bridge.Message{ID: "m1", Conversation: "c1", Card: card}}
	if _, err := st.RecordInbound(ctx, bridge.InboundBatch{Conversation: c, Messages: []bridge.InboundMessage{m}}); err != nil {
		t.Fatal(err)
	}
	card.Title = "changed by the caller after the write"
	got, err := st.PendingInbound(ctx, "shop-a", "c1", 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("PendingInbound = %v, %v", got, err)
	}
	got[0].Message.Card.Title = "changed by the caller after the read"
	again, _ := st.InboundMessages(ctx, "shop-a", "c1", []bridge.MessageID{"m1"})
	if again[0].Message.Card.Title != "mug" {
		t.Errorf("stored card title = %q, want mug: the state shares a card with a caller", again[0].Message.Card.Title)
	}

	stores := []bridge.StoreID{"shop-a", "shop-b"}
	if _, err := st.OpenIncident(ctx, bridge.Incident{Scope: "marketplace", Stores: stores}); err != nil {
		t.Fatal(err)
	}
	stores[0] = "changed"
	ins, _ := st.Incidents(ctx, time.Time{})
	ins[0].Stores[1] = "changed"
	ins, _ = st.Incidents(ctx, time.Time{})
	if ins[0].Stores[0] != "shop-a" || ins[0].Stores[1] != "shop-b" {
		t.Errorf("stored incident stores = %v: the state shares a slice with a caller", ins[0].Stores)
	}
}

func TestMemStateCloseAndReopen(t *testing.T) {
	ctx := t.Context()
	st := NewMemState(nil)
	if err := st.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := st.Meta(ctx, "k"); err == nil {
		t.Error("Meta on a closed state: no error")
	}
	v, err := st.Reopen().Meta(ctx, "k")
	if err != nil || v != "v" {
		t.Errorf("Meta after Reopen = %q, %v; want the data kept", v, err)
	}

	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.Reopen().SetMeta(done, "k", "w"); !errors.Is(err, context.Canceled) {
		t.Errorf("SetMeta with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestMemStateTimesThreadEventsByItsClock(t *testing.T) {
	ctx := t.Context()
	start := time.Date(2026, 3, 14, 9, 0, 0, 123456789, time.FixedZone("UTC+8", 8*3600))
	clock := NewClock(start)
	st := NewMemState(clock)
	c := bridge.ConversationRecord{Store: "shop-a", ID: "c1", Thread: bridge.ThreadRef{Channel: "C", ID: "1"}}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if err := st.SetThread(ctx, "shop-a", "c1", bridge.ThreadRef{Channel: "C", ID: "2"}); err != nil {
		t.Fatal(err)
	}
	evs, err := st.ThreadEvents(ctx, time.Time{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("ThreadEvents = %v, %v; want two", evs, err)
	}
	for i, want := range []time.Time{start, start.Add(time.Minute)} {
		if !evs[i].At.Equal(want) || evs[i].At.Location() != time.UTC {
			t.Errorf("event %d (%s) at %v, want the clock's %v in UTC", i, evs[i].Kind, evs[i].At, want)
		}
	}
	if evs, _ := st.ThreadEvents(ctx, start.Add(time.Second)); len(evs) != 1 || evs[0].Kind != bridge.ThreadReplaced {
		t.Errorf("ThreadEvents since a second after the start = %v, want the replacement", evs)
	}
}
