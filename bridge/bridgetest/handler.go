package bridgetest

import (
	"context"
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// Handler is a recording bridge.ChatHandler for surface tests: it records
// agent replies, button presses, commands and health reports, and answers
// as scripted (or with defaults shaped like the engine's answers).
type Handler struct {
	mu        sync.Mutex
	replies   []bridge.AgentMessage
	actions   []bridge.ActionEvent
	commands  []bridge.CommandRequest
	health    []HealthReport
	replyErrs []error
	onReply   func(bridge.AgentMessage) error
	onAction  func(bridge.ActionEvent) bridge.CommandResponse
	onCommand func(bridge.CommandRequest) bridge.CommandResponse
	changed   chan struct{}
}

// HealthReport is one SurfaceHealth call.
type HealthReport struct {
	OK  bool
	Err error
}

var _ bridge.ChatHandler = (*Handler)(nil)

// NewHandler returns a handler that takes every reply.
func NewHandler() *Handler { return &Handler{changed: make(chan struct{})} }

func (h *Handler) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Changed is closed at the next recorded call.
func (h *Handler) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// FailReplies makes the next AgentReply calls return errs, one each, in
// order (a nil entry takes that reply). Refused replies are not recorded.
func (h *Handler) FailReplies(errs ...error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replyErrs = append(h.replyErrs, errs...)
}

// OnAgentReply decides each reply after the queued FailReplies errors: a
// non-nil error refuses it (not recorded). nil restores taking every reply.
func (h *Handler) OnAgentReply(fn func(bridge.AgentMessage) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onReply = fn
}

// OnAction scripts the answer to button presses; nil restores the default
// ("Retrying.").
func (h *Handler) OnAction(fn func(bridge.ActionEvent) bridge.CommandResponse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onAction = fn
}

// OnCommand scripts the answer to commands; nil restores the default:
// "status" is answered publicly to anyone, other commands only to admins
// ("OK: <text>"), everyone else is refused with an error.
func (h *Handler) OnCommand(fn func(bridge.CommandRequest) bridge.CommandResponse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onCommand = fn
}

// AgentReply records m unless a scripted error refuses it.
func (h *Handler) AgentReply(_ context.Context, m bridge.AgentMessage) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.notifyLocked()
	if len(h.replyErrs) > 0 {
		err := h.replyErrs[0]
		h.replyErrs = h.replyErrs[1:]
		if err != nil {
			return err
		}
	}
	if h.onReply != nil {
		if err := h.onReply(m); err != nil {
			return err
		}
	}
	h.replies = append(h.replies, m)
	return nil
}

// Action records a and answers it.
func (h *Handler) Action(_ context.Context, a bridge.ActionEvent) bridge.CommandResponse {
	h.mu.Lock()
	h.actions = append(h.actions, a)
	fn := h.onAction
	h.notifyLocked()
	h.mu.Unlock()
	if fn != nil {
		return fn(a)
	}
	return bridge.CommandResponse{Text: "Retrying."}
}

// Command records c and answers it.
func (h *Handler) Command(_ context.Context, c bridge.CommandRequest) bridge.CommandResponse {
	h.mu.Lock()
	h.commands = append(h.commands, c)
	fn := h.onCommand
	h.notifyLocked()
	h.mu.Unlock()
	if fn != nil {
		return fn(c)
	}
	if c.Text == "status" {
		return bridge.CommandResponse{Text: "All stores syncing.", Public: true}
	}
	if !c.Admin {
		return bridge.CommandResponse{Text: "Only admins can run \"" + c.Text + "\".", Error: true}
	}
	return bridge.CommandResponse{Text: "OK: " + c.Text}
}

// SurfaceHealth records the report.
func (h *Handler) SurfaceHealth(ok bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.health = append(h.health, HealthReport{OK: ok, Err: err})
	h.notifyLocked()
}

// Replies returns the replies taken, in order.
func (h *Handler) Replies() []bridge.AgentMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bridge.AgentMessage(nil), h.replies...)
}

// Actions returns the button presses, in order.
func (h *Handler) Actions() []bridge.ActionEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bridge.ActionEvent(nil), h.actions...)
}

// Commands returns the commands, in order.
func (h *Handler) Commands() []bridge.CommandRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bridge.CommandRequest(nil), h.commands...)
}

// Health returns the health reports, in order.
func (h *Handler) Health() []HealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HealthReport(nil), h.health...)
}

// LastHealth returns the latest report, and false when there is none.
func (h *Handler) LastHealth() (HealthReport, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.health) == 0 {
		return HealthReport{}, false
	}
	return h.health[len(h.health)-1], true
}

// SawHealth reports whether a healthy report (ok) or a failure of the given
// kind (!ok) was recorded.
func (h *Handler) SawHealth(ok bool, kind bridge.ErrorKind) bool {
	for _, r := range h.Health() {
		if r.OK == ok && (ok || bridge.Classify(r.Err) == kind) {
			return true
		}
	}
	return false
}
