package console

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// ReplyStore looks up the bridge's stored replies; bridge.State satisfies
// it. With it the console can tell a reply line that was stored from one
// the bridge ignored, and "retry 12" for a reply that never existed from
// one already sent.
type ReplyStore interface {
	Reply(ctx context.Context, id bridge.ReplyID) (bridge.Reply, error)
	ReplyByChatMessage(ctx context.Context, m bridge.ChatMessageRef) (bridge.Reply, error)
}

// errNotStored is returned for a reply line the bridge did not store.
var errNotStored = errors.New("the reply was not stored, so nothing is sent")

// pendingReply is an agent's line being handed to the bridge: it is echoed
// only once the bridge stored it (its first status arrives), so the
// terminal never shows as taken a reply that is not.
type pendingReply struct {
	tag    string
	echo   string
	echoed bool
	// noticed is set when the bridge answered the agent privately in the
	// thread meanwhile (an unknown quick-reply template).
	noticed bool
}

// SetReplyStatus prints a reply's status on its own line and records it.
// The first status of a line being delivered (queued: the bridge stored
// it) prints the agent's line first.
func (s *Surface) SetReplyStatus(ctx context.Context, r bridge.Reply) error {
	if r.ChatMessage.Channel == Channel {
		s.msgIDs.seen(r.ChatMessage.ID)
	}
	s.mu.Lock()
	if r.Thread.Channel == Channel {
		s.threadLocked(r.Thread)
	}
	s.statuses[r.ChatMessage] = r
	line := renderStatus(s.paint, r.Thread.ID, r)
	if p, ok := s.pending[r.ChatMessage]; ok && !p.echoed {
		p.echoed = true
		line = joinLines(p.echo, line)
	}
	s.notifyLocked()
	s.mu.Unlock()
	if line != "" {
		s.out.print(line)
	}
	return nil
}

func joinLines(lines ...string) string {
	var out []string
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// ReplyStatuses returns the last status shown for each agent message.
func (s *Surface) ReplyStatuses() map[bridge.ChatMessageRef]bridge.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.statuses)
}

// Say delivers a reply as if user had typed it into thread, printing
// "[T3] user: text" once the bridge stored it. The demo's scripted agents
// answer buyers with it. It waits until the surface listens (or ctx ends),
// and returns an error when the reply was not stored.
func (s *Surface) Say(ctx context.Context, thread bridge.ThreadRef, user, text string) (bridge.ChatMessageRef, error) {
	h, err := s.waitHandler(ctx)
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	return s.reply(ctx, h, thread, user, user, text)
}

// reply hands an agent's line to the bridge and shows its outcome. A line
// is either stored, then echoed ("[T3] mei: text") and followed by its
// status (⏳ queued → ⏳ sending… → sent ✓ or FAILED with "retry N"), or
// refused with a one-line reason ("[T3] not sent: …"): empty text, a thread
// tag never handed out, a thread the bridge does not know, an internal
// note, a template the bridge answered about, or the bridge's error. The
// echo never comes before the bridge stored the reply.
func (s *Surface) reply(ctx context.Context, h bridge.ChatHandler, thread bridge.ThreadRef, userID, userName, text string) (bridge.ChatMessageRef, error) {
	tag := thread.ID
	refuse := func(reason string, err error) (bridge.ChatMessageRef, error) {
		s.out.print(renderRefused(s.paint, tag, reason))
		return bridge.ChatMessageRef{}, fmt.Errorf("console: reply in %s: %w", tag, err)
	}
	if strings.TrimSpace(clean(text)) == "" {
		return refuse("the reply is empty", errNotStored)
	}
	s.mu.Lock()
	_, known := s.threads[tag]
	s.mu.Unlock()
	if !known && !s.threadIDs.issued(ctx, tag) {
		return refuse(`there is no thread `+cleanInline(tag)+`; `+s.validThreads(), errNotStored)
	}
	if n, ok := h.(interface{ IsNote(string) bool }); ok && n.IsNote(text) {
		// Internal by design: shown as a note, never sent.
		ref := bridge.ChatMessageRef{Channel: Channel, ID: s.msgIDs.take(ctx)}
		if err := h.AgentReply(ctx, s.agentMessage(thread, ref, userID, userName, text)); err != nil {
			return refuse("could not take the note: "+cleanInline(err.Error()), err)
		}
		s.out.print(tagOnly(s.paint, tag) + " " + s.paint.paint(styleBuyer, cleanInline(userName)) + " " + s.paint.paint(styleDim, "(internal note, not sent)") + ": " + body(text))
		return ref, nil
	}

	ref := bridge.ChatMessageRef{Channel: Channel, ID: s.msgIDs.take(ctx)}
	p := &pendingReply{tag: tag, echo: tagOnly(s.paint, tag) + " " + s.paint.paint(styleBuyer, cleanInline(userName)) + ": " + body(text)}
	s.mu.Lock()
	s.pending[ref] = p
	s.mu.Unlock()
	err := h.AgentReply(ctx, s.agentMessage(thread, ref, userID, userName, text))
	s.mu.Lock()
	delete(s.pending, ref)
	echoed, noticed := p.echoed, p.noticed
	s.mu.Unlock()
	switch {
	case echoed:
		return ref, nil // stored: echoed with its first status
	case err != nil:
		return refuse("could not store the reply, nothing is sent: "+cleanInline(err.Error()), err)
	}
	// The bridge took the line without storing a reply, unless it stored it
	// without showing a status: the state says which.
	if s.replies != nil {
		if r, lerr := s.replies.ReplyByChatMessage(ctx, ref); lerr == nil {
			s.mu.Lock()
			s.statuses[ref] = r
			s.notifyLocked()
			s.mu.Unlock()
			s.out.print(joinLines(p.echo, renderStatus(s.paint, tag, r)))
			return ref, nil
		}
	}
	if noticed {
		return refuse("see the answer above", errNotStored)
	}
	return refuse(cleanInline(tag)+" is not a conversation thread the bridge knows, so there is no buyer to send to", errNotStored)
}

func (s *Surface) agentMessage(thread bridge.ThreadRef, ref bridge.ChatMessageRef, userID, userName, text string) bridge.AgentMessage {
	return bridge.AgentMessage{Thread: thread, Message: ref, UserID: userID, UserName: userName, Text: text, At: s.clock.Now()}
}

// noticed marks the replies being delivered in tag as answered privately.
func (s *Surface) noticed(tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pending {
		if p.tag == tag {
			p.noticed = true
		}
	}
}

// Press presses a button as user (an admin, like everyone at the console)
// and prints the answer.
func (s *Surface) Press(ctx context.Context, actionID, value, user string) bridge.CommandResponse {
	h, err := s.waitHandler(ctx)
	if err != nil {
		return bridge.CommandResponse{Text: "The console is not listening: " + err.Error(), Error: true}
	}
	return s.press(ctx, h, actionID, value, user, user)
}

func (s *Surface) press(ctx context.Context, h bridge.ChatHandler, actionID, value, userID, userName string) bridge.CommandResponse {
	resp := h.Action(ctx, bridge.ActionEvent{ActionID: actionID, Value: value, UserID: userID, UserName: userName, Admin: true})
	s.out.print(renderResponse(s.paint, userID, resp))
	return resp
}
