package console

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

var storeMY = bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"}

// output is an io.Writer that fails the test when two writes overlap: the
// surface must serialise its writes itself.
type output struct {
	t       testing.TB
	inWrite atomic.Int32
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
}

func (o *output) Write(p []byte) (int, error) {
	if o.inWrite.Add(1) != 1 {
		o.t.Errorf("two writes to the output at once")
	}
	defer o.inWrite.Add(-1)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writes++
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// lines returns the printed lines.
func (o *output) lines() []string {
	s := strings.TrimSuffix(o.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// newSurface returns a surface printing into an output, without input.
func newSurface(t testing.TB, cfg Config) (*Surface, *output) {
	t.Helper()
	out := &output{t: t}
	s, err := New(cfg, Deps{Out: out, Clock: bridgetest.NewClock(t0)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, out
}

// handler is a recording bridge.ChatHandler. Like the engine, it stores a
// reply in a session thread and shows it queued (SetReplyStatus on the
// surface) before AgentReply returns; unless ignore says the thread is not
// one of its sessions, or fail makes storing fail.
type handler struct {
	mu       sync.Mutex
	surface  *Surface
	ignore   bool
	fail     error
	nextID   bridge.ReplyID
	replies  []bridge.AgentMessage
	actions  []bridge.ActionEvent
	commands []bridge.CommandRequest
	health   []bool
	changed  chan struct{}
	answer   bridge.CommandResponse
}

func newHandler() *handler {
	return &handler{changed: make(chan struct{}), answer: bridge.CommandResponse{Text: "ok"}}
}

func (h *handler) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *handler) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

func (h *handler) AgentReply(ctx context.Context, m bridge.AgentMessage) error {
	h.mu.Lock()
	h.replies = append(h.replies, m)
	h.notifyLocked()
	s, ignore, fail := h.surface, h.ignore, h.fail
	h.nextID++
	id := h.nextID
	h.mu.Unlock()
	if fail != nil || ignore || s == nil {
		return fail
	}
	return s.SetReplyStatus(ctx, bridge.Reply{ID: id, Thread: m.Thread, ChatMessage: m.Message, AuthorName: m.UserName, Text: m.Text, Status: bridge.ReplyQueued})
}

func (h *handler) Action(ctx context.Context, a bridge.ActionEvent) bridge.CommandResponse {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.actions = append(h.actions, a)
	h.notifyLocked()
	return bridge.CommandResponse{Text: "Retrying your reply (#" + a.Value + ")."}
}

func (h *handler) Command(ctx context.Context, c bridge.CommandRequest) bridge.CommandResponse {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commands = append(h.commands, c)
	h.notifyLocked()
	return h.answer
}

func (h *handler) SurfaceHealth(ok bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.health = append(h.health, ok)
	h.notifyLocked()
}

func (h *handler) snapshot() (replies []bridge.AgentMessage, actions []bridge.ActionEvent, commands []bridge.CommandRequest, health []bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append(replies, h.replies...), append(actions, h.actions...), append(commands, h.commands...), append(health, h.health...)
}

func header(buyer string, awaiting bool) bridge.ThreadHeader {
	return bridge.ThreadHeader{Store: storeMY, Conversation: "c1", BuyerID: "b1", BuyerName: buyer, AwaitingReply: awaiting}
}

func text(id, s string) bridge.Message {
	return bridge.Message{ID: bridge.MessageID(id), Conversation: "c1", Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: s}
}

func replyFailed(th bridge.ThreadRef, reason string) bridge.Reply {
	return bridge.Reply{ID: 4, Thread: th, ChatMessage: bridge.ChatMessageRef{Channel: "console", ID: "C4"}, AuthorName: "agent1", Status: bridge.ReplyFailed, Reason: reason}
}
