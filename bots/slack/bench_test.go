package slack

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
)

// BenchmarkBacklogDrain drains a 500-message backlog into one channel against
// the fake Slack, which enforces Slack's per-channel limit scaled up from
// 1 post/s to 100 posts/s (burst 3) and answers 429 when it is exceeded. The
// surface paces itself at the same rate. It reports the achieved rate over
// the allowed rate ((N−burst)/rate is the fastest legal drain), the messages
// lost (must be 0) and the 429s received.
//
//	go test -run '^$' -bench BacklogDrain -benchtime 1x ./bots/slack/
func BenchmarkBacklogDrain(b *testing.B) {
	for _, convs := range []int{1, 4} {
		b.Run(fmt.Sprintf("conversations=%d", convs), func(b *testing.B) {
			benchDrain(b, 500, convs, 100, 3)
		})
	}
}

// benchDrain posts n messages from convs conversations at once. The fake
// allows rate posts/s with burst; the surface paces at the same rate with a
// burst one smaller, so network jitter is absorbed by the spare token rather
// than answered with a 429 (which costs a whole second of Retry-After).
func benchDrain(b *testing.B, n, convs int, rate float64, burst int) {
	b.StopTimer()
	var ratio, perSec, lost, limited float64
	for range b.N {
		fake := fakeslack.New()
		fake.AddChannel(chInbox)
		fake.LimitPosts(rate, burst)
		cfg := Config{
			BotToken: fakeslack.BotToken, AppToken: fakeslack.AppToken, APIURL: fake.URL, InboxChannel: chInbox,
			Pacing: Pacing{PostPerSecond: rate, PostBurst: burst - 1},
		}
		s, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		threads := make([]bridge.ThreadRef, convs)
		headers := make([]bridge.ThreadHeader, convs)
		for i := range convs {
			headers[i] = header(store("shop-a", "TH", ""), fmt.Sprintf("c%d", i))
			if threads[i], err = s.OpenThread(ctx, headers[i]); err != nil {
				b.Fatal(err)
			}
		}
		// The thread roots used part of the burst; the drain starts from there.
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, convs)
		for i := range convs {
			wg.Go(func() {
				for j := i; j < n; j += convs {
					id := bridge.MessageID(fmt.Sprintf("m%04d", j))
					if _, err := s.PostMessage(ctx, threads[i], headers[i], textMsg(string(id), "backlog message "+string(id))); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		close(errs)
		for err := range errs {
			b.Fatalf("post failed: %v", err)
		}

		seen := map[string]int{}
		for _, m := range fake.Messages(chInbox) {
			for _, id := range m.MarketplaceIDs() {
				seen[id]++
			}
		}
		missing := 0
		for j := range n {
			if seen[fmt.Sprintf("m%04d", j)] != 1 {
				missing++
			}
		}
		ideal := time.Duration(float64(n-burst) / rate * float64(time.Second))
		ratio += ideal.Seconds() / elapsed.Seconds()
		perSec += float64(n) / elapsed.Seconds()
		lost += float64(missing)
		limited += float64(fake.RateLimited())
		fake.Close()
	}
	b.ReportMetric(ratio/float64(b.N), "achieved/allowed")
	b.ReportMetric(perSec/float64(b.N), "msgs/s")
	b.ReportMetric(lost/float64(b.N), "lost")
	b.ReportMetric(limited/float64(b.N), "429s")
	if lost > 0 {
		b.Fatalf("%v messages lost or duplicated", lost)
	}
}
