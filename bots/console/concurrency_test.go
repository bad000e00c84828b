package console

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// Many goroutines post at once: no two writes overlap (the output fails the
// test if they do), every line is whole, a message's further lines follow
// its first, every thread gets its own tag and every message is counted once.
func TestConcurrentPostingNeverInterleavesLines(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	const workers, perWorker = 8, 40
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := header(fmt.Sprintf("buyer%d", w), true)
			ref, err := s.OpenThread(ctx, h)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range perWorker {
				id := fmt.Sprintf("w%d-m%d", w, i)
				if _, err := s.PostMessage(ctx, ref, h, text(id, id+" first line "+strings.Repeat("x", 200)+"\n"+id+" second line")); err != nil {
					t.Error(err)
				}
				switch i % 4 {
				case 1:
					_ = s.SetReplyStatus(ctx, bridge.Reply{ID: bridge.ReplyID(w*1000 + i), Thread: ref, ChatMessage: bridge.ChatMessageRef{Channel: "console", ID: id}, AuthorName: "agent", Status: bridge.ReplySent})
				case 2:
					_ = s.Notify(ctx, bridge.Notice{UserID: "agent", Text: id + " notice"})
				case 3:
					_, _ = s.PostAlert(ctx, bridge.Alert{Severity: bridge.SeverityCritical, Title: id + " alert", Text: "one\ntwo"})
				}
			}
		}()
	}
	wg.Wait()

	first := regexp.MustCompile(`^\[T\d+ shopee MY Main · buyer\d+\] buyer: (w\d+-m\d+) first line x{200}$`)
	lines := out.lines()
	for i, line := range lines {
		m := first.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(line, "[T") && strings.Contains(line, "buyer:") {
				t.Fatalf("line %d is broken: %q", i, line)
			}
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != indent+m[1]+" second line" {
			t.Fatalf("line %d (%s) is not followed by its second line but by %q", i, m[1], lines[i+1])
		}
	}
	tags := map[string]bool{}
	for _, th := range s.Threads() {
		if tags[th.Ref.ID] {
			t.Fatalf("tag %s given twice", th.Ref.ID)
		}
		tags[th.Ref.ID] = true
		if len(th.Posted) != perWorker {
			t.Errorf("thread %s has %d posts, want %d", th.Ref.ID, len(th.Posted), perWorker)
		}
	}
	if len(tags) != workers {
		t.Fatalf("%d threads, want %d", len(tags), workers)
	}
	for w := range workers {
		for i := range perWorker {
			if n := s.PostedCount(bridge.MessageID(fmt.Sprintf("w%d-m%d", w, i))); n != 1 {
				t.Fatalf("message w%d-m%d counted %d times", w, i, n)
			}
		}
	}
	if got, want := len(s.Alerts()), workers*perWorker/4; got != want {
		t.Errorf("%d alerts recorded, want %d", got, want)
	}
}
