package shopee_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// Benchmarks of the marketplace path over loopback HTTP. Run:
//
//	go test -run '^$' -bench . -benchtime 2000x ./platforms/shopee/
//
// msgs/s is relayed buyer messages per second; calls/msg is marketplace API
// calls per relayed message; calls/poll is calls per poll of an idle store.

const benchConvs = 50

// poller syncs like the engine does (conversations since the last poll,
// messages after each conversation's watermark), without the chat side.
type poller struct {
	r         *e2e
	cursor    time.Time
	watermark map[bridge.ConversationID]bridge.MessageID
	latest    map[bridge.ConversationID]bridge.MessageID
}

func (p *poller) poll(b *testing.B) int {
	ctx := context.Background()
	start := p.r.clock.Now()
	convs, err := p.r.client.ListConversations(ctx, p.r.store, p.cursor)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, c := range convs {
		if p.latest[c.ID] == c.LatestMessageID {
			continue
		}
		msgs, err := p.r.client.ListMessages(ctx, p.r.store, c.ID, p.watermark[c.ID], 100)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			p.watermark[c.ID] = m.ID
			n++
		}
		p.latest[c.ID] = c.LatestMessageID
	}
	p.cursor = start
	return n
}

func newPoller(b *testing.B) *poller {
	r := newE2E(b)
	r.stop(b) // the client alone
	p := &poller{r: r, watermark: map[bridge.ConversationID]bridge.MessageID{}, latest: map[bridge.ConversationID]bridge.MessageID{}}
	r.write(b, benchConvs, benchConvs)
	r.clock.Advance(time.Second)
	p.poll(b)
	return p
}

// BenchmarkClientSteadyState: buyers write 10 messages over the 50
// conversations between two polls (each poll: one list call, one
// get_message per active conversation).
func BenchmarkClientSteadyState(b *testing.B) {
	p := newPoller(b)
	p.r.sim.ResetCalls()
	b.ResetTimer()
	got := 0
	for got < b.N {
		b.StopTimer()
		p.r.write(b, benchConvs, min(10, b.N-got))
		p.r.clock.Advance(time.Second)
		b.StartTimer()
		got += p.poll(b)
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(p.r.sim.TotalCalls())/float64(got), "calls/msg")
}

// BenchmarkClientBurst: b.N messages arrive during one poll interval (an
// outage's catch-up); one poll pages through them.
func BenchmarkClientBurst(b *testing.B) {
	p := newPoller(b)
	p.r.write(b, benchConvs, b.N)
	p.r.clock.Advance(time.Second)
	p.r.sim.ResetCalls()
	b.ResetTimer()
	got := p.poll(b)
	b.StopTimer()
	if got != b.N {
		b.Fatalf("relayed %d, want %d", got, b.N)
	}
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(p.r.sim.TotalCalls())/float64(got), "calls/msg")
}

// BenchmarkClientIdlePoll: a store with 100 quiet conversations.
func BenchmarkClientIdlePoll(b *testing.B) {
	p := newPoller(b)
	p.r.write(b, 100, 100)
	p.r.clock.Advance(time.Minute)
	p.poll(b)
	p.r.sim.ResetCalls()
	b.ResetTimer()
	for range b.N {
		if n := p.poll(b); n != 0 {
			b.Fatalf("idle poll relayed %d", n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(p.r.sim.TotalCalls())/float64(b.N), "calls/poll")
}

// BenchmarkEndToEnd: simulator → Shopee client → engine → SQLite → fake chat
// (threads exist; buyers write 10 messages between two syncs). calls/msg
// includes the engine's cursor overlap, which re-lists conversations active
// in the last two minutes.
func BenchmarkEndToEnd(b *testing.B) {
	r := newE2E(b)
	r.write(b, benchConvs, benchConvs)
	r.sync(b)
	r.sim.ResetCalls()
	b.ResetTimer()
	got := 0
	for got < b.N {
		b.StopTimer()
		r.write(b, benchConvs, min(10, b.N-got))
		r.clock.Advance(time.Second)
		b.StartTimer()
		n := r.sync(b)
		if n == 0 {
			b.Fatalf("a sync relayed nothing with %d of %d messages left", b.N-got, b.N)
		}
		got += n
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(r.sim.TotalCalls())/float64(got), "calls/msg")
	checkPosted(b, r)
}

// BenchmarkEndToEndIdleSync: engine syncs of a quiet store (100
// conversations; the last activity is one message, long ago).
func BenchmarkEndToEndIdleSync(b *testing.B) {
	benchIdleSync(b, false)
}

// BenchmarkEndToEndIdleAfterBurst: the same store when its 100
// conversations were all active within two minutes of its last activity.
// The engine keeps its cursor at the last activity and lists from two
// minutes before it, so every idle sync re-lists those conversations (4
// pages) until a buyer writes again.
func BenchmarkEndToEndIdleAfterBurst(b *testing.B) {
	benchIdleSync(b, true)
}

func benchIdleSync(b *testing.B, burst bool) {
	r := newE2E(b)
	r.write(b, 100, 100)
	r.sync(b)
	r.clock.Advance(10 * time.Minute)
	if !burst {
		r.write(b, 1, 1)
	}
	r.sync(b)
	r.clock.Advance(10 * time.Minute)
	r.sim.ResetCalls()
	b.ResetTimer()
	for range b.N {
		if n := r.sync(b); n != 0 {
			b.Fatalf("idle sync relayed %d", n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(r.sim.TotalCalls())/float64(b.N), "calls/poll")
}

func checkPosted(b *testing.B, r *e2e) {
	posted := r.chat.PostedIDs()
	for _, m := range r.sim.Messages(r.store.ShopID) {
		if m.From == simulator.FromBuyer && posted[bridge.MessageID(m.ID)] != 1 {
			b.Fatalf("message %s posted %d times", m.ID, posted[bridge.MessageID(m.ID)])
		}
	}
}
