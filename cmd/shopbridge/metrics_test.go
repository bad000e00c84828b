package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/lease"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

func TestMetricsEndpoint(t *testing.T) {
	clock := bridgetest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	mp := bridgetest.NewMarketplace(bridge.PlatformShopee, clock)
	chat := bridgetest.NewChat()
	st, err := sqlite.Open(context.Background(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store := bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1", Name: "Main", Site: "MY"}
	e := engine.New(engine.Config{}, engine.Deps{State: st, Chat: chat, Marketplaces: []bridge.Marketplace{mp}, Stores: []bridge.Store{store}, Clock: clock})
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	clock.Advance(time.Second)
	mp.BuyerSays("1", "c1", "Ann", "hi")
	if _, err := e.SyncNow(ctx, store.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitPosted(ctx); err != nil {
		t.Fatal(err)
	}
	srv := NewServer(HTTPConfig{Listen: "127.0.0.1:0", MaxBodyBytes: 1 << 20}, newLogger(LogConfig{}, io.Discard))
	refusals := bridge.NewRefusals(nil, clock, 0)
	refusals.Refuse("shopee_push", "bad_signature")
	registerMetrics(srv, e, refusals)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`shopbridge_messages_relayed_total{platform="shopee",site="MY",store="shopee-my"} 1`,
		`shopbridge_store_up{platform="shopee",reason="",site="MY",store="shopee-my"} 1`,
		`shopbridge_chat_up 1`,
		`shopbridge_replies_total{status="sent"} 0`,
		`shopbridge_refused_requests_total{endpoint="shopee_push",reason="bad_signature"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

// With leases (several replicas on PostgreSQL), /metrics shows what this
// replica holds, its tenures and the replicas it sees; /readyz says it
// shares the work.
func TestMetricsAndReadinessOfAReplica(t *testing.T) {
	clock := bridgetest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	st := bridgetest.NewMemState(clock)
	store := bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1", Name: "Main", Site: "MY"}
	e := engine.New(engine.Config{}, engine.Deps{State: st, Chat: bridgetest.NewChat(), Marketplaces: []bridge.Marketplace{bridgetest.NewMarketplace(bridge.PlatformShopee, clock)},
		Stores: []bridge.Store{store}, Clock: clock, Leases: st, ReplicaID: "replica-a", Singletons: []string{lease.Report}})
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	bridgetest.Eventually(t, "the replica holds its leases", func() bool { return e.HoldsStore(store.ID) && e.Holds(lease.Report) })
	srv := NewServer(HTTPConfig{Listen: "127.0.0.1:0", MaxBodyBytes: 1 << 20}, newLogger(LogConfig{}, io.Discard))
	registerMetrics(srv, e, bridge.NewRefusals(nil, clock, 0))
	srv.SetReady(func() (bool, string) { return e.Ready(ctx, time.Minute) })
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	_, body := get("/metrics")
	for _, want := range []string{
		`shopbridge_leases_held{replica="replica-a"} 3`, // the store, the report, the alerts
		`shopbridge_lease_tenures_total{event="acquired",replica="replica-a"} 3`,
		`shopbridge_replicas_live{replica="replica-a"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if code, text := get("/readyz"); code != http.StatusOK || !strings.Contains(text, "replica replica-a holds 3 leases among 1 replicas") {
		t.Fatalf("/readyz: %d %s", code, text)
	}
}
