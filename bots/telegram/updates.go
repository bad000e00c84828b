package telegram

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// listener is one running Listen: the handler updates go to, the bot's
// identity, and the tasks (commands, button presses, webhook requests) that
// must finish before Listen returns.
type listener struct {
	ctx     context.Context
	handler bridge.ChatHandler
	me      *models.User
	webhook bool
	sem     chan struct{}

	mu     sync.Mutex
	closed bool
	tasks  int
	idle   chan struct{}
}

func newListener(ctx context.Context, h bridge.ChatHandler, me *models.User, webhook bool) *listener {
	return &listener{ctx: ctx, handler: h, me: me, webhook: webhook, sem: make(chan struct{}, 4), idle: make(chan struct{})}
}

// begin registers a task; false once the listener is closing.
func (l *listener) begin() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.tasks++
	return true
}

func (l *listener) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tasks--
	if l.closed && l.tasks == 0 {
		close(l.idle)
	}
}

// close refuses new tasks and waits for the running ones.
func (l *listener) close() {
	l.mu.Lock()
	l.closed = true
	if l.tasks == 0 {
		close(l.idle)
	}
	l.mu.Unlock()
	<-l.idle
}

// async runs fn apart from the update loop (at most four at once), so a
// slow command does not hold back agent replies.
func (s *Surface) async(l *listener, fn func(ctx context.Context)) {
	if !l.begin() {
		return
	}
	go func() {
		defer l.end()
		select {
		case l.sem <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		defer func() { <-l.sem }()
		fn(l.ctx)
	}()
}

// onPolledUpdate is the bot library's handler in polling mode. The library
// has already confirmed the update to Telegram by then, so a reply the
// bridge cannot take is retried here and, failing that, the agent is told.
func (s *Surface) onPolledUpdate(_ context.Context, _ *bot.Bot, u *models.Update) {
	l := s.active.Load()
	if l == nil {
		return
	}
	if err := s.dispatch(l, u); err != nil {
		s.log.Error("update not handled", "update", u.ID, "err", err)
	}
}

// dispatch routes one update. An error means the update was not handled
// (a webhook answers 500, so Telegram delivers it again).
func (s *Surface) dispatch(l *listener, u *models.Update) error {
	if s.seen.has(u.ID) {
		return nil
	}
	var err error
	switch {
	case u.Message != nil:
		err = s.onMessage(l, u.Message)
	case u.EditedMessage != nil:
		s.onEdit(l, u.EditedMessage)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		s.async(l, func(ctx context.Context) { s.onCallback(ctx, l, q) })
	case u.MyChatMember != nil:
		s.onMembership(l, u.MyChatMember)
	}
	if err == nil {
		s.seen.add(u.ID)
	}
	return err
}

// fromPerson reports whether m was written by a person: not a bot (the
// bridge's own posts included), but an anonymous group admin is a person.
func fromPerson(m *models.Message) bool {
	if m.SenderChat != nil && m.SenderChat.ID == m.Chat.ID {
		return true
	}
	return m.From != nil && !m.From.IsBot
}

// author is who wrote a person's message: the user, or for an anonymous
// admin the group itself and the admin's signature.
func author(m *models.Message) (id, name string) {
	if m.SenderChat != nil && m.SenderChat.ID == m.Chat.ID {
		name = m.AuthorSignature
		if name == "" {
			name = "Anonymous admin"
		}
		return strconv.FormatInt(m.SenderChat.ID, 10), name
	}
	return strconv.FormatInt(m.From.ID, 10), userName(m.From)
}

// onMessage turns a person's message in a session thread into an agent
// reply, and a bot command into a command. Service messages (topic
// created, pins, joins) and bots are skipped.
func (s *Surface) onMessage(l *listener, m *models.Message) error {
	s.followTopicState(m)
	if !fromPerson(m) {
		return nil
	}
	if text, ok := parseCommand(m, l.me.Username); ok {
		if text == "chatid" {
			s.async(l, func(ctx context.Context) { s.answer(ctx, m, bridge.CommandResponse{Text: setupIDs(m)}) })
			return nil
		}
		s.async(l, func(ctx context.Context) { s.runCommand(ctx, l, m, text) })
		return nil
	}
	thread, ok := s.sessionThread(l, m)
	if !ok {
		return nil
	}
	if m.Text == "" {
		if hasMedia(m) {
			s.async(l, func(ctx context.Context) {
				s.answer(ctx, m, bridge.CommandResponse{Text: "Only text messages are sent to the buyer; this attachment stays in the chat.", Error: true})
			})
		}
		return nil
	}
	id, name := author(m)
	am := bridge.AgentMessage{
		Thread:   thread,
		Message:  msgKey{m.Chat.ID, m.ID}.ref(),
		UserID:   id,
		UserName: name,
		Text:     m.Text,
		At:       time.Unix(int64(m.Date), 0).UTC(),
	}
	return s.deliverReply(l, m, am)
}

// followTopicState notes topics that someone closed or reopened (their
// service messages), so a resumed conversation's topic is reopened only
// when it is closed: a reopen posts into the group and spends its budget.
func (s *Surface) followTopicState(m *models.Message) {
	if !m.Chat.IsForum || m.MessageThreadID == 0 {
		return
	}
	k := threadKey{m.Chat.ID, m.MessageThreadID}
	switch {
	case m.ForumTopicClosed != nil:
		s.closed.put(k, struct{}{})
	case m.ForumTopicReopened != nil:
		s.closed.del(k)
	}
}

// deliverReply hands an agent reply to the bridge. In polling mode a
// failure is retried with backoff; if the bridge still cannot take it, the
// agent is asked to send it again, so no reply vanishes silently.
func (s *Surface) deliverReply(l *listener, m *models.Message, am bridge.AgentMessage) error {
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		err := l.handler.AgentReply(l.ctx, am)
		if err == nil {
			return nil
		}
		if l.webhook || l.ctx.Err() != nil || attempt >= 5 {
			if !l.webhook {
				reason := bridge.ReasonOf(err)
				s.async(l, func(ctx context.Context) {
					s.answer(ctx, m, bridge.CommandResponse{Text: "This reply could not be queued for the buyer (" + reason + "). Please send it again.", Error: true})
				})
			}
			return err
		}
		select {
		case <-l.ctx.Done():
		case <-s.clock.After(backoff):
		}
		backoff *= 2
	}
}

// sessionThread finds the thread a person's message belongs to: its topic
// in a forum (not the General topic), or in a group without topics the
// header of the reply chain it answers.
func (s *Surface) sessionThread(l *listener, m *models.Message) (bridge.ThreadRef, bool) {
	chat := m.Chat.ID
	if m.Chat.IsForum {
		if m.IsTopicMessage && m.MessageThreadID != 0 {
			return threadKey{chat, m.MessageThreadID}.ref(), true
		}
		return bridge.ThreadRef{}, false
	}
	r := m.ReplyToMessage
	if r == nil {
		return bridge.ThreadRef{}, false
	}
	header := s.chainHeader(l, chat, r)
	// Replies to this reply belong to the same chain.
	s.chains.add(chat, m.ID, header)
	return threadKey{chat, header}.ref(), true
}

// chainHeader resolves the message r (which someone replied to) to its
// chain's header: a known post, the marker link of one of the bot's posts,
// or r itself (a header, or a message the bridge does not know, which it
// then ignores).
func (s *Surface) chainHeader(l *listener, chat int64, r *models.Message) int {
	if h, ok := s.chains.header(chat, r.ID); ok {
		return h
	}
	if r.From != nil && l.me != nil && r.From.ID == l.me.ID {
		if h, ok := markerHeader(chat, r); ok {
			return h
		}
	}
	return r.ID
}

// threadOf finds the thread of a message of the bot (a button's message).
func (s *Surface) threadOf(l *listener, m *models.Message) bridge.ThreadRef {
	chat := m.Chat.ID
	if m.Chat.IsForum {
		if m.IsTopicMessage && m.MessageThreadID != 0 {
			return threadKey{chat, m.MessageThreadID}.ref()
		}
		return bridge.ThreadRef{}
	}
	if h, ok := s.chains.header(chat, m.ID); ok {
		return threadKey{chat, h}.ref()
	}
	if m.ReplyToMessage != nil {
		return threadKey{chat, s.chainHeader(l, chat, m.ReplyToMessage)}.ref()
	}
	return bridge.ThreadRef{}
}

func hasMedia(m *models.Message) bool {
	return len(m.Photo) > 0 || m.Document != nil || m.Video != nil || m.Voice != nil || m.Audio != nil ||
		m.Sticker != nil || m.Animation != nil || m.VideoNote != nil || m.Contact != nil || m.Location != nil || m.Poll != nil
}

// onEdit answers the first edit of an agent's message in a thread: the
// buyer already has the first version.
func (s *Surface) onEdit(l *listener, m *models.Message) {
	if !*s.cfg.NotifyEdits || !fromPerson(m) {
		return
	}
	if _, ok := parseCommand(m, l.me.Username); ok {
		return
	}
	if _, ok := s.sessionThread(l, m); !ok {
		return
	}
	key := msgKey{m.Chat.ID, m.ID}
	if _, done := s.editNotices.get(key); done {
		return
	}
	s.editNotices.put(key, struct{}{})
	s.async(l, func(ctx context.Context) {
		s.answer(ctx, m, bridge.CommandResponse{Text: "Edits are not sent to the buyer: they received the first version."})
	})
}

// onCallback hands a button press to the bridge and always answers the
// callback query (a Telegram client shows a spinner until then).
func (s *Surface) onCallback(ctx context.Context, l *listener, q *models.CallbackQuery) {
	resp := bridge.CommandResponse{Text: "This button has expired. Use the bot's commands instead.", Error: true}
	if a, ok := s.buttons.decode(q.Data); ok {
		ev := bridge.ActionEvent{ActionID: a.ID, Value: a.Value, UserID: strconv.FormatInt(q.From.ID, 10),
			UserName: userName(&q.From), Admin: s.isAdmin(q.From.ID)}
		if q.Message.Message != nil {
			ev.Thread = s.threadOf(l, q.Message.Message)
		}
		resp = l.handler.Action(ctx, ev)
	}
	text := resp.Text
	if visibleLen(text) > maxCallbackAnswer {
		text = trimVisible(text, maxCallbackAnswer)
		if q.Message.Message != nil {
			s.answer(ctx, q.Message.Message, resp)
		}
	}
	err := s.call(ctx, "answer button", 0, func(ctx context.Context) error {
		_, err := s.bot.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: text, ShowAlert: resp.Error})
		return err
	})
	if err != nil {
		s.log.Warn("could not answer a button press", "err", err)
	}
}

// onMembership follows the bot being removed from, or re-added to, a chat.
func (s *Surface) onMembership(l *listener, u *models.ChatMemberUpdated) {
	chat := u.Chat.ID
	if !s.ownChat(chat) {
		return
	}
	s.forgetChat(chat)
	switch u.NewChatMember.Type {
	case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
		err := bridge.AuthError(platform, "membership", "the bot was removed from chat "+chatString(chat)+"; add it back as an admin")
		s.log.Error("bot removed from a chat: its messages stay queued", "chat", chat)
		s.health.chatFailed(chat, err)
	default:
		s.async(l, func(ctx context.Context) { s.recheck(ctx, chat) })
	}
}

// setupIDs answers /chatid, a setup aid the surface handles itself: the ids
// that go into the configuration (inbox_chat, alerts_topic, admins).
func setupIDs(m *models.Message) string {
	out := "This chat: " + strconv.FormatInt(m.Chat.ID, 10)
	if m.IsTopicMessage && m.MessageThreadID != 0 {
		out += "\nThis topic: " + strconv.Itoa(m.MessageThreadID)
	}
	if m.From != nil {
		out += "\nYour user id: " + strconv.FormatInt(m.From.ID, 10)
	}
	return out
}
