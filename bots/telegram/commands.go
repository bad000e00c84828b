package telegram

import (
	"context"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// Commands are the bot commands registered with setMyCommands. A command's
// underscores become spaces for the core dispatcher: /sync_retry shop-my is
// "sync retry shop-my". /chatid is answered by the surface itself.
var Commands = []models.BotCommand{
	{Command: "status", Description: "Bridge and store status"},
	{Command: "stores", Description: "List the stores"},
	{Command: "sync_retry", Description: "Retry a full sync: /sync_retry <store>"},
	{Command: "pause", Description: "Pause a store: /pause <store> (admins)"},
	{Command: "resume", Description: "Resume a store: /resume <store> (admins)"},
	{Command: "store_update", Description: "Update or re-authorize a store (admins)"},
	{Command: "report", Description: "Post the inspection report"},
	{Command: "template", Description: "Reply templates"},
	{Command: "audit", Description: "Recent admin actions"},
	{Command: "help", Description: "What the bot can do"},
	{Command: "chatid", Description: "Show this chat's and your ids (for setup)"},
}

// registerCommands publishes the command list; failing is not fatal.
func (s *Surface) registerCommands(ctx context.Context) {
	err := s.call(ctx, "set commands", 0, func(ctx context.Context) error {
		_, err := s.bot.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: Commands})
		return err
	})
	if err != nil {
		s.log.Warn("could not register the bot commands", "err", err)
	}
}

// parseCommand returns the dispatcher text of a bot command ("/sync_retry@MyBot
// shop-my" → "sync retry shop-my"), or false when m is no command or one
// addressed to another bot.
func parseCommand(m *models.Message, botName string) (string, bool) {
	t := strings.TrimSpace(m.Text)
	if !strings.HasPrefix(t, "/") {
		return "", false
	}
	word, args, _ := strings.Cut(t[1:], " ")
	if i := strings.IndexAny(word, "\n\t"); i >= 0 {
		args = word[i+1:] + " " + args
		word = word[:i]
	}
	name, target, addressed := strings.Cut(word, "@")
	if addressed && !strings.EqualFold(target, botName) {
		return "", false
	}
	if name == "" {
		return "", false
	}
	name = strings.ToLower(name)
	if name == "start" {
		name = "help"
	}
	text := strings.ReplaceAll(name, "_", " ")
	if args = strings.TrimSpace(args); args != "" {
		text += " " + args
	}
	return text, true
}

// runCommand hands a command to the core and answers with its response.
func (s *Surface) runCommand(ctx context.Context, l *listener, m *models.Message, text string) {
	req := bridge.CommandRequest{Surface: platform, Channel: chatString(m.Chat.ID), Text: text}
	if m.From != nil {
		req.UserID = strconv.FormatInt(m.From.ID, 10)
		req.UserName = userName(m.From)
		req.Admin = s.isAdmin(m.From.ID)
	}
	resp := l.handler.Command(ctx, req)
	if resp.Text == "" {
		return
	}
	s.answer(ctx, m, resp)
}

// answer replies to a message with a command response: escaped, tables in
// <pre>, split when long. Telegram has no ephemeral replies, so private
// answers are replies too.
func (s *Surface) answer(ctx context.Context, m *models.Message, resp bridge.CommandResponse) {
	for _, body := range responseBodies(resp) {
		params := &bot.SendMessageParams{ChatID: m.Chat.ID, Text: body.html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff(),
			ReplyParameters: &models.ReplyParameters{MessageID: m.ID, AllowSendingWithoutReply: true}}
		if m.IsTopicMessage {
			params.MessageThreadID = m.MessageThreadID
		}
		err := s.spend(ctx, prioContent, "answer command", m.Chat.ID, func(ctx context.Context) error {
			_, err := s.bot.SendMessage(ctx, params)
			return err
		})
		if err != nil {
			s.log.Warn("could not answer a command", "chat", m.Chat.ID, "err", err)
			return
		}
	}
}

// responseBodies formats a response: a refusal gets ⚠️; text that looks like
// a table (aligned columns) is preformatted.
func responseBodies(resp bridge.CommandResponse) []htmlText {
	text := strings.TrimRight(resp.Text, "\n")
	table := strings.Contains(text, "\n") && (strings.Contains(text, "  ") || strings.Contains(text, "\t") || strings.Contains(text, "|"))
	var out []htmlText
	for i, chunk := range splitText(text, maxTextLen-16) {
		body := plain(chunk)
		if table {
			body = wrap("pre", body)
		}
		if resp.Error && i == 0 {
			body = concat(" ", plain("⚠️"), body)
		}
		out = append(out, body)
	}
	return out
}

func userName(u *models.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" && u.Username != "" {
		name = "@" + u.Username
	}
	return name
}
