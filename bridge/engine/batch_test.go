package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

// A surface that batches gets a conversation's new messages in one call,
// and a thread deleted mid-batch is healed without losing the rest.
func TestBatchPosterGetsRunsOfMessages(t *testing.T) {
	s := testStores[0]
	clock := bridgetest.NewClock(t0)
	mp := bridgetest.NewMarketplace(s.Platform, clock)
	chat := bridgetest.NewBatchChat()
	st := bridgetest.NewMemState(nil)
	defer st.Close()
	eng := engine.New(testConfig(), engine.Deps{State: st, Chat: chat, Marketplaces: []bridge.Marketplace{mp}, Stores: []bridge.Store{s}, Clock: clock})
	ctx := context.Background()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(ctx)
	<-chat.Ready()
	// The first poll runs at start; let it finish before buyers write.
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		clock.Advance(time.Millisecond)
		mp.BuyerSays(s.ShopID, "c1", "Hana", fmt.Sprintf("message %d", i))
	}
	if _, err := eng.SyncNow(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := eng.WaitPosted(ctx); err != nil {
		t.Fatal(err)
	}
	if b := chat.Batches(); len(b) != 1 || b[0] != 5 {
		t.Fatalf("batches %v, want one call with 5 messages", b)
	}
	th, _ := chat.ThreadOf(s.ID, "c1")
	chat.DeleteThread(th.Ref)
	for i := 5; i < 8; i++ {
		clock.Advance(time.Millisecond)
		mp.BuyerSays(s.ShopID, "c1", "Hana", fmt.Sprintf("message %d", i))
	}
	if _, err := eng.SyncNow(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := eng.WaitPosted(ctx); err != nil {
		t.Fatal(err)
	}
	posted := chat.PostedIDs()
	for _, m := range mp.Messages(s.ShopID)["c1"] {
		if posted[m.ID] != 1 {
			t.Fatalf("message %s posted %d times, want once", m.ID, posted[m.ID])
		}
	}
	nt, _ := chat.ThreadOf(s.ID, "c1")
	if nt.Ref == th.Ref || len(nt.Posts) != 3 || !nt.Opened.Continued {
		t.Fatalf("healed thread: %+v", nt)
	}
}

// flakyListener is a surface whose listener gives up once.
type flakyListener struct {
	*bridgetest.Chat
	mu    sync.Mutex
	calls int
}

func (f *flakyListener) Listen(ctx context.Context, h bridge.ChatHandler) error {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if n == 1 {
		return errors.New("socket closed for good")
	}
	return f.Chat.Listen(ctx, h)
}

// A listener that returns is started again, so agents' replies keep arriving.
func TestListenerIsRestarted(t *testing.T) {
	s := testStores[0]
	clock := bridgetest.NewClock(t0)
	mp := bridgetest.NewMarketplace(s.Platform, clock)
	chat := &flakyListener{Chat: bridgetest.NewChat()}
	st := bridgetest.NewMemState(nil)
	defer st.Close()
	eng := engine.New(testConfig(), engine.Deps{State: st, Chat: chat, Marketplaces: []bridge.Marketplace{mp}, Stores: []bridge.Store{s}, Clock: clock})
	ctx := context.Background()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(ctx)
	// The syncer and the listener's backoff are both parked on the clock.
	if err := clock.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	select {
	case <-chat.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the listener was not started again")
	}
}
