package telegram

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

func TestPacerLimits(t *testing.T) {
	clock := bridgetest.NewClock(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC))
	cfg := Config{}
	cfg.SetDefaults()
	p := newPacer(clock, cfg.Pacing)
	const group, user = int64(-100111), int64(42)
	reserve := func(chat int64, pr priority) time.Duration {
		d, _ := p.reserve(chat, pr)
		return d
	}

	if d := reserve(group, prioContent); d != 0 {
		t.Fatalf("first send waits %v", d)
	}
	if d := reserve(group, prioContent); d != time.Second {
		t.Errorf("second send to one chat waits %v, want 1s", d)
	}
	if d := reserve(group, prioFree); d != 0 {
		t.Errorf("a reaction waits %v behind a message", d)
	}
	// 20 per minute in a group.
	for i := 1; i < 20; i++ {
		clock.Advance(time.Second)
		if d := reserve(group, prioContent); d != 0 {
			t.Fatalf("send %d waits %v", i+1, d)
		}
	}
	clock.Advance(time.Second)
	if d := reserve(group, prioContent); d != 40*time.Second {
		t.Errorf("21st send in a minute waits %v, want 40s", d)
	}
	// Private chats have no group limit, only the per-chat gap.
	for i := 0; i < 25; i++ {
		if d := reserve(user, prioContent); d != 0 {
			t.Fatalf("private send %d waits %v", i+1, d)
		}
		clock.Advance(time.Second)
	}
	// 30 per second overall.
	for i := int64(0); i < 30; i++ {
		reserve(-200-i, prioContent)
	}
	if d := reserve(-999, prioContent); d <= 0 {
		t.Error("the 31st send in a second did not wait")
	}
	// A 429 blocks the chat for retry_after.
	clock.Advance(time.Minute)
	p.block(user, 7*time.Second)
	if d := reserve(user, prioFree); d != 7*time.Second {
		t.Errorf("after a 429: waits %v, want 7s", d)
	}
}

func TestRetryAfterHonouredAndNothingLost(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	hs.api.Fail(telegramtest.Fault{Method: "sendMessage", Chat: inbox, Times: 2, Code: 429, Description: "Too Many Requests: retry after 7", RetryAfter: 7})
	start := hs.clock.Now()
	if _, err := hs.s.PostMessage(context.Background(), ref, testHeader, textMsg("1", "after the limit")); err != nil {
		t.Fatal(err)
	}
	if waited := hs.clock.Now().Sub(start); waited < 14*time.Second {
		t.Errorf("waited %v across two 429s with retry_after 7, want ≥ 14s", waited)
	}
	if n := countText(hs.api.ThreadMessages(inbox, k.id), "after the limit"); n != 1 {
		t.Errorf("message posted %d times, want 1", n)
	}
	// A wait longer than max_retry_after goes back to the bridge, classified.
	hs.api.Fail(telegramtest.Fault{Method: "sendMessage", Chat: inbox, Times: 1, Code: 429, RetryAfter: 3600})
	_, err := hs.s.PostMessage(context.Background(), ref, testHeader, textMsg("2", "much later"))
	if bridge.Classify(err) != bridge.KindRateLimited || bridge.RetryAfterOf(err) != time.Hour {
		t.Errorf("long 429: %v", err)
	}
}

func TestQueuedCallsOfOneThreadAreCombined(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	ref2, _ := hs.openThread(bridge.ThreadHeader{Store: testHeader.Store, Conversation: "c2", BuyerName: "Budi"})
	ctx := context.Background()
	// Hold the lane: the group window is full, so the next post waits.
	hs.s.pacer.block(inbox, time.Hour)
	type result struct {
		ref bridge.ChatMessageRef
		err error
	}
	results := make([]chan result, 6)
	for i := range results {
		results[i] = make(chan result, 1)
		thread := ref
		if i == 3 {
			thread = ref2
		}
		go func() {
			r, err := hs.s.PostMessage(ctx, thread, testHeader, textMsg(fmt.Sprint(i), fmt.Sprintf("queued %d", i)))
			results[i] <- result{r, err}
		}()
		hs.waitFor("queued", func() bool { return hs.s.queued(inbox) == i+1 })
	}
	before := hs.api.Count("sendMessage", 200)
	hs.s.pacer.mu.Lock()
	hs.s.pacer.chats[inbox].blockedUntil = time.Time{}
	hs.s.pacer.mu.Unlock()
	hs.s.lane(inbox).kick <- struct{}{}
	var refs []bridge.ChatMessageRef
	for i := range results {
		r := <-results[i]
		if r.err != nil {
			t.Fatalf("call %d: %v", i, r.err)
		}
		refs = append(refs, r.ref)
	}
	if posts := hs.api.Count("sendMessage", 200) - before; posts != 2 {
		t.Errorf("6 queued calls in 2 threads made %d posts, want 2", posts)
	}
	for _, i := range []int{1, 2, 4, 5} {
		if refs[i] != refs[0] {
			t.Errorf("call %d got %v, want the combined post %v", i, refs[i], refs[0])
		}
	}
	msgs := hs.api.ThreadMessages(inbox, k.id)
	text := msgs[len(msgs)-1].Text
	if strings.Index(text, "queued 0") > strings.Index(text, "queued 1") || strings.Index(text, "queued 4") > strings.Index(text, "queued 5") || strings.Contains(text, "queued 3") {
		t.Errorf("combined post out of order or mixed threads: %q", text)
	}
}

func TestCancelledWhileQueuedIsNotPosted(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	hs.s.pacer.block(inbox, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("x", "never"))
		errc <- err
	}()
	hs.waitFor("queued", func() bool { return hs.s.queued(inbox) == 1 })
	cancel()
	err := <-errc
	var pe *bridge.PlatformError
	if !asPE(err, &pe) || !pe.NotDelivered {
		t.Errorf("cancelled post: %v, want a not-delivered error", err)
	}
	if n := countText(hs.api.ThreadMessages(inbox, k.id), "never"); n != 0 {
		t.Error("a cancelled post was sent")
	}
}

// burst posts perConv messages into each of convs conversations of one
// group, each conversation's messages in one PostMessages call (batch) or
// one PostMessage call at a time with at most 4 conversations at once, as
// the engine does without the batch API. It returns the refs per message.
func burst(t testing.TB, s *Surface, threads []bridge.ThreadRef, perConv int, batch bool) map[string]bridge.ChatMessageRef {
	ctx := context.Background()
	var mu sync.Mutex
	got := map[string]bridge.ChatMessageRef{}
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for c, th := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var msgs []bridge.Message
			for i := range perConv {
				msgs = append(msgs, textMsg(fmt.Sprintf("c%02d-m%02d", c, i), fmt.Sprintf("conversation %02d message %02d: is it in stock?", c, i)))
			}
			if batch {
				refs, err := s.PostMessages(ctx, th, bridge.ThreadHeader{}, msgs)
				if err != nil {
					t.Errorf("conversation %d: %v", c, err)
				}
				mu.Lock()
				for i, r := range refs {
					got[string(msgs[i].ID)] = r
				}
				mu.Unlock()
				return
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, m := range msgs {
				r, err := s.PostMessage(ctx, th, bridge.ThreadHeader{}, m)
				if err != nil {
					t.Errorf("message %s: %v", m.ID, err)
					return
				}
				mu.Lock()
				got[string(m.ID)] = r
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return got
}

func TestBurstWith429StormLosesNothing(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			hs := newHarness(t)
			hs.api.SetGroupLimit(20, time.Minute)
			var threads []bridge.ThreadRef
			for c := range 20 {
				ref, _ := hs.openThread(bridge.ThreadHeader{Store: testHeader.Store, Conversation: bridge.ConversationID(fmt.Sprint(c)), BuyerName: fmt.Sprint("buyer ", c)})
				threads = append(threads, ref)
			}
			before := hs.api.Count("sendMessage", 200)
			// A storm: the next 25 sends are refused with retry_after 5.
			hs.api.Fail(telegramtest.Fault{Method: "sendMessage", Chat: inbox, Times: 25, Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5})
			refs := burst(t, hs.s, threads, 10, batch)
			posts := hs.api.Count("sendMessage", 200) - before
			if len(refs) != 200 {
				t.Fatalf("%d of 200 messages got a ref", len(refs))
			}
			all := hs.api.Messages(inbox)
			for c := range 20 {
				for i := range 10 {
					want := fmt.Sprintf("conversation %02d message %02d:", c, i)
					if n := countText(all, want); n != 1 {
						t.Fatalf("%q posted %d times", want, n)
					}
				}
			}
			if posts > 200 {
				t.Errorf("%d posts for 200 messages", posts)
			}
			if batch && posts != 20 {
				t.Errorf("batches of 10 short messages made %d posts, want 20", posts)
			}
			if n := hs.api.Count("sendMessage", 429); n < 25 {
				t.Errorf("only %d 429s answered", n)
			}
			t.Logf("batch=%v: 200 messages, %d posts, %d × 429", batch, posts, hs.api.Count("sendMessage", 429))
		})
	}
}
