package telegram

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// chatRole is a chat the surface posts to and what it needs there.
type chatRole struct {
	chat  int64
	roles []string
	// threads: conversations open here (topics or reply chains).
	threads bool
}

// label names the chat in messages: "inbox chat -100… (also alerts, report)".
func (r chatRole) label() string {
	l := r.roles[0] + " chat " + chatString(r.chat)
	if len(r.roles) > 1 {
		l += " (also " + strings.Join(r.roles[1:], ", ") + ")"
	}
	return l
}

// ownChats lists the configured chats, each once with its roles joined.
func (s *Surface) ownChats() []chatRole {
	byChat := map[int64]*chatRole{}
	var order []int64
	add := func(chat int64, role string, threads bool) {
		if chat == 0 {
			return
		}
		r, ok := byChat[chat]
		if !ok {
			r = &chatRole{chat: chat}
			byChat[chat] = r
			order = append(order, chat)
		}
		r.roles = append(r.roles, role)
		r.threads = r.threads || threads
	}
	add(s.cfg.InboxChat, "inbox", true)
	sites := make([]string, 0, len(s.cfg.SiteChats))
	for site := range s.cfg.SiteChats {
		sites = append(sites, site)
	}
	sort.Strings(sites)
	for _, site := range sites {
		add(s.cfg.SiteChats[site], "site "+site, true)
	}
	add(s.cfg.AlertsChat, "alerts", false)
	add(s.cfg.ReportChat, "report", false)
	out := make([]chatRole, 0, len(order))
	for _, c := range order {
		out = append(out, *byChat[c])
	}
	return out
}

func (s *Surface) ownChat(chat int64) bool {
	for _, r := range s.ownChats() {
		if r.chat == chat {
			return true
		}
	}
	return false
}

// checkAll checks every configured chat at start.
func (s *Surface) checkAll(ctx context.Context, me *models.User) {
	for _, r := range s.ownChats() {
		s.checkChat(ctx, me, r)
	}
}

// recheck checks one chat again (the bot was re-added or promoted, or a
// periodic check of a failing chat).
func (s *Surface) recheck(ctx context.Context, chat int64) {
	l := s.active.Load()
	if l == nil {
		return
	}
	for _, r := range s.ownChats() {
		if r.chat == chat {
			s.checkChat(ctx, l.me, r)
			return
		}
	}
}

// checkChat verifies that the bot can do its job in a chat and says exactly
// what is missing: membership, the right to send, and in a forum used for
// conversations the admin right "Manage topics". A problem marks the chat
// (and so the surface) down with that text, logged once per line; warnings
// (pinning, privacy mode, reactions the chat disallows) are only logged.
// A check that cannot reach Telegram changes nothing.
func (s *Surface) checkChat(ctx context.Context, me *models.User, r chatRole) {
	s.forgetChat(r.chat)
	info, err := s.chatInfo(ctx, r.chat)
	if err != nil {
		if kindOf(err) == bridge.KindAuth {
			s.chatProblems(r, []string{bridge.ReasonOf(err) + ": add the bot to the group and use the group's id (-100…)"})
		} else {
			s.log.Warn("could not check a chat", "chat", r.label(), "err", err)
		}
		return
	}
	var member *models.ChatMember
	err = s.call(ctx, "get chat member", r.chat, func(ctx context.Context) error {
		var err error
		member, err = s.bot.GetChatMember(ctx, &bot.GetChatMemberParams{ChatID: r.chat, UserID: me.ID})
		return err
	})
	if err != nil {
		if kindOf(err) == bridge.KindAuth {
			s.chatProblems(r, []string{bridge.ReasonOf(err)})
		} else {
			s.log.Warn("could not check the bot's rights", "chat", r.label(), "err", err)
		}
		return
	}
	problems, warnings := rightsProblems(member, info, r, me, s.cfg)
	for _, w := range warnings {
		s.log.Warn(fmt.Sprintf("telegram %s: %s", r.label(), w))
	}
	if len(problems) > 0 {
		s.chatProblems(r, problems)
		return
	}
	if r.threads {
		mode := "forum topics"
		if !info.forum {
			mode = "reply chains (the group has no topics)"
		}
		s.log.Info("chat ready", "chat", r.label(), "threads", mode)
	}
	s.health.chatOK(r.chat)
}

func (s *Surface) chatProblems(r chatRole, problems []string) {
	for _, p := range problems {
		s.log.Error(fmt.Sprintf("telegram %s: %s", r.label(), p))
	}
	s.health.chatFailed(r.chat, bridge.AuthError(platform, "check chat", r.label()+": "+strings.Join(problems, "; ")))
}

// rightsProblems reads the bot's membership of a chat.
func rightsProblems(m *models.ChatMember, info chatInfo, r chatRole, me *models.User, cfg Config) (problems, warnings []string) {
	forumThreads := r.threads && info.forum
	admin, pin, topics, send := false, false, false, true
	switch m.Type {
	case models.ChatMemberTypeOwner:
		admin, pin, topics = true, true, true
	case models.ChatMemberTypeAdministrator:
		a := m.Administrator
		admin, pin, topics = true, a.CanPinMessages, a.CanManageTopics
	case models.ChatMemberTypeRestricted:
		send = m.Restricted.CanSendMessages
		pin, topics = m.Restricted.CanPinMessages, m.Restricted.CanManageTopics
	case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
		return []string{fmt.Sprintf("the bot is not a member (status %q): add it to the group", m.Type)}, nil
	}
	if !send {
		problems = append(problems, "the bot may not send messages here: lift its restriction")
	}
	if forumThreads && !topics {
		if admin {
			problems = append(problems, `the bot's admin rights lack "Manage topics" (can_manage_topics): edit the bot's admin rights and turn it on`)
		} else {
			problems = append(problems, `the bot is not an administrator: promote it with the right "Manage topics" (and "Pin messages")`)
		}
	}
	if forumThreads && topics && !pin && *cfg.PinHeader {
		warnings = append(warnings, `the bot lacks "Pin messages": header cards will not be pinned`)
	}
	if r.threads && !info.forum && !admin && !me.CanReadAllGroupMessages {
		warnings = append(warnings, "privacy mode is on and the bot is not an admin: it only sees replies to its own messages; make it an admin or turn privacy off (BotFather /setprivacy)")
	}
	if r.threads && info.reactions != nil {
		for _, e := range []string{cfg.Reactions.Sending, cfg.Reactions.Sent, cfg.Reactions.Failed} {
			if !info.reactions[e] {
				warnings = append(warnings, fmt.Sprintf("the group's allowed reactions do not include %s: allow it in the group's settings or pick another in telegram.reactions", e))
			}
		}
	}
	return problems, warnings
}
