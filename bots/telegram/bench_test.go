package telegram

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// BenchmarkBurst300 posts a burst of 300 buyer messages across 30
// conversations into one group, against the fake Bot API enforcing 20
// posts per minute (time is the fake clock's, so minutes pass in
// milliseconds). It reports the posts made, the drain time in (fake)
// seconds, and the least drain time the limit allows for those posts and
// for one post per message:
//
//	go test -run '^$' -bench Burst300 -benchtime 3x ./bots/telegram/
//
// "batch" is the engine handing each conversation's new messages over in
// one PostMessages call (BatchPoster); "single" is one PostMessage per
// message, 4 conversations at a time, as the engine does without it.
func BenchmarkBurst300(b *testing.B) {
	for _, batch := range []bool{true, false} {
		name := "single"
		if batch {
			name = "batch"
		}
		b.Run(name, func(b *testing.B) {
			var posts int
			var drain time.Duration
			for range b.N {
				posts, drain = runBurst(b, batch)
			}
			b.ReportMetric(300, "messages")
			b.ReportMetric(float64(posts), "posts")
			b.ReportMetric(drain.Seconds(), "drain-s")
			b.ReportMetric(minDrain(posts).Seconds(), "min-drain-s")
			b.ReportMetric(minDrain(300).Seconds(), "min-drain-1-per-msg-s")
		})
	}
}

// minDrain is when the last of n posts can go out at the earliest, starting
// with an empty window: 20 per minute, one per second.
func minDrain(n int) time.Duration {
	if n == 0 {
		return 0
	}
	return time.Duration((n-1)/20)*time.Minute + time.Duration((n-1)%20)*time.Second
}

func runBurst(b *testing.B, batch bool) (int, time.Duration) {
	b.StopTimer()
	hs := newHarness(b)
	hs.api.SetGroupLimit(20, time.Minute)
	var threads []bridge.ThreadRef
	for c := range 30 {
		ref, _ := hs.openThread(bridge.ThreadHeader{Store: testHeader.Store, Conversation: bridge.ConversationID(fmt.Sprint(c)), BuyerName: fmt.Sprint("buyer ", c)})
		threads = append(threads, ref)
	}
	hs.clock.Advance(time.Minute) // an empty window, so the figures compare with minDrain
	start := hs.clock.Now()
	before := len(hs.api.Calls("sendMessage"))
	b.StartTimer()
	refs := burst(b, hs.s, threads, 10, batch)
	b.StopTimer()
	if len(refs) != 300 {
		b.Fatalf("%d of 300 messages delivered", len(refs))
	}
	posts, last := 0, start
	for _, c := range hs.api.Calls("sendMessage")[before:] {
		if c.Code == 200 {
			posts++
			if c.At.After(last) {
				last = c.At
			}
		}
	}
	if n := hs.api.Count("sendMessage", 429); n > 0 {
		b.Errorf("the pacer let %d sends hit the limit", n)
	}
	return posts, last.Sub(start)
}
