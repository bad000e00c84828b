package telegram

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// BenchmarkBurst drives the surface like the core's poster against the
// fake Bot API, in a group whose real allowance (10, 20 or 40 calls a
// minute, every call that posts counted) the surface is not told: it runs
// with the default configuration, which starts from the documented 20.
// Time is the fake clock's, so minutes pass in milliseconds.
//
//	go test -run '^$' -bench Burst -benchtime 3x ./bots/telegram/
//
// First a burst: 60 buyer messages in 15 new conversations, 4
// conversations at a time, each OpenThread then one PostMessages with its
// messages. Reported: calls that posted into the group per new
// conversation (topics, posts, pins, edits), posts per buyer message, and
// the simulated seconds until every message was visible. Then 8 minutes of
// sustained demand (3 posters posting into those topics without pause):
// achieved/allowed is the calls the group accepted per minute over the
// last 5 minutes, divided by its allowance. 429s counts the refusals over
// both phases.
func BenchmarkBurst(b *testing.B) {
	for _, allowed := range []int{10, 20, 40} {
		b.Run(fmt.Sprintf("group=%d-per-min", allowed), func(b *testing.B) {
			var r benchFigures
			for range b.N {
				r = runBenchBurst(b, allowed)
			}
			b.ReportMetric(r.callsPerConv, "calls/new-conv")
			b.ReportMetric(r.postsPerMsg, "posts/msg")
			b.ReportMetric(r.visible.Seconds(), "visible-s")
			b.ReportMetric(r.achieved, "achieved/allowed")
			b.ReportMetric(float64(r.refused), "429s")
			b.ReportMetric(float64(r.limit), "limit-at-end")
		})
	}
}

type benchFigures struct {
	callsPerConv, postsPerMsg, achieved float64
	visible                             time.Duration
	refused, limit                      int
}

func runBenchBurst(b *testing.B, allowed int) benchFigures {
	b.StopTimer()
	hs := newHarness(b)
	hs.api.SetGroupLimit(allowed, time.Minute)
	convs := burstConversations(15, 4)
	start := hs.clock.Now()
	b.StartTimer()
	run := runPoster(b, hs.s, convs, 4, nil, nil)
	b.StopTimer()
	f := measureBurst(b, hs.api, inbox, start, convs, run)
	var threads []bridge.ThreadRef
	for _, c := range convs[:3] {
		threads = append(threads, run.threads[c.header.Conversation])
	}
	from := hs.clock.Now()
	sustain(b, hs, threads, from.Add(8*time.Minute))
	accepted := 0
	for _, c := range hs.api.GroupCalls(inbox, 200) {
		if !c.At.Before(from.Add(3*time.Minute)) && c.At.Before(from.Add(8*time.Minute)) {
			accepted++
		}
	}
	return benchFigures{
		callsPerConv: float64(f.spent) / float64(f.conversations),
		postsPerMsg:  float64(f.posts) / float64(f.messages),
		visible:      f.visible,
		achieved:     float64(accepted) / 5 / float64(allowed),
		refused:      len(hs.api.GroupCalls(inbox, 429)),
		limit:        hs.s.pacer.groupLimit(inbox),
	}
}
