package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// BenchmarkInbound measures the inbound path: fake marketplace → sync →
// inbound queue in SQLite (a file, WAL) → posters → fake chat → recorded as
// posted. Each iteration relays one wave of
// messages across 50 conversations of one store; msgs/s is the figure.
func BenchmarkInbound(b *testing.B) {
	s := testStores[0]
	h := newHarness(b, s)
	h.start()
	m := h.mp(s)
	const convs, perConv = 50, 4
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for k := 0; k < perConv; k++ {
			for c := 0; c < convs; c++ {
				h.clock.Advance(time.Millisecond)
				m.BuyerSays(s.ShopID, bridge.ConversationID(fmt.Sprintf("c%d", c)), "buyer", "hello there, is this still available?")
			}
		}
		b.StartTimer()
		n, err := h.eng.SyncNow(ctx, s.ID)
		if err != nil {
			b.Fatal(err)
		}
		if n != convs*perConv {
			b.Fatalf("recorded %d, want %d", n, convs*perConv)
		}
		if err := h.eng.WaitPosted(ctx); err != nil {
			b.Fatal(err)
		}
		total += n
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/msg")
}

// BenchmarkOutbox measures replies through the outbox: stored, marked
// sending, sent to the fake marketplace, recorded and shown sent.
func BenchmarkOutbox(b *testing.B) {
	s := testStores[0]
	h := newHarness(b, s)
	h.start()
	m := h.mp(s)
	const convs = 20
	for c := 0; c < convs; c++ {
		h.clock.Advance(time.Millisecond)
		m.BuyerSays(s.ShopID, bridge.ConversationID(fmt.Sprintf("c%d", c)), "buyer", "hi")
	}
	h.syncAll()
	var threads []bridge.ThreadRef
	for _, th := range h.chat.Threads() {
		threads = append(threads, th.Ref)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var last bridge.ChatMessageRef
	for i := 0; i < b.N; i++ {
		ref, err := h.chat.AgentSays(ctx, threads[i%len(threads)], "agent", fmt.Sprintf("reply %d", i))
		if err != nil {
			b.Fatal(err)
		}
		last = ref
	}
	waitStatus(b, h, last, bridge.ReplySent)
	// Every reply, not only the last, must have been sent.
	for {
		rows, err := h.state.UnfinishedReplies(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		<-h.chat.Changed()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
}
