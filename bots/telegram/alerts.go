package telegram

import (
	"context"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

var severityIcons = map[bridge.AlertSeverity]string{
	bridge.SeverityCritical: "🔴",
	bridge.SeverityWarning:  "🟠",
	bridge.SeverityInfo:     "ℹ️",
	bridge.SeverityResolved: "✅",
}

// alertText renders an alert: severity, bold title, text, stores.
func alertText(a bridge.Alert) htmlText {
	icon := severityIcons[a.Severity]
	if icon == "" {
		icon = "ℹ️"
	}
	lines := []htmlText{concat(" ", plain(icon), bold(a.Title))}
	if a.Text != "" {
		lines = append(lines, plain(a.Text))
	}
	if len(a.Stores) > 0 {
		ids := make([]string, len(a.Stores))
		for i, s := range a.Stores {
			ids[i] = string(s)
		}
		lines = append(lines, italic("Stores: "+strings.Join(ids, ", ")))
	}
	out := concat("\n", lines...)
	if out.vis > maxTextLen {
		out = concat("\n", lines[0], plain(trimVisible(a.Text, maxTextLen-lines[0].vis-2)))
	}
	return out
}

// PostAlert posts to the alerts chat (or its alerts topic), with inline
// buttons for the alert's actions.
func (s *Surface) PostAlert(ctx context.Context, a bridge.Alert) (bridge.AlertRef, error) {
	chat := s.cfg.AlertsChat
	params := &bot.SendMessageParams{ChatID: chat, MessageThreadID: s.cfg.AlertsTopic, Text: alertText(a).html,
		ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff()}
	if kb := s.buttons.keyboard(a.Actions); kb != nil {
		params.ReplyMarkup = kb
	}
	var msg *models.Message
	err := s.spend(ctx, prioOpen, "post alert", chat, func(ctx context.Context) error {
		var err error
		msg, err = s.bot.SendMessage(ctx, params)
		return err
	})
	if err != nil {
		return bridge.AlertRef{}, err
	}
	return bridge.AlertRef{Channel: chatString(chat), ID: strconv.Itoa(msg.ID)}, nil
}

// UpdateAlert edits the alert in place (its buttons follow the alert's
// actions: none removes them). An alert deleted meanwhile is posted again.
func (s *Surface) UpdateAlert(ctx context.Context, ref bridge.AlertRef, a bridge.Alert) error {
	m, err := parseMessage(bridge.ChatMessageRef(ref))
	if err != nil {
		return err
	}
	kb := s.buttons.keyboard(a.Actions)
	if kb == nil {
		kb = noKeyboard()
	}
	err = s.spend(ctx, prioOpen, "update alert", m.chat, func(ctx context.Context) error {
		_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: m.chat, MessageID: m.id, Text: alertText(a).html,
			ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff(), ReplyMarkup: kb})
		return err
	})
	switch {
	case err == nil || isNotModified(err):
		return nil
	case isEditTargetGone(err):
		s.log.Info("alert message gone; posting it again", "chat", m.chat, "message", m.id)
		_, perr := s.PostAlert(ctx, a)
		return perr
	}
	return err
}

// Notify answers one user. Telegram has no ephemeral messages, so the
// notice is a message in the thread (or the channel) that mentions the
// user, which notifies them; without a thread or channel it goes to the
// user's private chat with the bot.
func (s *Surface) Notify(ctx context.Context, n bridge.Notice) error {
	params := &bot.SendMessageParams{ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff()}
	body := plain(n.Text)
	var chat int64
	switch {
	case !n.Thread.IsZero():
		k, err := parseThread(n.Thread)
		if err != nil {
			return err
		}
		info, err := s.chatInfo(ctx, k.chat)
		if err != nil {
			return err
		}
		chat = k.chat
		params.ChatID = chat
		if info.forum {
			params.MessageThreadID = k.id
		} else {
			params.ReplyParameters = &models.ReplyParameters{MessageID: k.id, AllowSendingWithoutReply: true}
		}
	case n.Channel != "":
		c, err := parseChat(n.Channel)
		if err != nil {
			return bridge.Permanent(platform, "notify", err.Error())
		}
		chat = c
		params.ChatID = chat
	default:
		uid, err := strconv.ParseInt(n.UserID, 10, 64)
		if err != nil {
			return bridge.Permanent(platform, "notify", "no thread, channel or user to notify")
		}
		chat = uid
		params.ChatID = uid
	}
	if uid, err := strconv.ParseInt(n.UserID, 10, 64); err == nil && chat < 0 {
		mention := htmlText{html: `<a href="tg://user?id=` + strconv.FormatInt(uid, 10) + `">🔔</a>`, vis: visibleLen("🔔")}
		body = concat(" ", mention, body)
	}
	if body.vis > maxTextLen {
		body = plain(trimVisible(n.Text, maxTextLen-4))
	}
	params.Text = body.html
	return s.spend(ctx, prioContent, "notify", chat, func(ctx context.Context) error {
		_, err := s.bot.SendMessage(ctx, params)
		return err
	})
}

// PostReport posts a plain-text report to the report chat, preformatted,
// split over several messages when long. It returns the first message.
func (s *Surface) PostReport(ctx context.Context, title, text string) (bridge.ChatMessageRef, error) {
	chat := s.cfg.ReportChat
	var first bridge.ChatMessageRef
	head := bold(title)
	for i, chunk := range splitText(text, maxTextLen-head.vis-16) {
		body := wrap("pre", plain(chunk))
		if i == 0 && title != "" {
			body = concat("\n", head, body)
		}
		var msg *models.Message
		err := s.spend(ctx, prioLow, "post report", chat, func(ctx context.Context) error {
			var err error
			msg, err = s.bot.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat, MessageThreadID: s.cfg.ReportTopic, Text: body.html,
				ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff()})
			return err
		})
		if err != nil {
			return first, err
		}
		if i == 0 {
			first = msgKey{chat, msg.ID}.ref()
		}
	}
	return first, nil
}
