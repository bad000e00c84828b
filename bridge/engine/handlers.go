package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// AgentReply turns an agent's thread message into an outbox row. Messages
// outside session threads, empty ones and internal notes are ignored; a
// surface re-delivering the same chat message creates no second row.
func (e *Engine) AgentReply(ctx context.Context, m bridge.AgentMessage) error {
	rec, err := e.state.ConversationByThread(ctx, m.Thread)
	if errors.Is(err, bridge.ErrNotFound) {
		return nil // not a session thread
	}
	if err != nil {
		return fmt.Errorf("find conversation of thread: %w", err)
	}
	text := strings.TrimSpace(m.Text)
	if text == "" || e.IsNote(text) {
		return nil
	}
	if e.expander != nil {
		st, _ := e.Store(rec.Store)
		expanded, notice, err := e.expander.ExpandReply(ctx, st, text)
		if err != nil {
			return err
		}
		if notice != "" {
			if nerr := e.chat.Notify(ctx, bridge.Notice{Thread: m.Thread, Channel: m.Message.Channel, UserID: m.UserID, Text: notice}); nerr != nil {
				e.log.Warn("could not answer agent privately", "err", nerr)
			}
			return nil
		}
		text = expanded
	}
	_, err = e.outbox.Enqueue(ctx, bridge.Reply{
		Store: rec.Store, Conversation: rec.ID, Thread: rec.Thread, ChatMessage: m.Message,
		AuthorID: m.UserID, AuthorName: m.UserName, Text: text,
	})
	if errors.Is(err, bridge.ErrConflict) {
		return nil // the surface delivered the same message twice
	}
	return err
}

// IsNote reports whether an agent's text is an internal note.
func (e *Engine) IsNote(text string) bool {
	p := strings.ToLower(e.cfg.NotePrefix)
	return p != "" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), p)
}

// Action handles a button press.
func (e *Engine) Action(ctx context.Context, a bridge.ActionEvent) bridge.CommandResponse {
	switch a.ActionID {
	case bridge.ActionRetrySend:
		id, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil {
			return bridge.CommandResponse{Text: "That Retry button is not valid any more.", Error: true}
		}
		r, err := e.outbox.Retry(ctx, bridge.ReplyID(id))
		switch {
		case errors.Is(err, bridge.ErrNotFound):
			return bridge.CommandResponse{Text: fmt.Sprintf("There is no reply #%d.", id), Error: true}
		case errors.Is(err, errAlreadySent):
			return bridge.CommandResponse{Text: fmt.Sprintf("Reply #%d was already sent.", id), Error: true}
		case err != nil:
			return bridge.CommandResponse{Text: fmt.Sprintf("Could not retry reply #%d: %s", id, bridge.ReasonOf(err)), Error: true}
		case r.Status == bridge.ReplySending:
			return bridge.CommandResponse{Text: fmt.Sprintf("Reply #%d is being sent (or checked) right now.", r.ID)}
		}
		return bridge.CommandResponse{Text: fmt.Sprintf("Retrying your reply (#%d).", r.ID)}
	case bridge.ActionRetrySync:
		return e.cmds.Run(ctx, bridge.CommandRequest{UserID: a.UserID, UserName: a.UserName, Admin: a.Admin, Text: strings.TrimSpace("sync retry " + a.Value)})
	}
	return bridge.CommandResponse{Text: "Unknown action.", Error: true}
}

// Command runs a command through the dispatcher.
func (e *Engine) Command(ctx context.Context, c bridge.CommandRequest) bridge.CommandResponse {
	return e.cmds.Run(ctx, c)
}

// SurfaceHealth feeds the surface's connection state to the monitor.
func (e *Engine) SurfaceHealth(ok bool, err error) {
	if ok {
		e.mon.ChatSuccess()
		return
	}
	if err == nil {
		err = errors.New("disconnected")
	}
	e.mon.ChatFailure(err)
}
