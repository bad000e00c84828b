package console

import (
	"context"
	"fmt"
	"maps"

	"github.com/shopbridge/shopbridge/bridge"
)

// SetReplyStatus prints a reply's status on its own line and records it.
// A plain "queued" is recorded only: the agent's own line just said it.
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
	s.notifyLocked()
	s.mu.Unlock()
	if line != "" {
		s.out.print(line)
	}
	return nil
}

// ReplyStatuses returns the last status shown for each agent message.
func (s *Surface) ReplyStatuses() map[bridge.ChatMessageRef]bridge.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.statuses)
}

// Say delivers a reply as if user had typed it into thread, printing
// "[T3] user: text" first. The demo's scripted agents answer buyers with it.
// It waits until the surface listens (or ctx ends).
func (s *Surface) Say(ctx context.Context, thread bridge.ThreadRef, user, text string) (bridge.ChatMessageRef, error) {
	h, err := s.waitHandler(ctx)
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	return s.reply(ctx, h, thread, user, user, text)
}

// reply prints an agent's message and delivers it to the bridge.
func (s *Surface) reply(ctx context.Context, h bridge.ChatHandler, thread bridge.ThreadRef, userID, userName, text string) (bridge.ChatMessageRef, error) {
	ref := bridge.ChatMessageRef{Channel: Channel, ID: s.msgIDs.take(ctx)}
	s.mu.Lock()
	_, known := s.threads[thread.ID]
	s.mu.Unlock()
	line := tagOnly(s.paint, thread.ID) + " " + s.paint.paint(styleBuyer, cleanInline(userName)) + ": " + body(text)
	if !known {
		line += "\n" + indent + s.paint.paint(styleDim, "(not a thread of this session: if the bridge does not know "+thread.ID+" either, nothing is sent)")
	}
	s.out.print(line)
	err := h.AgentReply(ctx, bridge.AgentMessage{
		Thread: thread, Message: ref, UserID: userID, UserName: userName, Text: text, At: s.clock.Now(),
	})
	if err != nil {
		s.out.print(fmt.Sprintf("%s %s", tagOnly(s.paint, thread.ID), s.paint.paint(styleFail, "could not take the reply: "+cleanInline(err.Error()))))
		return ref, fmt.Errorf("console: deliver reply in %s: %w", thread.ID, err)
	}
	return ref, nil
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
