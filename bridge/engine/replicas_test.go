package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/lease"
)

// cutLeases is a replica's connection to the leases: cut, every call fails
// (the replica is partitioned from the database, or hangs).
type cutLeases struct {
	bridge.Leases
	cut atomic.Bool
}

var errCut = errors.New("connection to the state database lost")

func (c *cutLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bridge.Lease, bool, error) {
	if c.cut.Load() {
		return bridge.Lease{}, false, errCut
	}
	return c.Leases.AcquireLease(ctx, name, holder, ttl)
}

func (c *cutLeases) HeartbeatReplica(ctx context.Context, id string, ttl time.Duration) (time.Time, error) {
	if c.cut.Load() {
		return time.Time{}, errCut
	}
	return c.Leases.HeartbeatReplica(ctx, id, ttl)
}

// replicaSet runs several engines on one state, one marketplace and one
// chat, as replicas on one PostgreSQL behind one Slack app.
type replicaSet struct {
	t      *testing.T
	clock  *bridgetest.Clock
	state  *bridgetest.MemState
	mp     *bridgetest.Marketplace
	chat   *bridgetest.Chat
	stores []bridge.Store
	engs   []*engine.Engine
	leases []*cutLeases
}

var replicaStores = []bridge.Store{
	{ID: "shop-a", Platform: bridge.PlatformShopee, ShopID: "1", Name: "A", Site: "MY"},
	{ID: "shop-b", Platform: bridge.PlatformShopee, ShopID: "2", Name: "B", Site: "MY"},
	{ID: "shop-c", Platform: bridge.PlatformShopee, ShopID: "3", Name: "C", Site: "SG"},
	{ID: "shop-d", Platform: bridge.PlatformShopee, ShopID: "4", Name: "D", Site: "SG"},
}

func newReplicaSet(t *testing.T, n int) *replicaSet {
	clock := bridgetest.NewClock(t0)
	rs := &replicaSet{t: t, clock: clock, state: bridgetest.NewMemState(clock), mp: bridgetest.NewMarketplace(bridge.PlatformShopee, clock),
		chat: bridgetest.NewChat(), stores: replicaStores}
	for i := 0; i < n; i++ {
		rs.add(fmt.Sprintf("replica-%d", i))
	}
	return rs
}

// add starts one more replica.
func (rs *replicaSet) add(id string) *engine.Engine {
	cfg := testConfig()
	cfg.Lease = lease.Config{TTL: 9 * time.Second, RenewEvery: 3 * time.Second, Margin: 2 * time.Second}
	l := &cutLeases{Leases: rs.state}
	e := engine.New(cfg, engine.Deps{
		State: rs.state.Reopen(), Chat: rs.chat, Marketplaces: []bridge.Marketplace{rs.mp}, Stores: rs.stores, Clock: rs.clock,
		Leases: l, ReplicaID: id, Singletons: []string{lease.Report},
	})
	if err := e.Start(context.Background()); err != nil {
		rs.t.Fatal(err)
	}
	rs.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	rs.engs = append(rs.engs, e)
	rs.leases = append(rs.leases, l)
	return e
}

// settle moves the clock in small steps for d, giving the coordinators,
// syncers and posters a moment at each step.
func (rs *replicaSet) settle(d time.Duration) {
	for passed := time.Duration(0); passed < d; passed += 250 * time.Millisecond {
		rs.step()
	}
}

// step moves the clock by a quarter second and waits until the posters
// are idle (and a few milliseconds, for the goroutines the timers woke).
func (rs *replicaSet) step() {
	rs.clock.Advance(250 * time.Millisecond)
	for _, e := range rs.engs {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_ = e.WaitPosted(ctx)
		cancel()
	}
	time.Sleep(2 * time.Millisecond) // not timing logic: lets woken goroutines run
}

// until moves the clock step by step until cond holds, for at most limit
// of fake time.
func (rs *replicaSet) until(what string, limit time.Duration, cond func() bool) {
	rs.t.Helper()
	for passed := time.Duration(0); !cond(); passed += 250 * time.Millisecond {
		if passed > limit {
			rs.t.Fatalf("not within %s: %s", limit, what)
		}
		rs.step()
	}
}

// oneHolderEach reports whether every store is held by exactly one of the
// live replicas.
func (rs *replicaSet) oneHolderEach(live ...int) bool {
	for _, h := range rs.holders(live...) {
		if len(h) != 1 {
			return false
		}
	}
	return len(rs.holders(live...)) == len(rs.stores)
}

// shared reports whether every store is held by exactly one of the live
// replicas and each of them holds one at least.
func (rs *replicaSet) shared(live ...int) bool {
	if !rs.oneHolderEach(live...) {
		return false
	}
	has := map[int]bool{}
	for _, h := range rs.holders(live...) {
		has[h[0]] = true
	}
	return len(has) == len(live)
}

// allPosted reports whether every buyer message is in the chat.
func (rs *replicaSet) allPosted() bool {
	posted := rs.chat.PostedIDs()
	for _, s := range rs.stores {
		for _, msgs := range rs.mp.Messages(s.ShopID) {
			for _, m := range msgs {
				if m.Sender == bridge.SenderBuyer && posted[m.ID] == 0 {
					return false
				}
			}
		}
	}
	return true
}

// holders maps each store to the replicas that hold it now.
func (rs *replicaSet) holders(live ...int) map[bridge.StoreID][]int {
	out := map[bridge.StoreID][]int{}
	for _, s := range rs.stores {
		for _, i := range live {
			if rs.engs[i].HoldsStore(s.ID) {
				out[s.ID] = append(out[s.ID], i)
			}
		}
	}
	return out
}

// requireOneHolderEach fails unless every store is held by exactly one of
// the live replicas.
func (rs *replicaSet) requireOneHolderEach(live ...int) map[bridge.StoreID]int {
	rs.t.Helper()
	owner := map[bridge.StoreID]int{}
	for _, s := range rs.stores {
		h := rs.holders(live...)[s.ID]
		if len(h) != 1 {
			rs.t.Fatalf("store %s held by replicas %v, want exactly one of %v", s.ID, h, live)
		}
		owner[s.ID] = h[0]
	}
	return owner
}

// requirePostedOnce fails unless every buyer message is in its
// conversation's thread exactly once.
func (rs *replicaSet) requirePostedOnce() {
	rs.t.Helper()
	posted := rs.chat.PostedIDs()
	for _, s := range rs.stores {
		for conv, msgs := range rs.mp.Messages(s.ShopID) {
			for _, m := range msgs {
				if m.Sender == bridge.SenderBuyer && posted[m.ID] != 1 {
					rs.t.Fatalf("store %s conversation %s: message %s posted %d times, want once", s.ID, conv, m.ID, posted[m.ID])
				}
			}
		}
	}
}

// Two replicas share the stores: each store is synced by one of them, every
// message is posted once, and an agent's reply received by either replica
// is sent once, by the store's holder.
func TestReplicasShareStoresAndDoEachJobOnce(t *testing.T) {
	rs := newReplicaSet(t, 2)
	rs.until("the stores shared by both replicas", 15*time.Second, func() bool { return rs.shared(0, 1) })
	owner := rs.requireOneHolderEach(0, 1)
	count := map[int]int{}
	for _, i := range owner {
		count[i]++
	}
	if count[0] == 0 || count[1] == 0 {
		t.Fatalf("stores %v: one replica holds none", owner)
	}
	if a, b := rs.engs[0].Holds(lease.Report), rs.engs[1].Holds(lease.Report); a == b {
		t.Fatalf("the report lease held by both or neither: %v %v", a, b)
	}
	// The chat holds every post while the messages arrive, so that both
	// replicas see the backlog (each rescans the shared queue) while the
	// holders' posts are in flight.
	release := rs.chat.BlockPosts()
	for i, s := range rs.stores {
		rs.mp.BuyerSays(s.ShopID, "c1", "Buyer", fmt.Sprintf("hello %d", i))
	}
	for passed := time.Duration(0); passed < 40*time.Second; passed += 250 * time.Millisecond {
		rs.clock.Advance(250 * time.Millisecond) // a poll interval, and rescans
		time.Sleep(time.Millisecond)             // not timing logic: lets woken goroutines run
	}
	release()
	rs.until("every message posted", time.Minute, rs.allPosted)
	rs.settle(5 * time.Second)
	rs.requirePostedOnce()

	// An agent answers every conversation; the chat hands each reply to
	// whichever replica listens (as Slack spreads events). The marketplace
	// refuses sends for a while, so both replicas see the unfinished
	// replies before they go out.
	rs.mp.FailMethod("SendText", true)
	for _, s := range rs.stores {
		th, ok := rs.chat.ThreadOf(s.ID, "c1")
		if !ok {
			t.Fatalf("no thread for %s", s.ID)
		}
		if _, err := rs.chat.AgentSays(context.Background(), th.Ref, "agent", "hi from "+string(s.ID)); err != nil {
			t.Fatal(err)
		}
	}
	rs.settle(2 * time.Second) // both replicas rescan meanwhile; fewer than SendAttempts tries fail
	rs.mp.FailMethod("SendText", false)
	rs.until("every reply sent", time.Minute, func() bool {
		for _, s := range rs.stores {
			if len(sellerReplies(rs.mp, s)) == 0 {
				return false
			}
		}
		return true
	})
	rs.settle(10 * time.Second)
	for _, s := range rs.stores {
		n := 0
		for _, m := range rs.mp.Messages(s.ShopID)["c1"] {
			if m.Sender == bridge.SenderSeller {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("store %s: the buyer got %d replies, want 1", s.ID, n)
		}
	}
}

// A replica cut off from the database stops its stores' work before its
// leases expire, and the other takes them over within the lease's TTL and
// a round: messages that arrive meanwhile are posted once, by the new
// holder.
func TestReplicaCutOffHandsItsStoresOver(t *testing.T) {
	rs := newReplicaSet(t, 2)
	rs.until("the stores shared by both replicas", 15*time.Second, func() bool { return rs.shared(0, 1) })
	owner := rs.requireOneHolderEach(0, 1)
	rs.leases[0].cut.Store(true)
	// Fencing: replica 0 drops its leases at TTL - margin after its last
	// renewal, before the database lets replica 1 take them.
	rs.settle(8 * time.Second)
	for _, s := range rs.stores {
		if rs.engs[0].HoldsStore(s.ID) {
			t.Fatalf("replica 0 still holds %s after its leases could not be renewed", s.ID)
		}
	}
	// Replica 1 takes them over within TTL + a round of the cut.
	rs.until("replica 1 holds every store", 6*time.Second, func() bool { return rs.oneHolderEach(1) })
	for i, s := range rs.stores {
		rs.mp.BuyerSays(s.ShopID, "c2", "Late", fmt.Sprintf("after the cut %d (was replica %d's)", i, owner[s.ID]))
	}
	rs.until("every message posted", time.Minute, rs.allPosted)
	rs.settle(5 * time.Second)
	rs.requirePostedOnce()

	// Back on line, replica 0 gets its share again, and nothing is posted
	// twice across the handover.
	rs.leases[0].cut.Store(false)
	rs.until("the stores shared again", 20*time.Second, func() bool { return rs.shared(0, 1) })
	for i, s := range rs.stores {
		rs.mp.BuyerSays(s.ShopID, "c3", "Again", fmt.Sprintf("after the return %d", i))
	}
	rs.until("every message posted", time.Minute, rs.allPosted)
	rs.settle(5 * time.Second)
	rs.requirePostedOnce()
}

// sellerReplies are the seller's messages in the store's conversation c1.
func sellerReplies(mp *bridgetest.Marketplace, s bridge.Store) []bridge.Message {
	var out []bridge.Message
	for _, m := range mp.Messages(s.ShopID)["c1"] {
		if m.Sender == bridge.SenderSeller {
			out = append(out, m)
		}
	}
	return out
}

// status names the replicas and which one holds each store.
func TestStatusShowsWhichReplicaHoldsWhichStore(t *testing.T) {
	rs := newReplicaSet(t, 2)
	rs.until("the stores shared by both replicas", 15*time.Second, func() bool { return rs.shared(0, 1) })
	owner := rs.requireOneHolderEach(0, 1)
	resp := rs.engs[0].Command(context.Background(), bridge.CommandRequest{Surface: "fake", UserID: "U1", Text: "status"})
	if !strings.Contains(resp.Text, "Replicas: replica-0, replica-1 (this one is replica-0).") {
		t.Fatalf("status without the replicas:\n%s", resp.Text)
	}
	for _, s := range rs.stores {
		if want := fmt.Sprintf("store:%s: replica-%d", s.ID, owner[s.ID]); !strings.Contains(resp.Text, want) {
			t.Fatalf("status without %q:\n%s", want, resp.Text)
		}
	}
}
