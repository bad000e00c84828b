package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// CommandName is the slash command the app manifest declares.
const CommandName = "/shopbridge"

// commandAnswer is a slash command's answer as Slack takes it in an ack
// (Socket Mode payload or HTTP response body) or on its response_url.
type commandAnswer struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// answerOf formats a core response for Slack: escaped, styled when it is a
// refusal, public only when the core says it is for everyone.
func answerOf(r bridge.CommandResponse) commandAnswer {
	text := escapeText(r.Text)
	if strings.TrimSpace(text) == "" {
		text = "Done."
	}
	if r.Error {
		text = ":warning: " + text
	}
	if len(text) > 12000 {
		text = text[:12000] + "…"
	}
	a := commandAnswer{ResponseType: slack.ResponseTypeEphemeral, Text: text}
	if r.Public {
		a.ResponseType = slack.ResponseTypeInChannel
	}
	return a
}

// commandRequest builds the core's request for a slash command.
func (s *Surface) commandRequest(ctx context.Context, cmd slack.SlashCommand) bridge.CommandRequest {
	return bridge.CommandRequest{
		Surface:  Name,
		UserID:   cmd.UserID,
		UserName: cmd.UserName,
		Admin:    s.isAdmin(ctx, cmd.UserID),
		Channel:  cmd.ChannelID,
		Text:     strings.TrimSpace(plainText(cmd.Text, nil)),
	}
}

// handleSlash runs a slash command and calls ack exactly once: with the
// answer when the core answers within CommandAckTimeout, else with an
// interim "working on it", the answer following on the response_url.
func (s *Surface) handleSlash(ctx context.Context, h bridge.ChatHandler, cmd slack.SlashCommand, ack func(commandAnswer)) {
	result := make(chan bridge.CommandResponse, 1)
	s.goAsync(func() {
		result <- h.Command(ctx, s.commandRequest(ctx, cmd))
	})
	select {
	case r := <-result:
		ack(answerOf(r))
		return
	case <-ctx.Done():
		ack(commandAnswer{ResponseType: slack.ResponseTypeEphemeral, Text: "shopbridge is shutting down; try again in a moment."})
		return
	case <-s.clock.After(s.cfg.CommandAckTimeout):
	}
	ack(commandAnswer{ResponseType: slack.ResponseTypeEphemeral, Text: ":hourglass_flowing_sand: Working on it…"})
	s.goAsync(func() {
		select {
		case r := <-result:
			s.answerLate(ctx, cmd, answerOf(r))
		case <-ctx.Done():
		}
	})
}

// answerLate posts a command's answer after the ack, on its response_url
// (valid for 30 minutes, anywhere the command was run), else ephemerally.
func (s *Surface) answerLate(ctx context.Context, cmd slack.SlashCommand, a commandAnswer) {
	if cmd.ResponseURL != "" {
		err := slack.PostWebhookCustomHTTPContext(ctx, cmd.ResponseURL, s.http, &slack.WebhookMessage{Text: a.Text, ResponseType: a.ResponseType})
		if err == nil {
			return
		}
		// The error may carry the response URL, which is a credential.
		s.log.Warn("could not answer a command on its response_url; trying chat.postEphemeral", "err", classify("answer command", err).Reason())
	}
	if err := s.Notify(ctx, bridge.Notice{Channel: cmd.ChannelID, UserID: cmd.UserID, Text: a.Text}); err != nil {
		s.log.Error("could not answer a command", "user", cmd.UserID, "err", err)
	}
}

// handleInteraction handles an acknowledged block_actions payload: each
// button goes to the core, and its answer to the presser.
func (s *Surface) handleInteraction(ctx context.Context, h bridge.ChatHandler, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	threadTS := cb.Container.ThreadTs
	if threadTS == "" {
		threadTS = cb.Message.ThreadTimestamp
	}
	thread := bridge.ThreadRef{Channel: channel, ID: threadTS}
	if threadTS == "" {
		thread = bridge.ThreadRef{}
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if a == nil {
			continue
		}
		ev := bridge.ActionEvent{
			ActionID: baseActionID(a.ActionID),
			Value:    a.Value,
			UserID:   cb.User.ID,
			UserName: firstNonEmpty(cb.User.Name, cb.User.Profile.DisplayName),
			Admin:    s.isAdmin(ctx, cb.User.ID),
			Thread:   thread,
		}
		resp := h.Action(ctx, ev)
		if ev.ActionID == bridge.ActionRetrySend && !resp.Error {
			s.markRetryRequested(ctx, channel, cb.Container.MessageTs, cb.User.ID)
		}
		if strings.TrimSpace(resp.Text) == "" {
			continue
		}
		s.answerAction(ctx, channel, thread, cb.User.ID, resp)
	}
}

// markRetryRequested replaces the Retry button of a failure notice, so it
// is not pressed twice; the reaction shows what happens next.
func (s *Surface) markRetryRequested(ctx context.Context, channel, ts, user string) {
	if channel == "" || ts == "" {
		return
	}
	who := "someone"
	if userIDPattern.MatchString(user) {
		who = "<@" + user + ">"
	}
	text := ":arrows_counterclockwise: Retry requested by " + who + "; the reaction on the reply shows the result."
	err := s.do(ctx, call{op: "mark retry requested", method: methodUpdate, channel: channel, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(section(text)), slack.MsgOptionText("Retry requested", false))
		return err
	})
	if err != nil {
		s.log.Warn("could not update a failure notice after Retry", "err", err)
	}
}

// answerAction shows the core's answer to a button press: ephemeral to the
// presser, or in the thread (or channel) when it is public.
func (s *Surface) answerAction(ctx context.Context, channel string, thread bridge.ThreadRef, user string, resp bridge.CommandResponse) {
	if !resp.Public {
		text := resp.Text
		if resp.Error {
			text = "⚠️ " + text
		}
		s.notifyQuietly(ctx, bridge.Notice{Thread: thread, Channel: channel, UserID: user, Text: text})
		return
	}
	a := answerOf(resp)
	opts := []slack.MsgOption{slack.MsgOptionText(a.Text, false), slack.MsgOptionDisableLinkUnfurl()}
	if thread.ID != "" {
		opts = append(opts, slack.MsgOptionTS(thread.ID))
	}
	err := s.do(ctx, call{op: "answer button", method: methodPostMessage, channel: channel, prio: prioUrgent}, func(ctx context.Context) error {
		_, _, err := s.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		s.log.Warn("could not answer a button press", "err", err)
	}
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
