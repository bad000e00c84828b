package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// The crash-mid-send matrix: the marketplace takes a send after a delay,
// after the client's deadline, or never; the engine is stopped (a crash: the
// send is cut off, nothing more is recorded) while the send is in flight or
// right after the marketplace answered but before the reply was recorded as
// sent, and restarted on the same database at once or much later. Every
// reply reaches the buyer exactly once and ends sent, never twice.
func TestCrashMidSendNeverSendsTwice(t *testing.T) {
	cfg := testConfig()
	timeout, margin := 20*time.Second, 30*time.Second
	sends := []struct {
		name   string
		script bridgetest.SendScript
	}{
		{"applied and answered after 5s", bridgetest.SendScript{Apply: 5 * time.Second, Answer: 5 * time.Second}},
		{"applied 10s after the client gave up", bridgetest.SendScript{Apply: timeout + 10*time.Second, Answer: timeout + 10*time.Second}},
		{"applied just before the margin ends", bridgetest.SendScript{Apply: timeout + margin - time.Second, Answer: timeout + margin}},
		{"never applied", bridgetest.SendScript{Apply: -1, Answer: time.Hour}},
	}
	stops := []string{"in flight", "after the answer, before it is recorded"}
	restarts := []struct {
		name  string
		after time.Duration
	}{
		{"restarted at once", 0},
		{"restarted late", 5 * time.Minute},
	}
	for _, sc := range sends {
		for _, stop := range stops {
			if stop != "in flight" && (sc.script.Apply < 0 || sc.script.Answer >= timeout) {
				continue // the client gives up before any answer
			}
			for _, rs := range restarts {
				t.Run(fmt.Sprintf("%s/stopped %s/%s", sc.name, stop, rs.name), func(t *testing.T) {
					s := testStores[0]
					h, _, _ := checkingHarness(t, s)
					h.cfg = cfg
					h.cfg.SendTimeout, h.cfg.ReconcileMargin = timeout, margin
					h.cfg.ShutdownGrace = time.Millisecond // a crash: in-flight sends are cut off
					h.cfg.SendAttempts = 10
					var faulty *bridgetest.FaultyState
					h.wrapState = func(st bridge.State) bridge.State {
						faulty = bridgetest.NewFaultyState(st)
						return faulty
					}
					h.start()
					m := h.mp(s)
					h.clock.Advance(time.Second)
					m.BuyerSays(s.ShopID, "c1", "Gina", "is this in stock?")
					h.syncAll()
					th := h.thread(s, "c1")
					script := sc.script
					answered := make(chan struct{})
					if stop != "in flight" {
						script.OnAnswer = func() {
							faulty.FailNext("UpdateReply", 1) // the process dies before recording "sent"
							close(answered)
						}
					}
					m.ScriptSends(&script)
					ctx := context.Background()
					ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "only once, please")
					if err != nil {
						t.Fatal(err)
					}
					bridgetest.Eventually(t, "the send is in flight", func() bool { return m.SendsWaiting() == 1 })
					if stop != "in flight" {
						h.stepClock(t, m, script.Answer)
						bridgetest.Eventually(t, "the marketplace answered", func() bool {
							select {
							case <-answered:
								return true
							default:
								return false
							}
						})
					}
					h.stop() // the crash
					// While the bridge is down, the marketplace keeps processing.
					h.stepClock(t, m, rs.after)
					m.ScriptSends(nil)
					h.chat = h.chat.Reopen()
					h.start()
					// The restarted bridge looks for the reply only once the
					// crashed attempt cannot land any more, then sends it if
					// it is missing.
					r, err := h.state.ReplyByChatMessage(ctx, ref)
					if err != nil {
						t.Fatal(err)
					}
					if settle := r.AttemptDeadline.Add(margin); settle.After(h.clock.Now()) {
						h.stepClock(t, m, settle.Sub(h.clock.Now())+time.Second)
					}
					bridgetest.Eventually(t, "the reply recorded as sent", func() bool {
						r, err := h.state.ReplyByChatMessage(ctx, ref)
						return err == nil && r.Status == bridge.ReplySent
					})
					// Anything still in flight would land now.
					h.stepClock(t, m, timeout+margin)
					if got := sellerTexts(h, s, "c1"); len(got) != 1 {
						t.Fatalf("the marketplace holds the reply %d times (%q), want exactly once", len(got), got)
					}
					bridgetest.Eventually(t, "the reply shows sent", func() bool {
						st, ok := h.chat.LastStatus(ref)
						return ok && st.Status == bridge.ReplySent
					}, h.chat.Changed)
				})
			}
		}
	}
}

// stepClock moves the fake clock by d in one-second steps, letting the
// marketplace apply what is due at each step, and the engine act on it.
func (h *harness) stepClock(t *testing.T, m *bridgetest.Marketplace, d time.Duration) {
	t.Helper()
	for passed := time.Duration(0); passed < d; passed += time.Second {
		h.clock.Advance(time.Second)
		if err := m.WaitApplied(context.Background()); err != nil {
			t.Fatal(err)
		}
		if h.eng != nil {
			h.posted()
		}
	}
}
