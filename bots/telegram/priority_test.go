package telegram

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// unblock lifts a block set with pacer.block and wakes the chat's lane.
func (hs *harness) unblock(chat int64) {
	hs.s.pacer.mu.Lock()
	cp := hs.s.pacer.chats[chat]
	cp.blockedUntil, cp.freeBlockedUntil = time.Time{}, time.Time{}
	hs.s.pacer.mu.Unlock()
	l := hs.s.lane(chat)
	l.mu.Lock()
	l.kickLocked()
	l.mu.Unlock()
}

// methodsSince lists the methods of the group's successful calls after the
// first n.
func methodsSince(api *telegramtest.Server, chat int64, n int) []string {
	var out []string
	for _, c := range api.GroupCalls(chat, 200)[n:] {
		out = append(out, c.Method)
	}
	return out
}

func TestLaneOrdersContentThenTopicsThenHeaders(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	refA, _ := hs.openThread(testHeader)
	hB := testHeader
	hB.Conversation, hB.BuyerName = "c2", "Budi"
	refB, _ := hs.openThread(hB)
	for _, ref := range []bridge.ThreadRef{refA, refB} {
		if _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("first", "first")); err != nil {
			t.Fatal(err)
		}
	}
	before := len(hs.api.GroupCalls(inbox, 200))
	// A backlog: the lane is held while a header edit, a new topic and a
	// buyer post queue up, in that order.
	hs.s.pacer.block(inbox, time.Hour)
	var wg sync.WaitGroup
	run := func(what string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				t.Errorf("%s: %v", what, err)
			}
		}()
	}
	// testHeader's topic is marked waiting; the buyer now waits.
	waiting := testHeader
	waiting.AwaitingReply = true
	run("header", func() error { return hs.s.UpdateThreadHeader(ctx, refA, waiting) })
	hs.waitFor("header queued", func() bool { return hs.s.queued(inbox) == 1 })
	hC := testHeader
	hC.Conversation, hC.BuyerName = "c3", "Citra"
	run("open", func() error { _, err := hs.s.OpenThread(ctx, hC); return err })
	hs.waitFor("topic queued", func() bool { return hs.s.queued(inbox) == 2 })
	run("post", func() error { _, err := hs.s.PostMessage(ctx, refB, hB, textMsg("2", "buyer waits")); return err })
	hs.waitFor("post queued", func() bool { return hs.s.queued(inbox) == 3 })
	hs.unblock(inbox)
	wg.Wait()
	got := fmt.Sprint(methodsSince(hs.api, inbox, before))
	if want := "[sendMessage createForumTopic editForumTopic]"; got != want {
		t.Errorf("calls went out as %s, want %s: the buyer post, then the topic, then the header", got, want)
	}
}

func TestRateLimitedHeaderEditGoesBackBehindContent(t *testing.T) {
	hs := newHarnessClock(t, false)
	var hold atomic.Bool
	hs.driveClock(func() bool { return !hold.Load() })
	ctx := context.Background()
	ref, _ := hs.openThread(testHeader)
	if _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("first", "first")); err != nil {
		t.Fatal(err)
	}
	hs.clock.Advance(time.Minute)
	hold.Store(true)
	before := len(hs.api.GroupCalls(inbox, 200))
	hs.api.Fail(telegramtest.Fault{Method: "editForumTopic", Chat: inbox, Times: 1, Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5})
	// testHeader's topic is marked waiting; the buyer now waits.
	waiting := testHeader
	waiting.AwaitingReply = true
	errc := make(chan error, 2)
	go func() { errc <- hs.s.UpdateThreadHeader(ctx, ref, waiting) }()
	hs.waitFor("the edit refused", func() bool { return hs.api.Count("editForumTopic", 429) == 1 })
	// While the chat waits out retry_after, a buyer message arrives.
	go func() { _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("2", "meanwhile")); errc <- err }()
	hs.waitFor("post queued", func() bool { return hs.s.queued(inbox) == 2 })
	hold.Store(false)
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(methodsSince(hs.api, inbox, before)); got != "[sendMessage editForumTopic]" {
		t.Errorf("after the 429: %s, want the buyer post first", got)
	}
}

func TestLowPriorityKeepsHeadroom(t *testing.T) {
	clock := bridgetest.NewClock(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC))
	cfg := Config{}
	cfg.SetDefaults()
	p := newPacer(clock, cfg.Pacing)
	const group = int64(-100111)
	for i := range 15 {
		if d, _ := p.reserve(group, prioContent); d != 0 {
			t.Fatalf("post %d waits %v", i+1, d)
		}
		clock.Advance(time.Second)
	}
	// 15 of 20 used: header edits and pins wait for the window to move,
	// buyer messages and new topics do not.
	if d, _ := p.reserve(group, prioLow); d != 45*time.Second {
		t.Errorf("a header edit with 15 of 20 used waits %v, want 45s", d)
	}
	for _, pr := range []priority{prioContent, prioOpen} {
		if d, _ := p.reserve(group, pr); d != 0 {
			t.Errorf("priority %d waits %v with 5 of 20 left", pr, d)
		}
		clock.Advance(time.Second)
	}
}
