package console

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// listening is a surface listening on a pipe with a recording handler.
type listening struct {
	s      *Surface
	out    *output
	h      *handler
	in     *io.PipeWriter
	cancel context.CancelFunc
	done   chan error
	logs   *bridgetest.Buffer
}

func listen(t *testing.T, cfg Config) *listening {
	t.Helper()
	return listenWith(t, cfg, newHandler(), nil)
}

// listenWith is listen with a given handler and, optionally, the state's
// replies.
func listenWith(t *testing.T, cfg Config, h bridge.ChatHandler, replies ReplyStore) *listening {
	t.Helper()
	pr, pw := io.Pipe()
	rec, _ := h.(*handler)
	if w, ok := h.(interface{ recorder() *handler }); ok {
		rec = w.recorder()
	}
	l := &listening{out: &output{t: t}, h: rec, in: pw, done: make(chan error, 1), logs: &bridgetest.Buffer{}}
	s, err := New(cfg, Deps{Out: l.out, In: pr, Clock: bridgetest.NewClock(t0), Logger: slog.New(slog.NewTextHandler(l.logs, nil)), Replies: replies})
	if err != nil {
		t.Fatal(err)
	}
	l.s = s
	l.h.surface = s
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() { l.done <- s.Listen(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		pw.Close()
		<-l.done
	})
	<-s.Ready()
	return l
}

// typeLine writes a line of input and waits until the surface printed its
// answer (the input line is handled when something new is printed).
func (l *listening) typeLine(t *testing.T, line string) string {
	t.Helper()
	before := len(l.out.String())
	if _, err := io.WriteString(l.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "the console answers "+line, func() bool { return len(l.out.String()) > before })
	return strings.TrimSuffix(l.out.String()[before:], "\n")
}

func TestInputLines(t *testing.T) {
	for _, tc := range []struct {
		name    string
		line    string
		reply   *bridge.AgentMessage
		action  *bridge.ActionEvent
		command *bridge.CommandRequest
		printed string
	}{
		{name: "reply", line: "reply T1 Hello, it ships today!",
			reply:   &bridge.AgentMessage{Thread: bridge.ThreadRef{Channel: "console", ID: "T1"}, Message: bridge.ChatMessageRef{Channel: "console", ID: "C1"}, UserID: "console", UserName: "mei", Text: "Hello, it ships today!"},
			printed: "[T1] mei: Hello, it ships today!\n[T1] reply #1 by mei: ⏳ queued"},
		{name: "short reply, lower-case tag, inner spacing kept", line: "r t1 two  spaces",
			reply:   &bridge.AgentMessage{Thread: bridge.ThreadRef{Channel: "console", ID: "T1"}, Message: bridge.ChatMessageRef{Channel: "console", ID: "C1"}, UserID: "console", UserName: "mei", Text: "two  spaces"},
			printed: "[T1] mei: two  spaces\n[T1] reply #1 by mei: ⏳ queued"},
		{name: "reply without anything", line: "reply", printed: `usage: reply T3 <text> — type "threads" to see the thread tags`},
		{name: "reply without text", line: "reply T1", printed: "[T1] not sent: the reply is empty"},
		{name: "reply with blank text", line: "r T1 \t ", printed: "[T1] not sent: the reply is empty"},
		{name: "reply to a bad tag", line: "reply X1 hi", printed: `not sent: "X1" is not a thread tag like T3; the threads are T1 (type "threads" for who is in each)`},
		{name: "reply to a tag never handed out", line: "reply T999 x", printed: `[T999] not sent: there is no thread T999; the threads are T1 (type "threads" for who is in each)`},
		{name: "retry", line: "retry 12",
			action:  &bridge.ActionEvent{ActionID: bridge.ActionRetrySend, Value: "12", UserID: "console", UserName: "mei", Admin: true},
			printed: "(to console) Retrying your reply (#12)."},
		{name: "retry with hash", line: "retry #12",
			action:  &bridge.ActionEvent{ActionID: bridge.ActionRetrySend, Value: "12", UserID: "console", UserName: "mei", Admin: true},
			printed: "(to console) Retrying your reply (#12)."},
		{name: "retry without number", line: "retry", printed: `usage: retry 12 — the number of a failed reply ("reply #12 … FAILED")`},
		{name: "press", line: "press retry_sync shopee-my",
			action:  &bridge.ActionEvent{ActionID: bridge.ActionRetrySync, Value: "shopee-my", UserID: "console", UserName: "mei", Admin: true},
			printed: "(to console) Retrying your reply (#shopee-my)."},
		{name: "slash command", line: "/sync retry shopee-my",
			command: &bridge.CommandRequest{Surface: "console", UserID: "console", UserName: "mei", Admin: true, Channel: "console", Text: "sync retry shopee-my"},
			printed: "(to console) ok"},
		{name: "bang command", line: "! status",
			command: &bridge.CommandRequest{Surface: "console", UserID: "console", UserName: "mei", Admin: true, Channel: "console", Text: "status"},
			printed: "(to console) ok"},
		{name: "bare slash asks for help", line: "/",
			command: &bridge.CommandRequest{Surface: "console", UserID: "console", UserName: "mei", Admin: true, Channel: "console", Text: "help"},
			printed: "(to console) ok"},
		{name: "threads", line: "threads", printed: "T1 shopee MY Main — buyer Alice — awaiting reply, 0 message(s) posted"},
		{name: "help", line: "help", printed: helpText},
		{name: "unknown", line: "status please", printed: `unknown input "status" — type "help" for console commands, "/help" for bridge commands`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, Config{User: "mei"})
			if _, err := l.s.OpenThread(context.Background(), header("Alice", true)); err != nil {
				t.Fatal(err)
			}
			if got := l.typeLine(t, tc.line); got != tc.printed {
				t.Errorf("printed %q, want %q", got, tc.printed)
			}
			replies, actions, commands, _ := l.h.snapshot()
			switch {
			case tc.reply != nil:
				if len(replies) != 1 {
					t.Fatalf("delivered %d replies, want 1", len(replies))
				}
				got := replies[0]
				if !got.At.Equal(t0) {
					t.Errorf("reply stamped %v, want the clock's %v", got.At, t0)
				}
				got.At = tc.reply.At
				if got != *tc.reply {
					t.Errorf("delivered %+v, want %+v", got, *tc.reply)
				}
			case len(replies) != 0:
				t.Errorf("delivered replies %+v, want none", replies)
			}
			switch {
			case tc.action != nil:
				if len(actions) != 1 || actions[0] != *tc.action {
					t.Errorf("pressed %+v, want %+v", actions, *tc.action)
				}
			case len(actions) != 0:
				t.Errorf("pressed %+v, want nothing", actions)
			}
			switch {
			case tc.command != nil:
				if len(commands) != 1 || commands[0] != *tc.command {
					t.Errorf("ran %+v, want %+v", commands, *tc.command)
				}
			case len(commands) != 0:
				t.Errorf("ran %+v, want nothing", commands)
			}
		})
	}
}

func TestCommandErrorIsMarked(t *testing.T) {
	l := listen(t, Config{})
	l.h.answer = bridge.CommandResponse{Text: "No store found to update. Please refresh the store list and try again.", Error: true}
	got := l.typeLine(t, "/store update nope")
	if want := "(to console) error: No store found to update. Please refresh the store list and try again."; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

func TestListenReportsHealthAndKeepsRunningAfterEOF(t *testing.T) {
	l := listen(t, Config{})
	_, _, _, health := l.h.snapshot()
	if len(health) != 1 || !health[0] {
		t.Fatalf("surface health reported %v, want one healthy report at start", health)
	}
	if err := l.in.Close(); err != nil {
		t.Fatal(err)
	}
	bridgetest.Eventually(t, "the console notices the input closed", func() bool {
		return strings.Contains(l.logs.String(), "input closed")
	})
	select {
	case err := <-l.done:
		t.Fatalf("Listen returned %v after EOF; it must run until ctx ends", err)
	default:
	}
	// Still listening: a scripted agent can reply.
	if _, err := l.s.OpenThread(context.Background(), header("Alice", true)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.s.Say(context.Background(), bridge.ThreadRef{Channel: "console", ID: "T1"}, "agent1", "still here"); err != nil {
		t.Fatal(err)
	}
	if replies, _, _, _ := l.h.snapshot(); len(replies) != 1 || replies[0].UserName != "agent1" {
		t.Fatalf("replies after EOF: %+v", replies)
	}
	l.cancel()
	if err := <-l.done; err != nil {
		t.Fatalf("Listen returned %v on cancel, want nil", err)
	}
	l.done <- nil // for the cleanup
}

func TestListenWithoutInputRunsUntilCancelled(t *testing.T) {
	s, out := newSurface(t, Config{})
	h := newHandler()
	h.surface = s
	if _, err := s.OpenThread(context.Background(), header("Alice", true)); err != nil {
		t.Fatal(err)
	}
	opened := len(out.String())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Listen(ctx, h) }()
	<-s.Ready()
	ref, err := s.Say(ctx, bridge.ThreadRef{Channel: "console", ID: "T1"}, "agent1", "hello")
	if err != nil || ref != (bridge.ChatMessageRef{Channel: "console", ID: "C1"}) {
		t.Fatalf("Say = %v, %v", ref, err)
	}
	resp := s.Press(ctx, bridge.ActionRetrySend, "3", "agent1")
	if resp.Text != "Retrying your reply (#3)." {
		t.Fatalf("Press answered %+v", resp)
	}
	_, actions, _, health := h.snapshot()
	if len(actions) != 1 || actions[0].UserID != "agent1" || !actions[0].Admin || len(health) != 1 {
		t.Fatalf("actions %+v, health %v", actions, health)
	}
	select {
	case err := <-done:
		t.Fatalf("Listen without input returned %v before cancel", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Listen returned %v", err)
	}
	// After Listen ends, Say waits for the next Listen (here: until its ctx ends).
	dead, stop := context.WithCancel(context.Background())
	stop()
	if _, err := s.Say(dead, bridge.ThreadRef{Channel: "console", ID: "T1"}, "agent1", "x"); err == nil {
		t.Fatalf("Say after Listen ended should wait and fail with its context")
	}
	want := "[T1] agent1: hello\n[T1] reply #1 by agent1: ⏳ queued\n(to agent1) Retrying your reply (#3).\n"
	if got := out.String()[opened:]; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// slowHandler's commands wait for release, like a sync during an outage.
type slowHandler struct {
	*handler
	release chan struct{}
}

func (h *slowHandler) recorder() *handler { return h.handler }
func (h *slowHandler) Command(ctx context.Context, c bridge.CommandRequest) bridge.CommandResponse {
	h.handler.Command(ctx, c)
	select {
	case <-h.release:
		return bridge.CommandResponse{Text: "Synced shopee-my: 3 new messages."}
	case <-ctx.Done():
		return bridge.CommandResponse{Text: "Stopped.", Error: true}
	}
}

// A command that takes a while is answered at once and again with its
// result; the console reads the input meanwhile.
func TestSlowCommandAnsweredAtOnceAndAgainWithTheResult(t *testing.T) {
	h := &slowHandler{handler: newHandler(), release: make(chan struct{})}
	l := listenWith(t, Config{User: "mei"}, h, nil)
	if _, err := l.s.OpenThread(context.Background(), header("Alice", true)); err != nil {
		t.Fatal(err)
	}
	clock := l.s.clock.(*bridgetest.Clock)
	before := len(l.out.String())
	if _, err := io.WriteString(l.in, "/sync retry shopee-my\n"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(commandAck)
	bridgetest.Eventually(t, "the acknowledgement", func() bool { return len(l.out.String()) > before })
	if got, want := l.out.String()[before:], "(to console) /sync retry shopee-my: running… the answer follows when it is done\n"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
	if got, want := l.typeLine(t, "threads"), "T1 shopee MY Main — buyer Alice — awaiting reply, 0 message(s) posted"; got != want {
		t.Errorf("while the command runs, threads printed %q, want %q", got, want)
	}
	before = len(l.out.String())
	close(h.release)
	bridgetest.Eventually(t, "the result", func() bool { return len(l.out.String()) > before })
	if got, want := l.out.String()[before:], "(to console) /sync retry shopee-my done: Synced shopee-my: 3 new messages.\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}
