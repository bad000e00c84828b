package slack

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
)

// The benchmarks run the poster stand-in of poster_sim_test.go against the
// fake Slack, which enforces a per-channel posting limit the surface is not
// told: the surface starts from its defaults (1 post/s, burst 3) and must
// learn. Time is simulated on the fake clock, so the figures are simulated
// seconds and do not depend on the machine; ns/op is the real cost of
// running one whole simulation.
//
//	go test -run '^$' -bench . -benchtime 1x ./bots/slack/

// BenchmarkLearnedRate keeps a channel saturated (conversations of two
// messages: a root and one post each, four at a time) and reports the posts
// Slack accepted over seconds 10–40 against what it allowed, and the 429s.
func BenchmarkLearnedRate(b *testing.B) {
	for _, c := range []struct {
		rate  float64
		burst int
		storm bool
	}{{1, 3, false}, {10, 5, false}, {10, 5, true}, {50, 10, false}} {
		name := fmt.Sprintf("allowed=%g/s,burst=%d", c.rate, c.burst)
		if c.storm {
			name += ",storm=5x429"
		}
		b.Run(name, func(b *testing.B) {
			var ratio, limited, learned float64
			for range b.N {
				p := newSim(b, c.rate, c.burst, 4, slog.New(slog.DiscardHandler))
				if c.storm {
					p.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: http.StatusTooManyRequests, RetryAfter: 1, Times: 5, Skip: 20})
				}
				p.burstOf(int(c.rate*25)+20, 2, func(c, m int) string { return "message" })
				p.run(func(now time.Time) bool { return now.Sub(epoch) >= 41*time.Second })
				ratio += float64(p.acceptedIn(10*time.Second, 40*time.Second)) / (30 * c.rate)
				limited += float64(p.fake.RateLimited())
				learned += p.s.pacer.rate("post:" + chInbox)
			}
			n := float64(b.N)
			b.ReportMetric(ratio/n, "achieved/allowed")
			b.ReportMetric(limited/n, "429s")
			b.ReportMetric(learned/n, "learned-posts/s")
		})
	}
}

// BenchmarkBurst posts 60 buyer messages of 15 conversations into one
// channel that allows 1 post/s (burst 3): new conversations (a root each,
// then their messages) and conversations whose threads exist. It reports
// the simulated seconds until every message is visible, posts per buyer
// message, and 429s.
func BenchmarkBurst(b *testing.B) {
	for _, known := range []bool{false, true} {
		name := "new-conversations"
		if known {
			name = "known-conversations"
		}
		b.Run(name, func(b *testing.B) {
			var secs, perMsg, limited float64
			for range b.N {
				p := newSim(b, 1, 3, 4, slog.New(slog.DiscardHandler))
				start, limitedBefore := 0, 0
				if known {
					// The threads exist from an earlier hour; the channel's
					// burst is full again.
					p.burstOf(15, 1, func(c, m int) string { return "earlier" })
					p.drain()
					p.clock.Advance(time.Hour)
					start, limitedBefore = len(p.fake.Calls("chat.postMessage")), p.fake.RateLimited()
					for c := range 15 {
						var msgs []string
						for m := range 4 {
							msgs = append(msgs, fmt.Sprintf("later %d", m))
						}
						p.arrive(fmt.Sprintf("conv-%02d", c), textMsgs(fmt.Sprintf("c%02d-later", c), 4, func(i int) string { return msgs[i] })...)
					}
				} else {
					p.burstOf(15, 4, func(c, m int) string { return fmt.Sprintf("conversation %d question %d", c, m) })
				}
				from := p.clock.Now()
				p.drain()
				var last time.Time
				for id, at := range p.visible {
					if p.arrived[id].Equal(from) && at.After(last) {
						last = at
					}
				}
				posts := 0
				for _, c := range p.fake.Calls("chat.postMessage")[start:] {
					if c.Status == http.StatusOK && c.Error == "" {
						posts++
					}
				}
				secs += last.Sub(from).Seconds()
				perMsg += float64(posts) / 60
				limited += float64(p.fake.RateLimited() - limitedBefore)
			}
			n := float64(b.N)
			b.ReportMetric(secs/n, "sim-s-until-visible")
			b.ReportMetric(perMsg/n, "posts/msg")
			b.ReportMetric(limited/n, "429s")
		})
	}
}

// BenchmarkSteadyTraffic sends 4 buyer messages a second for two minutes,
// round-robin over 20 conversations, into a channel that allows 1 post/s.
// It reports posts per buyer message and the longest wait of a message
// (arrival to visible) in the second minute, when the threads are open.
func BenchmarkSteadyTraffic(b *testing.B) {
	var perMsg, wait, limited float64
	for range b.N {
		p := newSim(b, 1, 3, 4, slog.New(slog.DiscardHandler))
		p.steady(4, 120*time.Second, 20)
		p.drain()
		r := p.result()
		perMsg += float64(r.posts) / 480
		wait += p.maxLatency(60*time.Second, 120*time.Second).Seconds()
		limited += float64(r.limited)
	}
	n := float64(b.N)
	b.ReportMetric(perMsg/n, "posts/msg")
	b.ReportMetric(wait/n, "max-wait-s")
	b.ReportMetric(limited/n, "429s")
}
