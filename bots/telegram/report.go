package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// maxReportLines bounds the lines of one report message, so a message never
// carries a great many formatting entities.
const maxReportLines = 40

// PostInspection posts the daily inspection report as HTML: the summary
// (title, headline, one line per checklist item) first, then the details
// as replies to it in the same chat and topic, each message within 4096
// characters. channel "" is the report chat (and topic); otherwise it is a
// chat ID, optionally followed by "/topic". Missed replies link to their
// topics. It returns the summary message.
func (s *Surface) PostInspection(ctx context.Context, channel string, r bridge.Report) (bridge.ChatMessageRef, error) {
	chat, topic := s.cfg.ReportChat, s.cfg.ReportTopic
	if channel != "" {
		c, t, err := parseReportChannel(channel)
		if err != nil {
			return bridge.ChatMessageRef{}, err
		}
		chat, topic = c, t
	}
	head := []htmlText{wrap("b", plain(r.Title)), plain(r.Headline()), plain("")}
	for _, l := range r.Summary() {
		head = append(head, reportLine(l))
	}
	parts := packReport(head)
	var first bridge.ChatMessageRef
	firstID := 0
	post := func(body htmlText) error {
		params := &bot.SendMessageParams{ChatID: chat, MessageThreadID: topic, Text: body.html,
			ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff()}
		if firstID != 0 {
			params.ReplyParameters = &models.ReplyParameters{MessageID: firstID, AllowSendingWithoutReply: true}
		}
		var msg *models.Message
		err := s.spend(ctx, prioLow, "post report", chat, func(ctx context.Context) error {
			var err error
			msg, err = s.bot.SendMessage(ctx, params)
			return err
		})
		if err != nil {
			return err
		}
		if firstID == 0 {
			firstID = msg.ID
			first = msgKey{chat, msg.ID}.ref()
		}
		return nil
	}
	for _, p := range parts {
		if err := post(p); err != nil {
			return first, err
		}
	}
	var lines []htmlText
	for i, sec := range r.Details() {
		if i > 0 {
			lines = append(lines, plain(""))
		}
		lines = append(lines, bold(sec.Title))
		for _, l := range sec.Lines {
			lines = append(lines, reportLine(l))
		}
	}
	for _, p := range packReport(lines) {
		if err := post(p); err != nil {
			return first, fmt.Errorf("telegram: report details: %w", err)
		}
	}
	return first, nil
}

// reportLine renders one report line; marketplace text is neutralized.
func reportLine(l bridge.ReportLine) htmlText {
	var parts []htmlText
	if l.Marked {
		parts = append(parts, plain(l.Verdict.Mark()))
	}
	label := l.Label
	if label != "" && l.Text != "" {
		label += ":"
	}
	if label != "" {
		parts = append(parts, wrap("b", buyer(label)))
	}
	if l.Text != "" {
		parts = append(parts, buyer(l.Text))
	}
	if !l.Thread.IsZero() {
		if u := topicLink(l.Thread); u != "" {
			parts = append(parts, plain("·"), anchor(u, "open topic"))
		} else {
			parts = append(parts, plain("· topic "+l.Thread.ID))
		}
	}
	if u, ok := safeURL(l.Link); ok {
		parts = append(parts, plain("·"), anchor(u, "seller centre"))
	}
	if l.Rule != "" {
		parts = append(parts, italic("("+l.Rule+")"))
	}
	out := concat(" ", parts...)
	if out.vis > maxTextLen {
		out = plain(trimVisible(l.Plain(nil), maxTextLen))
	}
	return out
}

// topicLink links a message or topic of a supergroup (chat -100…), which
// members can open; other chats have no such link.
func topicLink(t bridge.ThreadRef) string {
	id, ok := strings.CutPrefix(t.Channel, "-100")
	if !ok || id == "" {
		return ""
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return ""
	}
	if _, err := strconv.Atoi(t.ID); err != nil {
		return ""
	}
	return "https://t.me/c/" + id + "/" + t.ID
}

// packReport joins lines into messages of at most maxTextLen characters and
// maxReportLines lines.
func packReport(lines []htmlText) []htmlText {
	var out []htmlText
	var cur htmlText
	n := 0
	for _, l := range lines {
		if n > 0 && (cur.vis+1+l.vis > maxTextLen || n == maxReportLines) {
			out = append(out, cur)
			cur, n = htmlText{}, 0
		}
		if n > 0 {
			cur.html += "\n"
			cur.vis++
		}
		cur.html += l.html
		cur.vis += l.vis
		n++
	}
	if n > 0 && strings.TrimSpace(cur.html) != "" {
		out = append(out, cur)
	}
	return out
}

// parseReportChannel reads "chat" or "chat/topic".
func parseReportChannel(s string) (int64, int, error) {
	chatPart, topicPart, hasTopic := strings.Cut(s, "/")
	chat, err := parseChat(chatPart)
	if err != nil {
		return 0, 0, bridge.Permanent(platform, "post report", fmt.Sprintf("report channel %q is not a chat ID (like -1001234567890 or -1001234567890/42)", s))
	}
	topic := 0
	if hasTopic {
		if topic, err = strconv.Atoi(topicPart); err != nil || topic <= 0 {
			return 0, 0, bridge.Permanent(platform, "post report", fmt.Sprintf("report channel %q: %q is not a topic ID", s, topicPart))
		}
	}
	return chat, topic, nil
}
