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

// pushHarness runs the Lazada test store as a push-driven store.
func pushHarness(t *testing.T) (*harness, bridge.Store, *bridgetest.PushMarketplace) {
	s := testStores[1] // lazada-sg
	h := newHarness(t, s)
	h.pushes = bridge.NewPushes()
	var pm *bridgetest.PushMarketplace
	h.wrapMP = func(m *bridgetest.Marketplace) bridge.Marketplace {
		if m.Platform() != s.Platform {
			return m
		}
		pm = bridgetest.AsPushDriven(m, h.pushes)
		return pm
	}
	return h, s, pm
}

// A push-driven store is never polled: hundreds of pushes reach their
// threads exactly once, in order, duplicates are no-ops, and the list
// endpoints are called only by the one-off history import.
func TestPushDrivenStoreIsNeverPolled(t *testing.T) {
	h, s, _ := pushHarness(t)
	m := h.mp(s)
	// History from before the bridge: one unanswered recent conversation.
	h.clock.Advance(time.Minute)
	m.BuyerSays(s.ShopID, "old", "Ola", "still waiting for an answer")
	h.start()
	pm := bridgetest.AsPushDriven(m, h.pushes)
	ctx := context.Background()

	// Before the import is due: pushes only.
	for i := 0; i < 300; i++ {
		conv := bridge.ConversationID(fmt.Sprintf("c%d", i%12))
		h.clock.Advance(time.Millisecond)
		msg, err := pm.BuyerPushes(ctx, s.ShopID, conv, "buyer "+string(conv), fmt.Sprintf("pushed %d", i))
		if err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if i%10 == 0 { // the platform delivers at least once
			if err := pm.Push(ctx, s.ShopID, msg); err != nil {
				t.Fatalf("repeated push: %v", err)
			}
		}
	}
	h.posted()
	for i := 0; i < 8; i++ { // 8 health checks, 8 minutes
		h.clock.Settle(t, h.eng.Config().HealthInterval+time.Second, 1)
		h.posted()
	}
	if n := pm.ListCalls(); n != 0 {
		t.Fatalf("the IM lists were called %d times before the history import", n)
	}
	if n := m.Calls("CheckHealth"); n < 8 {
		t.Fatalf("%d health checks in 8 minutes", n)
	}
	// The import runs once, after the delay: the waiting conversation.
	for i := 0; i < 6; i++ {
		h.clock.Settle(t, h.eng.Config().HealthInterval+time.Second, 1)
		h.posted()
	}
	if n := m.Calls("ImportHistory"); n != 1 {
		t.Fatalf("history import ran %d times, want once", n)
	}
	for i := 0; i < 60; i++ { // an hour of health checks
		h.clock.Settle(t, h.eng.Config().HealthInterval+time.Second, 1)
	}
	h.posted()
	if n := pm.ListCalls(); n != 0 {
		t.Fatalf("the IM lists were called %d times", n)
	}
	if n := m.Calls("ImportHistory"); n != 1 {
		t.Fatalf("history import ran %d times, want once", n)
	}
	h.assertRelayedExactlyOnce()
	// A restart does not import again.
	h.restart()
	for i := 0; i < 20; i++ {
		h.clock.Settle(t, h.eng.Config().HealthInterval+time.Second, 1)
	}
	if n := m.Calls("ImportHistory"); n != 1 {
		t.Fatalf("history import ran %d times after a restart, want once", n)
	}
}

// A push-driven store whose pushes stop while agents reply is flagged once;
// the next push clears it.
func TestPushDrivenStoreFlagsPushesThatStop(t *testing.T) {
	h, s, _ := pushHarness(t)
	h.start()
	m := h.mp(s)
	pm := bridgetest.AsPushDriven(m, h.pushes)
	ctx := context.Background()
	h.clock.Advance(time.Second)
	if _, err := pm.BuyerPushes(ctx, s.ShopID, "c1", "Ana", "hello"); err != nil {
		t.Fatal(err)
	}
	h.posted()
	th := h.thread(s, "c1")
	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "hi Ana")
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h, ref, bridge.ReplySent)
	// No push comes back for the reply (the platform stopped pushing).
	for i := 0; i < 12; i++ {
		h.clock.Settle(t, h.eng.Config().HealthInterval+time.Second, 1)
	}
	var titles []string
	for _, a := range h.chat.Alerts() {
		titles = append(titles, a.Last().Title)
	}
	if len(titles) != 1 || !strings.HasPrefix(titles[0], "No pushes arrive") {
		t.Fatalf("alerts %q, want one about pushes", titles)
	}
	if _, err := pm.BuyerPushes(ctx, s.ShopID, "c1", "Ana", "are you there?"); err != nil {
		t.Fatal(err)
	}
	if a := h.chat.Alerts(); len(a) != 1 || a[0].Last().Severity != bridge.SeverityResolved {
		t.Fatalf("the push alert was not resolved by the next push")
	}
}

// A push that arrives while the bridge is not running is refused (the
// platform delivers it again), never acknowledged unrecorded.
func TestPushBeforeTheEngineRunsIsRefused(t *testing.T) {
	pushes := bridge.NewPushes()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := pushes.Record(ctx, bridge.PlatformLazada, "2002", bridge.Conversation{ID: "c1"}, []bridge.Message{{ID: "m1"}})
	if err == nil {
		t.Fatal("a push with no engine attached was accepted")
	}
}

// A recall arrives as the same message again, marked recalled: the posted
// message is shown recalled in its post (the post is updated), never posted
// a second time; a duplicate of the recall changes nothing more.
func TestRecallUpdatesThePostNeverPostsAgain(t *testing.T) {
	h, s, _ := pushHarness(t)
	h.start()
	pm := bridgetest.AsPushDriven(h.mp(s), h.pushes)
	ctx := context.Background()
	h.clock.Advance(time.Second)
	first, err := pm.BuyerPushes(ctx, s.ShopID, "c1", "Ana", "wrong size, sorry")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pm.BuyerPushes(ctx, s.ShopID, "c1", "Ana", "I meant M"); err != nil {
		t.Fatal(err)
	}
	h.posted()
	recall := first
	recall.Recalled = true
	for i := 0; i < 2; i++ {
		if err := pm.Push(ctx, s.ShopID, recall); err != nil {
			t.Fatal(err)
		}
		h.posted()
	}
	if n := h.chat.PostedIDs()[first.ID]; n != 1 {
		t.Fatalf("the recalled message is in the thread %d times, want once", n)
	}
	if n := h.chat.Updates(); n != 1 {
		t.Fatalf("%d post updates, want one for the recall", n)
	}
	th := h.thread(s, "c1")
	if !th.Posts[0].Message.Recalled || th.Posts[1].Message.Recalled {
		t.Fatalf("posts after the recall: %+v", th.Posts)
	}
}

// An admin's repair fetches one conversation of a push-driven store (one
// of the rare list calls) and posts only what the bridge missed.
func TestRepairFetchesOneConversationAndPostsWhatWasMissed(t *testing.T) {
	h, s, _ := pushHarness(t)
	h.start()
	m := h.mp(s)
	pm := bridgetest.AsPushDriven(m, h.pushes)
	ctx := context.Background()
	h.clock.Advance(time.Second)
	if _, err := pm.BuyerPushes(ctx, s.ShopID, "c1", "Ana", "pushed"); err != nil {
		t.Fatal(err)
	}
	m.BuyerSays(s.ShopID, "c1", "Ana", "this push was lost")
	h.posted()
	resp := h.eng.Command(ctx, bridge.CommandRequest{Text: "repair " + string(s.ID) + " c1", Admin: true, UserID: "U1"})
	if resp.Error || !strings.Contains(resp.Text, "1 message missing") {
		t.Fatalf("repair: %q", resp.Text)
	}
	h.posted()
	h.assertRelayedExactlyOnce()
	if n := pm.ListCalls(); n != 1 {
		t.Fatalf("%d list calls for one repair", n)
	}
	if resp := h.eng.Command(ctx, bridge.CommandRequest{Text: "repair " + string(s.ID) + " c1", UserID: "U2"}); !resp.Error {
		t.Fatalf("a non-admin could repair: %q", resp.Text)
	}
}
