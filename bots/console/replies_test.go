package console

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// listenOnThread listens with h (and replies) and opens thread T1.
func listenOnThread(t *testing.T, h bridge.ChatHandler, replies ReplyStore) *listening {
	t.Helper()
	l := listenWith(t, Config{User: "mei"}, h, replies)
	if _, err := l.s.OpenThread(context.Background(), header("Alice", true)); err != nil {
		t.Fatal(err)
	}
	return l
}

// slowStore is a handler that stores a reply only when released, and whose
// outbox is so quick that "sending" is shown before AgentReply returns.
type slowStore struct {
	*handler
	entered chan struct{}
	release chan struct{}
}

func (h *slowStore) recorder() *handler { return h.handler }

func (h *slowStore) AgentReply(ctx context.Context, m bridge.AgentMessage) error {
	close(h.entered)
	<-h.release
	r := bridge.Reply{ID: 1, Thread: m.Thread, ChatMessage: m.Message, AuthorName: m.UserName, Status: bridge.ReplyQueued}
	if err := h.surface.SetReplyStatus(ctx, r); err != nil {
		return err
	}
	r.Status, r.Attempts = bridge.ReplySending, 1
	return h.surface.SetReplyStatus(ctx, r)
}

// A reply line is echoed when the bridge has stored it, not when typed, and
// its statuses follow the echo even when they come before AgentReply ends.
func TestReplyIsEchoedOnceStoredThenItsStatus(t *testing.T) {
	h := &slowStore{handler: newHandler(), entered: make(chan struct{}), release: make(chan struct{})}
	l := listenOnThread(t, h, nil)
	h.surface = l.s
	before := len(l.out.String())
	if _, err := l.in.Write([]byte("reply T1 hello\n")); err != nil {
		t.Fatal(err)
	}
	<-h.entered
	if got := l.out.String()[before:]; got != "" {
		t.Fatalf("printed %q while the bridge was still storing the reply, want nothing yet", got)
	}
	close(h.release)
	want := "[T1] mei: hello\n[T1] reply #1 by mei: ⏳ queued\n[T1] reply #1 by mei: ⏳ sending…\n"
	bridgetest.Eventually(t, "the echo and the statuses", func() bool { return len(l.out.String()[before:]) >= len(want) })
	if got := l.out.String()[before:]; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
}

// A reply line the bridge did not store is refused with the reason and
// never echoed as if sent.
func TestReplyNotStoredIsRefusedWithTheReason(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ignore bool
		fail   error
		want   string
	}{
		{"not a session thread", true, nil, "[T1] not sent: T1 is not a conversation thread the bridge knows, so there is no buyer to send to"},
		{"storing failed", false, errors.New("database is locked"), "[T1] not sent: could not store the reply, nothing is sent: database is locked"},
		{"bridge stopping", false, context.Canceled, "[T1] not sent: could not store the reply, nothing is sent: context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler()
			h.ignore, h.fail = tc.ignore, tc.fail
			l := listenOnThread(t, h, nil)
			if got := l.typeLine(t, "reply T1 hello"); got != tc.want {
				t.Errorf("printed %q, want %q", got, tc.want)
			}
			if strings.Contains(l.out.String(), "mei: hello") {
				t.Errorf("the unstored reply was echoed:\n%s", l.out.String())
			}
			if st := l.s.ReplyStatuses(); len(st) != 0 {
				t.Errorf("statuses recorded for an unstored reply: %v", st)
			}
		})
	}
}

// fakeReplies is a ReplyStore with the given rows.
type fakeReplies struct {
	mu   sync.Mutex
	rows []bridge.Reply
}

func (f *fakeReplies) Reply(_ context.Context, id bridge.ReplyID) (bridge.Reply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.ID == id {
			return r, nil
		}
	}
	return bridge.Reply{}, fmt.Errorf("reply %d: %w", id, bridge.ErrNotFound)
}

func (f *fakeReplies) Replies(_ context.Context, store bridge.StoreID, since time.Time) ([]bridge.Reply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rows), nil
}

func (f *fakeReplies) ReplyByChatMessage(_ context.Context, m bridge.ChatMessageRef) (bridge.Reply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.ChatMessage == m {
			return r, nil
		}
	}
	return bridge.Reply{}, bridge.ErrNotFound
}

// silentStore stores replies in a fakeReplies without showing a status.
type silentStore struct {
	*handler
	rows *fakeReplies
}

func (h *silentStore) recorder() *handler { return h.handler }

func (h *silentStore) AgentReply(_ context.Context, m bridge.AgentMessage) error {
	h.rows.mu.Lock()
	defer h.rows.mu.Unlock()
	h.rows.rows = append(h.rows.rows, bridge.Reply{ID: 7, Thread: m.Thread, ChatMessage: m.Message, AuthorName: m.UserName, Status: bridge.ReplyQueued})
	return nil
}

// A reply the bridge stored without showing a status is found in the state
// and echoed with it, not refused.
func TestReplyStoredWithoutAStatusIsFoundInTheState(t *testing.T) {
	rows := &fakeReplies{}
	l := listenOnThread(t, &silentStore{handler: newHandler(), rows: rows}, rows)
	if got, want := l.typeLine(t, "reply T1 hello"), "[T1] mei: hello\n[T1] reply #7 by mei: ⏳ queued"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// noteHandler is the engine's view of notes: IsNote, and nothing stored.
type noteHandler struct{ *handler }

func (h *noteHandler) recorder() *handler { return h.handler }
func (h *noteHandler) IsNote(text string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), "note:")
}
func (h *noteHandler) AgentReply(ctx context.Context, m bridge.AgentMessage) error {
	if h.IsNote(m.Text) {
		h.mu.Lock()
		h.replies = append(h.replies, m)
		h.mu.Unlock()
		return nil
	}
	return h.handler.AgentReply(ctx, m)
}

func TestNoteIsShownAsInternalNotRefused(t *testing.T) {
	l := listenOnThread(t, &noteHandler{newHandler()}, nil)
	if got, want := l.typeLine(t, "reply T1 note: check the stock first"), "[T1] mei (internal note, not sent): note: check the stock first"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// noticeHandler answers privately instead of storing, as the engine does
// for an unknown quick-reply template.
type noticeHandler struct{ *handler }

func (h *noticeHandler) recorder() *handler { return h.handler }
func (h *noticeHandler) AgentReply(ctx context.Context, m bridge.AgentMessage) error {
	return h.surface.Notify(ctx, bridge.Notice{Thread: m.Thread, UserID: m.UserID, Text: "No template named !nope."})
}

func TestReplyAnsweredWithANoticeIsRefused(t *testing.T) {
	l := listenOnThread(t, &noticeHandler{newHandler()}, nil)
	before := len(l.out.String())
	l.typeLine(t, "reply T1 !nope")
	bridgetest.Eventually(t, "the refusal", func() bool { return strings.Contains(l.out.String()[before:], "not sent") })
	if got, want := l.out.String()[before:], "[T1] (to console) No template named !nope.\n[T1] not sent: see the answer above\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// "retry N" tells a reply that never existed, one already sent and one
// being sent from a failed one, which alone goes to the bridge's Retry.
func TestRetryTellsWhatTheReplyIs(t *testing.T) {
	th := bridge.ThreadRef{Channel: Channel, ID: "T1"}
	rows := &fakeReplies{rows: []bridge.Reply{
		{ID: 4, Thread: th, Status: bridge.ReplyFailed, Reason: "server busy"},
		{ID: 5, Thread: th, Status: bridge.ReplySent},
		{ID: 6, Thread: th, Status: bridge.ReplySending},
		{ID: 7, Thread: th, Status: bridge.ReplyFailed, Reason: "server busy"},
		{ID: 8, Thread: bridge.ThreadRef{Channel: "C0SLACK", ID: "1712.34"}, Status: bridge.ReplyFailed},
	}}
	for _, tc := range []struct {
		line, printed string
		pressed       bool
	}{
		{"retry 9999", `(to console) error: There is no reply #9999: nothing to retry. Failed replies to retry: #4, #7.`, false},
		{"retry 5", "(to console) error: Reply #5 was already sent ✓: nothing to retry.", false},
		{"retry #6", "(to console) error: Reply #6 is being sent right now: wait for its status.", false},
		{"retry 4", "(to console) Retrying your reply (#4).", true},
	} {
		t.Run(tc.line, func(t *testing.T) {
			l := listenOnThread(t, newHandler(), rows)
			if got := l.typeLine(t, tc.line); got != tc.printed {
				t.Errorf("printed %q, want %q", got, tc.printed)
			}
			if _, actions, _, _ := l.h.snapshot(); (len(actions) == 1) != tc.pressed {
				t.Errorf("pressed Retry %d times, want pressed %v", len(actions), tc.pressed)
			}
		})
	}
}

// Without the state, the statuses the console showed still tell a reply
// already sent; a number it never saw goes to the bridge.
func TestRetryWithoutTheStateUsesTheStatusesShown(t *testing.T) {
	l := listenOnThread(t, newHandler(), nil)
	l.typeLine(t, "reply T1 hello")
	r := l.s.ReplyStatuses()[bridge.ChatMessageRef{Channel: Channel, ID: "C1"}]
	r.Status = bridge.ReplySent
	if err := l.s.SetReplyStatus(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got, want := l.typeLine(t, "retry 1"), "(to console) error: Reply #1 was already sent ✓: nothing to retry."; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	if got, want := l.typeLine(t, "retry 12"), "(to console) Retrying your reply (#12)."; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}
