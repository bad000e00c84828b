package simcontract_test

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/simulator/simcontract"
)

func newBackend(t *testing.T) (*simulator.Simulator, *simcontract.Backend) {
	t.Helper()
	sim := simulator.New(simulator.Config{Clock: bridgetest.NewClock(platformtest.Start), Seed: 7})
	if err := sim.AddShop(simulator.Shop{ShopID: "1001", Site: "MY", Name: "Test Shop"}); err != nil {
		t.Fatal(err)
	}
	return sim, simcontract.New(sim, simcontract.ShopeeDialect{Sim: sim})
}

// Every fault the suite can ask for is one the simulator injects, on the
// dialect's path of the API it names (refuse, which closes the listener
// of a started simulator, is the contract's outage case).
func TestFaultsReachTheSimulator(t *testing.T) {
	sim, b := newBackend(t)
	kinds := []platformtest.FaultKind{
		platformtest.FaultRateLimit, platformtest.FaultHTTP429, platformtest.FaultServerError, platformtest.FaultHTTP5xx,
		platformtest.FaultHang, platformtest.FaultSlow, platformtest.FaultDropPushes,
		platformtest.FaultShufflePages, platformtest.FaultRepeatPages,
	}
	for _, k := range kinds {
		if err := b.SetFault(platformtest.Fault{Kind: k, API: platformtest.APISend, Count: 1, Delay: time.Second}); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	faults := sim.Faults()
	if len(faults) != len(kinds) {
		t.Fatalf("the simulator holds %d faults, want %d", len(faults), len(kinds))
	}
	for i, f := range faults {
		if string(f.Fault.Kind) != string(kinds[i]) || f.Fault.Path != "send_message" || f.Fault.Count != 1 {
			t.Errorf("fault %d: %+v, want %s on send_message once", i, f.Fault, kinds[i])
		}
	}
	b.ClearFaults()
	if n := len(sim.Faults()); n != 0 {
		t.Errorf("%d faults left after ClearFaults", n)
	}
	if err := b.SetFault(platformtest.Fault{Kind: "no_such_fault"}); err == nil {
		t.Error("an unknown fault kind was accepted")
	}
}

func TestMessagesAndSenders(t *testing.T) {
	_, b := newBackend(t)
	in, err := b.BuyerSays("1001", platformtest.BuyerID(1), "hello")
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.SellerSays("1001", platformtest.BuyerID(1), "hi there")
	if err != nil {
		t.Fatal(err)
	}
	if in.From != platformtest.FromBuyer || in.Text != "hello" || in.ConversationID == "" || in.BuyerID != platformtest.BuyerID(1) {
		t.Errorf("buyer message: %+v", in)
	}
	if out.From != platformtest.FromSellerCentre || out.ConversationID != in.ConversationID {
		t.Errorf("Seller Centre message: %+v", out)
	}
	held := b.Messages("1001")
	if len(held) != 2 || held[0] != in || held[1] != out {
		t.Errorf("held %+v, want the two messages as returned", held)
	}
	convs := b.Conversations("1001")
	if len(convs) != 1 || convs[0].ID != in.ConversationID || convs[0].BuyerID != in.BuyerID {
		t.Errorf("conversations %+v", convs)
	}
	if b.Skip(platformtest.CheckStalePushRefused) != "" {
		t.Error("Shopee's dialect has no exceptions")
	}
}
