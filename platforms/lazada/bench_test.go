package lazada_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// Benchmarks of the push path over loopback HTTP: simulator → signed push
// → client → bridge.Pushes → engine → SQLite → fake chat. Run:
//
//	go test -run '^$' -bench . -benchtime 2000x ./platforms/lazada/
//
//	go test -run '^$' -bench IdleHour -benchtime 5x ./platforms/lazada/
//
// msgs/s is buyer messages relayed (recorded and posted) per second;
// calls/msg is marketplace API calls per relayed message, not counting the
// engine's health checks (/seller/get, one a minute whatever the traffic,
// reported as health-calls); list-calls is IM list calls during the run
// (must be 0).

const benchSessions = 50

func benchE2E(b *testing.B) *e2e {
	r := newE2E(b)
	r.start(b)
	for i := range benchSessions { // known sessions: the steady state
		r.sim.BuyerSays(r.store.ShopID, simulator.ScriptBuyerID(0, i), "hello")
	}
	r.posted(b)
	return r
}

func (r *e2e) report(b *testing.B, n int, elapsed time.Duration) {
	calls := 0
	for path, c := range r.sim.Calls() {
		if path != "/seller/get" {
			calls += c
		}
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(calls)/float64(n), "calls/msg")
	b.ReportMetric(float64(r.sim.Calls()["/seller/get"]), "health-calls")
	b.ReportMetric(float64(r.listCalls()), "list-calls")
	if r.listCalls() != 0 {
		b.Errorf("%d IM list calls while relaying pushes", r.listCalls())
	}
}

// BenchmarkPushSteadyState: buyers of 50 known sessions write, 10 messages
// a (fake) second; every message arrives by push.
func BenchmarkPushSteadyState(b *testing.B) {
	r := benchE2E(b)
	r.sim.ResetCalls()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, err := r.sim.BuyerSays(r.store.ShopID, simulator.ScriptBuyerID(0, i%benchSessions), fmt.Sprintf("question %d", i)); err != nil {
			b.Fatal(err)
		}
		if i%10 == 9 {
			r.clock.Advance(time.Second)
		}
	}
	r.posted(b)
	elapsed := time.Since(start)
	b.StopTimer()
	r.report(b, b.N, elapsed)
	posted := r.chat.PostedIDs()
	n := 0
	for _, m := range r.sim.Messages(r.store.ShopID) {
		if posted[bridge.MessageID(m.ID)] == 1 {
			n++
		}
	}
	if n != b.N+benchSessions {
		b.Errorf("%d messages posted once, want %d", n, b.N+benchSessions)
	}
}

// BenchmarkPushNewSessions: every message opens a session the bridge does
// not know, so each costs one /im/session/get for the buyer's name.
func BenchmarkPushNewSessions(b *testing.B) {
	r := newE2E(b)
	r.start(b)
	r.sim.ResetCalls()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, err := r.sim.BuyerSays(r.store.ShopID, simulator.ScriptBuyerID(1, i), "first message"); err != nil {
			b.Fatal(err)
		}
	}
	r.posted(b)
	elapsed := time.Since(start)
	b.StopTimer()
	r.report(b, b.N, elapsed)
}

// BenchmarkIdleHour: one idle hour of fake time per iteration, the engine
// checking the store's health every minute: API calls per hour, IM list
// calls per hour (0).
func BenchmarkIdleHour(b *testing.B) {
	r := benchE2E(b)
	r.minutes(b, 15) // past the one-off history import
	r.sim.ResetCalls()
	b.ResetTimer()
	for range b.N {
		r.minutes(b, 60)
	}
	b.StopTimer()
	calls := 0
	for _, c := range r.sim.Calls() {
		calls += c
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/hour")
	b.ReportMetric(float64(r.listCalls())/float64(b.N), "list-calls/hour")
	if r.listCalls() != 0 {
		b.Errorf("%d IM list calls at idle", r.listCalls())
	}
}

// BenchmarkReplies: agents answer in threads of buyers who wrote within the
// day; each reply is a send, the engine's mark-read, and the health check
// that the session-update push's hint wakes (calls/msg here is per reply,
// health checks included).
func BenchmarkReplies(b *testing.B) {
	r := benchE2E(b)
	ctx := b.Context()
	threads := r.chat.Threads()
	r.sim.ResetCalls()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		ref, err := r.chat.AgentSays(ctx, threads[i%len(threads)].Ref, "agent", fmt.Sprintf("answer %d", i))
		if err != nil {
			b.Fatal(err)
		}
		bridgetest.Eventually(b, "the reply sent", func() bool {
			st, ok := r.chat.LastStatus(ref)
			return ok && st.Status == bridge.ReplySent
		}, r.chat.Changed)
	}
	r.posted(b)
	elapsed := time.Since(start)
	b.StopTimer()
	calls := 0
	for _, c := range r.sim.Calls() {
		calls += c
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "replies/s")
	b.ReportMetric(float64(calls)/float64(b.N), "calls/reply")
	b.ReportMetric(float64(r.listCalls()), "list-calls")
}
