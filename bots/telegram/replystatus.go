package telegram

import (
	"context"
	"fmt"
	"strconv"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// SetReplyStatus shows a reply's status as the bot's reaction on the
// agent's message (a bot has one reaction per message, so each status
// replaces the previous one): ✍ queued or sending, 👌 sent, 💔 failed, or
// the configured emoji. A failure also gets a reply to the agent's message
// with the reason and a Retry button; a later outcome edits that notice.
func (s *Surface) SetReplyStatus(ctx context.Context, r bridge.Reply) error {
	if r.ChatMessage.IsZero() {
		return nil
	}
	m, err := parseMessage(r.ChatMessage)
	if err != nil {
		return err
	}
	emoji := s.cfg.Reactions.Sending
	switch r.Status {
	case bridge.ReplySent:
		emoji = s.cfg.Reactions.Sent
	case bridge.ReplyFailed:
		emoji = s.cfg.Reactions.Failed
	}
	rerr := s.react(ctx, m, emoji)
	var nerr error
	switch r.Status {
	case bridge.ReplyFailed:
		nerr = s.failureNotice(ctx, m, r)
	case bridge.ReplySent:
		nerr = s.resolveNotice(ctx, r, "👌 Sent to the buyer after a retry.")
	}
	if rerr != nil {
		return rerr
	}
	return nerr
}

// react sets the bot's reaction on a message, skipping a repeat of the one
// already set.
func (s *Surface) react(ctx context.Context, m msgKey, emoji string) error {
	if last, ok := s.reactions.get(m); ok && last == emoji {
		return nil
	}
	err := s.call(ctx, "set reaction", m.chat, func(ctx context.Context) error {
		_, err := s.bot.SetMessageReaction(ctx, &bot.SetMessageReactionParams{
			ChatID: m.chat, MessageID: m.id,
			Reaction: []models.ReactionType{{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: emoji}}},
		})
		return err
	})
	if err != nil {
		if isReactionTargetGone(err) {
			// The agent deleted the message: there is nothing to show it on.
			s.log.Info("agent message gone; reaction not shown", "chat", m.chat, "message", m.id)
			return nil
		}
		return err
	}
	if emoji == s.cfg.Reactions.Sent {
		s.reactions.del(m)
	} else {
		s.reactions.put(m, emoji)
	}
	return nil
}

// failureNotice answers the agent's message with why the reply failed and
// a Retry button, or edits the notice an earlier failure left.
func (s *Surface) failureNotice(ctx context.Context, m msgKey, r bridge.Reply) error {
	reason := r.Reason
	if reason == "" {
		reason = "unknown error"
	}
	body := concat("\n", concat(" ", plain("💔"), bold("Not sent to the buyer.")), concat(" ", plain("Reason:"), buyer(trimVisible(reason, 1000))))
	if r.Attempts > 1 {
		body = concat("\n", body, italic(fmt.Sprintf("%d attempts.", r.Attempts)))
	}
	kb := s.buttons.keyboard([]bridge.Action{{ID: bridge.ActionRetrySend, Label: "Retry", Value: strconv.FormatInt(int64(r.ID), 10)}})
	prev, had := s.notices.get(r.ID)
	if had {
		err := s.spend(ctx, prioContent, "update failure notice", prev.chat, func(ctx context.Context) error {
			_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: prev.chat, MessageID: prev.id, Text: body.html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff(), ReplyMarkup: kb})
			return err
		})
		if err == nil || isNotModified(err) {
			return nil
		}
		if !isEditTargetGone(err) {
			return err
		}
	}
	params := &bot.SendMessageParams{ChatID: m.chat, Text: body.html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff(),
		ReplyParameters: &models.ReplyParameters{MessageID: m.id, AllowSendingWithoutReply: true}, ReplyMarkup: kb}
	if k, err := parseThread(r.Thread); err == nil {
		if info, err := s.chatInfo(ctx, k.chat); err == nil && info.forum {
			params.MessageThreadID = k.id
		}
	}
	var msg *models.Message
	err := s.spend(ctx, prioContent, "post failure notice", m.chat, func(ctx context.Context) error {
		var err error
		msg, err = s.bot.SendMessage(ctx, params)
		return err
	})
	if err != nil && isTopicClosed(err) {
		if k, perr := parseThread(r.Thread); perr == nil {
			if rerr := s.reopenTopic(ctx, prioContent, k); rerr == nil {
				err = s.spend(ctx, prioContent, "post failure notice", m.chat, func(ctx context.Context) error {
					var err error
					msg, err = s.bot.SendMessage(ctx, params)
					return err
				})
			}
		}
	}
	if err != nil {
		return err
	}
	s.notices.put(r.ID, msgKey{m.chat, msg.ID})
	return nil
}

// resolveNotice edits a failure notice once the reply went out, removing
// its Retry button.
func (s *Surface) resolveNotice(ctx context.Context, r bridge.Reply, text string) error {
	n, ok := s.notices.get(r.ID)
	s.notices.del(r.ID)
	if !ok {
		return nil
	}
	err := s.spend(ctx, prioContent, "update failure notice", n.chat, func(ctx context.Context) error {
		_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: n.chat, MessageID: n.id, Text: escapeHTML(text), ParseMode: models.ParseModeHTML, ReplyMarkup: noKeyboard()})
		return err
	})
	if err != nil && !isNotModified(err) && !isEditTargetGone(err) {
		s.log.Warn("could not update a failure notice", "reply", r.ID, "err", err)
	}
	return nil
}
