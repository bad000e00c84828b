package console

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

type memMeta struct {
	mu sync.Mutex
	kv map[string]string
}

func (m *memMeta) Meta(ctx context.Context, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.kv[key]
	if !ok {
		return "", bridge.ErrNotFound
	}
	return v, nil
}

func (m *memMeta) SetMeta(ctx context.Context, key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[key] = value
	return nil
}

// With a MetaStore a restarted surface never hands out a tag or a chat
// message reference again (the schema would refuse a second thread T1 and
// take a second C1 for a redelivered reply).
func TestCountersSurviveARestartWithMeta(t *testing.T) {
	ctx := context.Background()
	meta := &memMeta{kv: map[string]string{}}
	first, err := New(Config{}, Deps{Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	t1, _ := first.OpenThread(ctx, header("Alice", true))
	t2, _ := first.OpenThread(ctx, header("Bob", true))
	p1, _ := first.PostMessage(ctx, t1, header("Alice", true), text("m1", "hi"))
	a1, _ := first.PostAlert(ctx, bridge.Alert{Title: "down"})
	if t1.ID != "T1" || t2.ID != "T2" || p1.ID != "C1" || a1.ID != "A1" {
		t.Fatalf("first run handed out %s %s %s %s", t1.ID, t2.ID, p1.ID, a1.ID)
	}

	second, _ := New(Config{}, Deps{Meta: meta})
	t3, _ := second.OpenThread(ctx, header("Carol", true))
	p2, _ := second.PostMessage(ctx, t3, header("Carol", true), text("m2", "hi"))
	a2, _ := second.PostAlert(ctx, bridge.Alert{Title: "down"})
	if t3.ID != "T3" {
		t.Errorf("after a restart the next thread is %s, want T3", t3.ID)
	}
	if p2.ID == p1.ID || !strings.HasPrefix(p2.ID, "C") {
		t.Errorf("after a restart the next message is %s, want a fresh C reference", p2.ID)
	}
	if a2.ID == a1.ID {
		t.Errorf("after a restart the alert reference %s was reused", a2.ID)
	}
}

// Without a MetaStore the surface still moves past references it meets.
func TestCountersMovePastReferencesSeen(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	old := bridge.ThreadRef{Channel: "console", ID: "T5"}
	if _, err := s.PostMessage(ctx, old, header("Alice", true), text("m1", "still there?")); err != nil {
		t.Fatal(err)
	}
	_ = s.SetReplyStatus(ctx, bridge.Reply{ID: 3, Thread: old, ChatMessage: bridge.ChatMessageRef{Channel: "console", ID: "C40"}, Status: bridge.ReplySent})
	_ = s.UpdateAlert(ctx, bridge.AlertRef{Channel: "console", ID: "A9"}, bridge.Alert{Title: "restored"})
	th, _ := s.OpenThread(ctx, header("Bob", true))
	msg, _ := s.PostMessage(ctx, th, header("Bob", true), text("m2", "hello"))
	al, _ := s.PostAlert(ctx, bridge.Alert{Title: "down"})
	if th.ID != "T6" || msg.ID != "C41" || al.ID != "A10" {
		t.Errorf("handed out %s %s %s, want T6 C41 A10", th.ID, msg.ID, al.ID)
	}
	if got := out.lines(); got[0] != "[T5] earlier thread: shopee MY Main — buyer Alice (awaiting reply)" ||
		got[1] != "[T5 shopee MY Main · Alice] buyer: still there?" {
		t.Errorf("a thread from before a restart printed %q", got[:2])
	}
	if ths := s.Threads(); len(ths) != 2 || ths[0].Ref != old || len(ths[0].Posted) != 1 {
		t.Errorf("threads recorded %+v", ths)
	}
}

// A thread of another surface (a database used with Slack before) is gone
// as far as the console is concerned: the engine opens a console thread.
func TestForeignThreadIsGone(t *testing.T) {
	s, _ := newSurface(t, Config{})
	_, err := s.PostMessage(context.Background(), bridge.ThreadRef{Channel: "C0123", ID: "1700000000.000100"}, header("Alice", true), text("m1", "hi"))
	if !errors.Is(err, bridge.ErrThreadGone) {
		t.Fatalf("post into a Slack thread: %v, want ErrThreadGone", err)
	}
}
