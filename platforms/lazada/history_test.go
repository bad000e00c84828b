package lazada_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// The history import: sessions active since a time, the newest messages of
// each, oldest first; older sessions left out; each list call counted.
func TestImportHistory(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	for i := range 5 { // a month and more ago
		r.sim.BuyerSays(r.store.ShopID, buyer(100+i), "old")
		r.clock.Advance(time.Minute)
	}
	r.clock.Advance(40 * 24 * time.Hour)
	for i := range 30 { // the last hours
		for k := range 3 {
			r.sim.BuyerSays(r.store.ShopID, buyer(i), fmt.Sprintf("m%d", k))
		}
		r.clock.Advance(time.Minute)
	}
	r.delivered(t)
	r.sim.ResetCalls()
	since := r.clock.Now().Add(-10*time.Minute - time.Second)
	hist, err := r.client.ImportHistory(ctx, r.store, since, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 10 {
		t.Fatalf("imported %d sessions, want the 10 active in the last 10 minutes", len(hist))
	}
	for i, h := range hist {
		if len(h.Messages) != 2 || h.Messages[0].Text != "m1" || h.Messages[1].Text != "m2" {
			t.Errorf("session %s: %+v, want its newest 2 oldest first", h.Conversation.ID, h.Messages)
		}
		if i > 0 && h.Conversation.LatestMessageAt.After(hist[i-1].Conversation.LatestMessageAt) {
			t.Error("sessions are not newest first")
		}
		if h.Conversation.BuyerName == "" || h.Conversation.BuyerID == "" {
			t.Errorf("session without its buyer: %+v", h.Conversation)
		}
	}
	// One session page (20 ≥ 10 and the page reaches past since) and one
	// message page per session.
	calls := r.sim.Calls()
	if calls["/im/session/list"] != 1 || calls["/im/message/list"] != 10 || r.client.ListCalls(r.store.ID) != 11 {
		t.Errorf("calls %v, client counted %d; want 1 session page and 10 message pages", calls, r.client.ListCalls(r.store.ID))
	}
	// Since nothing: at most a month back.
	hist, err = r.client.ImportHistory(ctx, r.store, time.Time{}, 20)
	if err != nil || len(hist) != 30 {
		t.Errorf("since zero: %d sessions (%v), want the 30 of the last month", len(hist), err)
	}
}

// The hourly safety cap: beyond max_list_calls_per_hour the client refuses,
// with an ERROR log line and a permanent error, until the hour has passed.
func TestHourlyListCallCap(t *testing.T) {
	r := newRigWith(t, rigOptions{initial: true, mutate: func(c *lazadaConfig) { c.MaxListCallsPerHour = 4 }})
	ctx := ctxT(t)
	m, _ := r.sim.BuyerSays(r.store.ShopID, buyer(1), "hi")
	r.delivered(t)
	conv := bridge.ConversationID(m.ConversationID)
	for i := range 4 {
		c, msgs, err := r.client.RepairConversation(ctx, r.store, conv, 20)
		if err != nil {
			t.Fatalf("repair %d: %v", i+1, err)
		}
		if c.ID != conv || c.BuyerID != buyer(1) || c.BuyerName == "" || len(msgs) != 1 || string(msgs[0].ID) != m.ID {
			t.Fatalf("repair %d: %+v %+v", i+1, c, msgs)
		}
		r.clock.Advance(10 * time.Minute)
	}
	r.sim.ResetCalls()
	_, _, err := r.client.RepairConversation(ctx, r.store, conv, 20)
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindPermanent || pe.Code != "list_call_cap" || !strings.Contains(pe.Message, "max_list_calls_per_hour") {
		t.Fatalf("5th list call within the hour: %v, want the permanent cap error", err)
	}
	if r.sim.TotalCalls() != 0 || r.client.ListCallsRefused(r.store.ID) != 1 || r.client.ListCalls(r.store.ID) != 4 {
		t.Errorf("refused call reached the API (%v) or was miscounted", r.sim.Calls())
	}
	if !strings.Contains(r.logs.String(), "level=ERROR") || !strings.Contains(r.logs.String(), "safety cap") {
		t.Errorf("no ERROR log line for the refusal:\n%s", r.logs)
	}
	// The import refuses too, before any call, and is told why.
	if _, err := r.client.ImportHistory(ctx, r.store, time.Time{}, 20); !errors.As(err, &pe) || pe.Code != "list_call_cap" {
		t.Errorf("import at the cap: %v", err)
	}
	// An hour after the first call, one slot is free again.
	r.clock.Advance(30*time.Minute + time.Second)
	if _, _, err := r.client.RepairConversation(ctx, r.store, conv, 20); err != nil {
		t.Errorf("after the hour: %v", err)
	}
}

// An import that reaches the cap returns what it has (newest sessions
// first) and logs what it left out, instead of failing and being run again.
func TestImportTruncatedByTheCap(t *testing.T) {
	r := newRigWith(t, rigOptions{initial: true, mutate: func(c *lazadaConfig) { c.MaxListCallsPerHour = 6 }})
	for i := range 8 {
		r.sim.BuyerSays(r.store.ShopID, buyer(i), "hi")
		r.clock.Advance(time.Second)
	}
	r.delivered(t)
	hist, err := r.client.ImportHistory(ctxT(t), r.store, time.Time{}, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 5 || hist[0].Conversation.BuyerID != buyer(7) {
		t.Errorf("imported %d sessions starting with %+v, want the newest 5", len(hist), hist[0].Conversation)
	}
	if !strings.Contains(r.logs.String(), "history import truncated") {
		t.Error("the truncation was not logged")
	}
}

// The list methods of bridge.Marketplace never call Lazada.
func TestListMethodsNeverCallLazada(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	r.sim.BuyerSays(r.store.ShopID, buyer(1), "hi")
	r.delivered(t)
	r.sim.ResetCalls()
	_, err1 := r.client.ListConversations(ctx, r.store, time.Time{})
	_, err2 := r.client.ListMessages(ctx, r.store, "x", "", 10)
	for _, err := range []error{err1, err2} {
		if bridge.Classify(err) != bridge.KindPermanent || !strings.Contains(err.Error(), "push-driven") {
			t.Errorf("got %v, want a permanent error saying Lazada is push-driven", err)
		}
	}
	if r.sim.TotalCalls() != 0 {
		t.Errorf("calls %v", r.sim.Calls())
	}
}

// The health check is one /seller/get call, and notices tokens of another
// seller.
func TestCheckHealth(t *testing.T) {
	r := newRig(t)
	ctx := ctxT(t)
	r.sim.ResetCalls()
	if err := r.client.CheckHealth(ctx, r.store); err != nil {
		t.Fatal(err)
	}
	if c := r.sim.Calls(); c["/seller/get"] != 1 || len(c) != 1 {
		t.Errorf("calls %v, want one /seller/get", c)
	}
	other := r.store
	other.ShopID = "3003"
	if err := r.client.CheckHealth(ctx, other); bridge.Classify(err) != bridge.KindAuth || !strings.Contains(err.Error(), "belong to seller 2002") {
		t.Errorf("tokens of another seller: %v", err)
	}
	if _, err := r.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse}); err != nil {
		t.Fatal(err)
	}
	if err := r.client.CheckHealth(ctx, r.store); bridge.Classify(err) != bridge.KindTransient {
		t.Errorf("outage: %v", err)
	}
}
