package console_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

var start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// e2e runs the engine on the fake marketplace and SQLite with the console
// surface reading a pipe, as `shopbridge demo` does with a terminal.
type e2e struct {
	t     *testing.T
	clock *bridgetest.Clock
	mp    *bridgetest.Marketplace
	store bridge.Store
	eng   *engine.Engine
	s     *console.Surface
	term  *bridgetest.Buffer
	in    *io.PipeWriter
	stop  func()
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	clock := bridgetest.NewClock(start)
	return startOn(t, clock, bridgetest.NewMarketplace(bridge.PlatformShopee, clock), bridgetest.NewMemState(clock))
}

// startOn starts a bridge with a new console on an existing marketplace and
// database, as a restarted process would.
func startOn(t *testing.T, clock *bridgetest.Clock, mp *bridgetest.Marketplace, st bridge.State) *e2e {
	t.Helper()
	ctx := context.Background()
	e := &e2e{t: t, clock: clock, mp: mp, term: &bridgetest.Buffer{},
		store: bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"}}
	pr, pw := io.Pipe()
	e.in = pw
	var err error
	e.s, err = console.New(console.Config{User: "mei"}, console.Deps{Out: e.term, In: pr, Clock: e.clock, Meta: st})
	if err != nil {
		t.Fatal(err)
	}
	e.eng = engine.New(engine.Config{
		PollInterval: 30 * time.Second, PollJitter: 0.0001, FailureThreshold: 3, Debounce: 3 * time.Second,
		SendBackoff: time.Second, SendBackoffMax: 8 * time.Second, SendAttempts: 4, ShutdownGrace: 2 * time.Second,
	}, engine.Deps{State: st, Chat: e.s, Marketplaces: []bridge.Marketplace{e.mp}, Stores: []bridge.Store{e.store}, Clock: e.clock})
	if err := e.eng.Start(ctx); err != nil {
		t.Fatalf("start engine: %v", err)
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := e.eng.Stop(ctx); err != nil {
			t.Errorf("stop engine: %v", err)
		}
		pw.Close()
		st.Close()
	}
	var once sync.Once
	e.stop = func() { once.Do(stop) }
	t.Cleanup(e.stop)
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("the terminal showed:\n%s", e.term.String())
		}
	})
	<-e.s.Ready()
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := e.clock.BlockUntil(waitCtx, 1); err != nil {
		t.Fatalf("syncer did not park: %v", err)
	}
	return e
}

func (e *e2e) typeLine(line string) {
	e.t.Helper()
	if _, err := io.WriteString(e.in, line+"\n"); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) sync() {
	e.t.Helper()
	if _, err := e.eng.SyncNow(context.Background(), e.store.ID); err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	if err := e.eng.WaitPosted(context.Background()); err != nil {
		e.t.Fatalf("posting: %v", err)
	}
}

func (e *e2e) waitPrinted(what string) {
	e.t.Helper()
	bridgetest.Eventually(e.t, fmt.Sprintf("the console prints %q", what), func() bool {
		return strings.Contains(e.term.String(), what)
	}, e.s.Changed)
}

// waitStatus waits until the reply typed as the n-th agent message shows want.
func (e *e2e) waitStatus(id bridge.ReplyID, want bridge.ReplyStatus) bridge.Reply {
	e.t.Helper()
	var got bridge.Reply
	bridgetest.Eventually(e.t, fmt.Sprintf("reply #%d shows %s", id, want), func() bool {
		for _, r := range e.s.ReplyStatuses() {
			if r.ID == id && r.Status == want {
				got = r
				return true
			}
		}
		return false
	}, e.s.Changed)
	return got
}

func (e *e2e) sellerTexts(conv bridge.ConversationID) []string {
	var out []string
	for _, m := range e.mp.Messages(e.store.ShopID)[conv] {
		if m.Sender == bridge.SenderSeller {
			out = append(out, m.Text)
		}
	}
	return out
}

func TestEndToEndBuyerMessageAndTypedReply(t *testing.T) {
	e := startE2E(t)
	e.clock.Advance(time.Second)
	msg := e.mp.BuyerSays(e.store.ShopID, "c1", "Alice", "where is my parcel?")
	e.sync()

	e.waitPrinted("[T1] new thread: shopee MY Main — buyer Alice")
	e.waitPrinted("[T1 shopee MY Main · Alice] buyer: where is my parcel?")
	if n := e.s.PostedCount(msg.ID); n != 1 {
		t.Fatalf("buyer message posted %d times, want once", n)
	}
	if ths := e.s.Threads(); len(ths) != 1 || ths[0].Ref != (bridge.ThreadRef{Channel: "console", ID: "T1"}) || len(ths[0].Posted) != 1 {
		t.Fatalf("threads %+v, want T1 with the message", ths)
	}

	// A reply typed at the console reaches the buyer and shows as sent.
	e.typeLine("reply T1 hello")
	r := e.waitStatus(1, bridge.ReplySent)
	if r.AuthorName != "mei" || r.ChatMessage.Channel != "console" || !strings.HasPrefix(r.ChatMessage.ID, "C") {
		t.Errorf("sent reply %+v, want one by mei from a console message", r)
	}
	if got := e.sellerTexts("c1"); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("marketplace holds seller messages %q, want [hello]", got)
	}
	e.waitPrinted("[T1] mei: hello\n[T1] reply #1 by mei: ⏳ queued")
	e.waitPrinted("[T1] reply #1 by mei: ⏳ sending…")
	e.waitPrinted("[T1] reply #1 by mei: sent ✓")
	e.waitPrinted("[T1] shopee MY Main — buyer Alice: answered ✓")

	// A scripted agent's reply fails; "retry 2" typed at the console sends it.
	e.clock.Advance(time.Second)
	e.mp.BuyerSays(e.store.ShopID, "c1", "Alice", "and the invoice?")
	e.sync()
	e.waitPrinted("[T1] shopee MY Main — buyer Alice: awaiting reply")
	e.mp.FailNextSends(bridgetest.SendPermanent)
	if _, err := e.s.Say(context.Background(), bridge.ThreadRef{Channel: "console", ID: "T1"}, "agent1", "attached"); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(2, bridge.ReplyFailed)
	e.waitPrinted(`[T1] reply #2 by agent1: FAILED: error_param: message refused by the marketplace — type "retry 2"`)
	e.typeLine("retry 2")
	e.waitStatus(2, bridge.ReplySent)
	if got := e.sellerTexts("c1"); len(got) != 2 || got[1] != "attached" {
		t.Fatalf("marketplace holds seller messages %q, want the retried reply once", got)
	}

	// Commands run as the console's admin and print their answer.
	e.typeLine("/status")
	e.waitPrinted("(to console) Chat surface console: connected")

	// Nothing is doubled: two buyer messages, two posts.
	total := 0
	for _, th := range e.s.Threads() {
		total += len(th.Posted)
	}
	if total != 2 {
		t.Errorf("%d posts in threads, want the 2 buyer messages", total)
	}
}

// An outage shows as an alert at the console and its recovery as the edit.
func TestEndToEndOutageAlert(t *testing.T) {
	e := startE2E(t)
	poll := func() { e.clock.Settle(t, 31*time.Second, 1) }
	e.mp.SetDown(true)
	for i := 0; i < 6 && len(e.s.Alerts()) == 0; i++ {
		poll()
	}
	e.waitPrinted("ALERT [A1] critical: " + bridge.TextInterrupted)
	e.mp.BuyerSays(e.store.ShopID, "c9", "Bob", "hello? anyone?")
	e.mp.SetDown(false)
	restored := func() bool {
		a := e.s.Alerts()
		return len(a) == 1 && len(a[0].Versions) > 1 && a[0].Versions[len(a[0].Versions)-1].Severity == bridge.SeverityResolved
	}
	for i := 0; i < 10 && !restored(); i++ {
		poll()
	}
	bridgetest.Eventually(t, "the alert is edited to restored", restored, e.s.Changed)
	e.waitPrinted("ALERT [A1] (updated) resolved: ")
	e.waitPrinted("[T1 shopee MY Main · Bob] buyer: hello? anyone?")
}

// After a restart on the same database the console hands out neither a
// thread tag nor a chat message reference again: the new conversation gets
// T2 (T1 still belongs to the first), and a typed reply is not mistaken
// for a redelivery of the first run's reply.
func TestEndToEndRestartKeepsTagsUnique(t *testing.T) {
	clock := bridgetest.NewClock(start)
	db := bridgetest.NewMemState(clock)
	mp := bridgetest.NewMarketplace(bridge.PlatformShopee, clock)
	first := startOn(t, clock, mp, db)
	clock.Advance(time.Second)
	mp.BuyerSays(first.store.ShopID, "c1", "Alice", "hi")
	first.sync()
	first.typeLine("reply T1 hello Alice")
	first.waitStatus(1, bridge.ReplySent)
	first.stop()

	second := startOn(t, clock, mp, db.Reopen())
	clock.Advance(time.Second)
	mp.BuyerSays(second.store.ShopID, "c2", "Bob", "hello")
	second.sync()
	second.waitPrinted("[T2 shopee MY Main · Bob] buyer: hello")
	second.typeLine("reply T2 hello Bob")
	second.waitStatus(2, bridge.ReplySent)
	// The first run's thread is still Alice's: a reply there reaches her.
	second.typeLine("reply T1 anything else?")
	second.waitStatus(3, bridge.ReplySent)
	if got := second.sellerTexts("c1"); len(got) != 2 || got[1] != "anything else?" {
		t.Fatalf("Alice received %q", got)
	}
	if got := second.sellerTexts("c2"); len(got) != 1 || got[0] != "hello Bob" {
		t.Fatalf("Bob received %q", got)
	}
}
