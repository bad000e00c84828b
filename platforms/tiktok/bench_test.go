package tiktok_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// Benchmarks of the TikTok path over loopback HTTP. Run:
//
//	go test -run '^$' -bench . -benchtime 2000x ./platforms/tiktok/
//
// msgs/s is relayed buyer messages per second; calls/msg is TikTok API
// calls per relayed message (each one spends the shop's daily quota of
// 10,000); calls/poll is calls per poll of an idle store. Webhooks are
// sent by the simulator and cost no API call.

const benchConvs = 50

// poller syncs like the engine does (conversations since the last poll,
// messages after each conversation's watermark), without the chat side.
type poller struct {
	e         *env
	cursor    time.Time
	watermark map[bridge.ConversationID]bridge.MessageID
	latest    map[bridge.ConversationID]bridge.MessageID
}

func (p *poller) poll(b *testing.B) int {
	ctx := context.Background()
	start := p.e.clock.Now()
	convs, err := p.e.client.ListConversations(ctx, p.e.store, p.cursor)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, c := range convs {
		if c.LatestMessageID != "" && p.latest[c.ID] == c.LatestMessageID {
			continue
		}
		msgs, err := p.e.client.ListMessages(ctx, p.e.store, c.ID, p.watermark[c.ID], 100)
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
	e := newEnv(b, func(_ *tiktokConfig, s *simTikTokConfig) { s.DailyQuota = 1 << 30 })
	p := &poller{e: e, watermark: map[bridge.ConversationID]bridge.MessageID{}, latest: map[bridge.ConversationID]bridge.MessageID{}}
	write(b, e, benchConvs, benchConvs)
	e.clock.Advance(time.Second)
	p.poll(b)
	return p
}

// write has buyers write n messages over convs conversations (every
// seventh one not text), the clock moving a second every three.
func write(b testing.TB, e *env, convs, n int) {
	b.Helper()
	writeEvery(b, e, convs, n, -1)
}

// writeEvery is write with the clock moving step after each message (0:
// not at all; -1: a second every three messages).
func writeEvery(b testing.TB, e *env, convs, n int, step time.Duration) {
	b.Helper()
	for range n {
		i := e.written
		e.written++
		buyerID := simulator.ScriptBuyerID(0, i%convs)
		var err error
		if i%7 == 6 {
			_, err = e.sim.BuyerSends(shopID, buyerID, simulator.MessageTypes[1+i%(len(simulator.MessageTypes)-1)], nil)
		} else {
			_, err = e.sim.BuyerSays(shopID, buyerID, "question "+buyerID)
		}
		if err != nil {
			b.Fatal(err)
		}
		switch {
		case step > 0:
			e.clock.Advance(step)
		case step < 0 && i%3 == 2:
			e.clock.Advance(time.Second)
		}
	}
}

// BenchmarkClientSteadyState: polling alone (webhooks lost): buyers write
// 10 messages over the 50 conversations between two polls; each poll is
// one list call and one message page per active conversation.
func BenchmarkClientSteadyState(b *testing.B) {
	p := newPoller(b)
	p.e.sim.ResetCalls()
	b.ResetTimer()
	got := 0
	for got < b.N {
		b.StopTimer()
		write(b, p.e, benchConvs, min(10, b.N-got))
		p.e.clock.Advance(time.Second)
		b.StartTimer()
		got += p.poll(b)
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(p.e.sim.TotalCalls())/float64(got), "calls/msg")
}

// BenchmarkClientBurst: b.N messages arrive between two polls (a catch-up
// after an outage); one poll pages through them (20 conversations and 10
// messages a page).
func BenchmarkClientBurst(b *testing.B) {
	p := newPoller(b)
	write(b, p.e, benchConvs, b.N)
	p.e.clock.Advance(time.Second)
	p.e.sim.ResetCalls()
	b.ResetTimer()
	got := p.poll(b)
	b.StopTimer()
	if got != b.N {
		b.Fatalf("relayed %d, want %d", got, b.N)
	}
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(p.e.sim.TotalCalls())/float64(got), "calls/msg")
}

// BenchmarkClientIdlePoll: a store with 100 quiet conversations.
func BenchmarkClientIdlePoll(b *testing.B) {
	p := newPoller(b)
	write(b, p.e, 100, 100)
	p.e.clock.Advance(time.Minute)
	p.poll(b)
	p.e.sim.ResetCalls()
	b.ResetTimer()
	for range b.N {
		if n := p.poll(b); n != 0 {
			b.Fatalf("idle poll relayed %d", n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(p.e.sim.TotalCalls())/float64(b.N), "calls/poll")
}

// BenchmarkEndToEndWebhooks: simulator → type-14 webhooks → client →
// bridge.Pushes → engine → SQLite → fake chat, in steady state (the 50
// conversations exist; buyers write 10 messages at a time). The clock
// stands still, so no poll runs: calls/msg is what webhooks themselves cost.
func BenchmarkEndToEndWebhooks(b *testing.B) {
	benchWebhooks(b, 0)
}

// BenchmarkEndToEndWebhooksAndPolls: the same with the clock moving 6 s
// per message (10 messages a minute, 14,400 a day: a busy shop), so the
// engine's 5-minute safety-net poll runs on its timer beside the webhooks.
// Each poll lists the conversations active since the previous one (20 a
// page) and finds their newest messages already recorded.
func BenchmarkEndToEndWebhooksAndPolls(b *testing.B) {
	benchWebhooks(b, 6*time.Second)
}

func benchWebhooks(b *testing.B, step time.Duration) {
	r := newE2E(b, func(_ *tiktokConfig, s *simTikTokConfig) { s.DailyQuota = 1 << 30 })
	r.sim.SetTikTokWebhookURL(r.webhookURL())
	writeEvery(b, r.env, benchConvs, benchConvs, 0)
	r.waitAllPosted(b)
	r.waitWebhooksDone(b)
	r.sync(b) // after the new conversations' hinted polls
	r.sync(b)
	r.sim.ResetCalls()
	polls := r.mp.lists.Load()
	b.ResetTimer()
	got := 0
	for got < b.N {
		n := min(10, b.N-got)
		if step == 0 {
			writeEvery(b, r.env, benchConvs, n, 0)
			r.waitAllPosted(b)
		} else {
			// One at a time: the clock moves only while nothing is in
			// flight (a jump during a webhook would expire its deadline).
			for range n {
				writeEvery(b, r.env, benchConvs, 1, 0)
				r.waitAllPosted(b)
				r.clock.Advance(step)
			}
		}
		got += n
	}
	b.StopTimer()
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(r.sim.TotalCalls())/float64(got), "calls/msg")
	b.ReportMetric(float64(r.mp.lists.Load()-polls), "polls")
	r.checkAllPosted(b)
}

// BenchmarkEndToEndPolling: the same through the engine's polls alone
// (every webhook dropped): one SyncNow per 10 messages.
func BenchmarkEndToEndPolling(b *testing.B) {
	r := newE2E(b, func(_ *tiktokConfig, s *simTikTokConfig) { s.DailyQuota = 1 << 30 })
	write(b, r.env, benchConvs, benchConvs)
	r.clock.Advance(time.Second)
	r.sync(b)
	r.sim.ResetCalls()
	b.ResetTimer()
	got := 0
	for got < b.N {
		b.StopTimer()
		write(b, r.env, benchConvs, min(10, b.N-got))
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
	r.checkAllPosted(b)
}

// BenchmarkEndToEndIdleSync: engine syncs of a quiet store (100
// conversations, the last activity long ago).
func BenchmarkEndToEndIdleSync(b *testing.B) {
	r := newE2E(b, func(_ *tiktokConfig, s *simTikTokConfig) { s.DailyQuota = 1 << 30 })
	write(b, r.env, 100, 100)
	r.sync(b)
	r.clock.Advance(10 * time.Minute)
	write(b, r.env, 1, 1)
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

// waitAllPosted waits until every buyer message the simulator holds is in
// its thread.
func (r *e2e) waitAllPosted(b testing.TB) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !r.allPosted() {
		if time.Now().After(deadline) {
			b.Fatal("timed out waiting for the messages in their threads")
		}
		select {
		case <-r.chat.Changed():
		case <-time.After(time.Millisecond):
		}
	}
}

func (r *e2e) allPosted() bool {
	posted := r.chat.PostedIDs()
	for _, m := range r.sim.Messages(shopID) {
		if m.From == simulator.FromBuyer && posted[bridge.MessageID(m.ID)] == 0 {
			return false
		}
	}
	return true
}

func (r *e2e) checkAllPosted(b testing.TB) {
	b.Helper()
	if err := r.eng.WaitPosted(context.Background()); err != nil {
		b.Fatal(err)
	}
	posted := r.chat.PostedIDs()
	for _, m := range r.sim.Messages(shopID) {
		if m.From == simulator.FromBuyer && posted[bridge.MessageID(m.ID)] != 1 {
			b.Fatalf("message %s posted %d times", m.ID, posted[bridge.MessageID(m.ID)])
		}
	}
}
