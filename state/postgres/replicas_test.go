package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/lease"
)

// Two engines on one PostgreSQL schema, as two replicas behind one chat:
// the stores are shared, every buyer message is posted once and every
// reply sent once; when one replica stops, the other takes its stores and
// nothing is posted twice across the handover. The leases are timed by
// the database, so this test runs on the system clock, with short leases.
func TestEnginesShareStoresOnPostgreSQL(t *testing.T) {
	s := newSchemas(t)
	clock := bridge.SystemClock{}
	mp := bridgetest.NewMarketplace(bridge.PlatformShopee, clock)
	chat := bridgetest.NewChat()
	var stores []bridge.Store
	for i := range 4 {
		stores = append(stores, bridge.Store{ID: bridge.StoreID(fmt.Sprintf("shop-%d", i)), Platform: bridge.PlatformShopee,
			ShopID: fmt.Sprint(100 + i), Name: fmt.Sprint("Shop ", i), Site: "MY"})
	}
	start := func(id string) *engine.Engine {
		db := s.open(t, "replicas")
		cfg := engine.Config{PollInterval: time.Second, PollJitter: 0.0001, ReplicaRescan: 200 * time.Millisecond,
			Lease: lease.Config{TTL: 3 * time.Second, RenewEvery: time.Second, Margin: 500 * time.Millisecond}}
		e := engine.New(cfg, engine.Deps{State: db, Chat: chat, Marketplaces: []bridge.Marketplace{mp}, Stores: stores,
			Clock: clock, Leases: db, ReplicaID: id, Singletons: []string{lease.Report}})
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Stop(context.Background()); db.Close() })
		return e
	}
	a, b := start("replica-a"), start("replica-b")
	owners := func(engs ...*engine.Engine) (map[bridge.StoreID]int, bool) {
		out := map[bridge.StoreID]int{}
		for _, st := range stores {
			n := 0
			for i, e := range engs {
				if e.HoldsStore(st.ID) {
					n++
					out[st.ID] = i
				}
			}
			if n != 1 {
				return nil, false
			}
		}
		return out, true
	}
	bridgetest.Eventually(t, "the stores shared by both replicas", func() bool {
		o, ok := owners(a, b)
		if !ok {
			return false
		}
		has := map[int]bool{}
		for _, i := range o {
			has[i] = true
		}
		return len(has) == 2
	})
	say := func(conv bridge.ConversationID, text string) {
		for _, st := range stores {
			mp.BuyerSays(st.ShopID, conv, "Buyer", text)
		}
	}
	postedOnce := func(what string) {
		t.Helper()
		bridgetest.Eventually(t, what, func() bool {
			posted := chat.PostedIDs()
			for _, st := range stores {
				for _, msgs := range mp.Messages(st.ShopID) {
					for _, m := range msgs {
						if m.Sender == bridge.SenderBuyer && posted[m.ID] == 0 {
							return false
						}
					}
				}
			}
			return true
		})
		time.Sleep(time.Second) // not timing logic: a second post would show by now
		for id, n := range chat.PostedIDs() {
			if n != 1 {
				t.Fatalf("%s: message %s posted %d times", what, id, n)
			}
		}
	}
	say("c1", "hello")
	postedOnce("every first message posted")
	for _, st := range stores {
		th, ok := chat.ThreadOf(st.ID, "c1")
		if !ok {
			t.Fatalf("no thread for %s", st.ID)
		}
		if _, err := chat.AgentSays(context.Background(), th.Ref, "agent", "hi "+string(st.ID)); err != nil {
			t.Fatal(err)
		}
	}
	bridgetest.Eventually(t, "every reply sent", func() bool {
		for _, st := range stores {
			if sellerCount(mp, st, "c1") == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // not timing logic: a second send would show by now
	for _, st := range stores {
		if n := sellerCount(mp, st, "c1"); n != 1 {
			t.Fatalf("store %s: the buyer got %d replies, want 1", st.ID, n)
		}
	}

	// replica-a stops: replica-b takes every store.
	if err := a.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "replica-b holds every store", func() bool { _, ok := owners(b); return ok })
	say("c2", "after the handover")
	postedOnce("every message after the handover posted")
}

func sellerCount(mp *bridgetest.Marketplace, st bridge.Store, conv bridge.ConversationID) int {
	n := 0
	for _, m := range mp.Messages(st.ShopID)[conv] {
		if m.Sender == bridge.SenderSeller {
			n++
		}
	}
	return n
}
