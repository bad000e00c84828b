// Package telegramtest is a fake Telegram Bot API server for tests and
// demos: it speaks the real wire format (multipart or JSON requests, the
// {"ok":…} envelope, error codes and descriptions), keeps chats, forum
// topics and messages, parses HTML like Telegram (strictly), enforces a
// group limit on every call that posts into a group (see SpendsBudget) on an
// injected clock with 429 + retry_after, serves getUpdates from a script,
// and records every call.
package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// The fake bot's identity.
const (
	Token       = "123456789:TEST-fake-token-abcdefghijklmnopqrstuvwx"
	BotID       = 123456789
	BotUsername = "shopbridge_test_bot"
)

// Server is a fake Bot API. Create it with New; Close it after the test.
type Server struct {
	URL string

	srv   *httptest.Server
	clock bridge.Clock

	mu          sync.Mutex
	chats       map[int64]*Chat
	updates     []models.Update
	nextUpdate  int64
	changed     chan struct{}
	calls       []Call
	faults      []*Fault
	limit       int
	window      time.Duration
	sends       map[int64][]time.Time
	badPhotos   map[string]bool
	answers     []Answer
	commands    []models.BotCommand
	webhook     models.WebhookInfo
	secret      string
	tokenBroken bool
	nextCb      int
	readAll     bool
	activity    chan struct{}
}

// Chat is a fake chat and what the bot may do in it.
type Chat struct {
	ID    int64
	Title string
	Forum bool
	// BotStatus is the bot's membership: "administrator" (default),
	// "member", "restricted", "left" or "kicked".
	BotStatus       string
	CanManageTopics bool
	CanPinMessages  bool
	// Reactions limits the allowed reactions (nil: all).
	Reactions []string

	nextID   int
	messages map[int]*Message
	topics   map[int]*Topic
}

// Topic is a forum topic.
type Topic struct {
	ID        int
	Name      string
	IconColor int
	Closed    bool
	Deleted   bool
	// Renames counts successful editForumTopic calls that changed the name.
	Renames int
}

// Message is a message in a fake chat.
type Message struct {
	ID       int
	Chat     int64
	Thread   int
	FromBot  bool
	UserID   int64
	UserName string
	// Text is the visible text (or caption); HTML what was sent.
	Text     string
	HTML     string
	Entities []models.MessageEntity
	Photo    string
	ReplyTo  int
	Markup   *models.InlineKeyboardMarkup
	Preview  *models.LinkPreviewOptions
	Reaction string
	Pinned   bool
	Edits    int
	Date     time.Time
	// Service names a service message's kind ("forum_topic_closed"); its
	// Text is empty.
	Service string
}

// Call is one recorded API call.
type Call struct {
	Method string
	Params map[string]string
	At     time.Time
	// Code is the HTTP status answered.
	Code int
}

// Fault makes the next Times calls of Method (to Chat, if set) fail.
type Fault struct {
	Method      string
	Chat        int64
	Times       int
	Code        int
	Description string
	RetryAfter  int
}

// Answer is a recorded answerCallbackQuery.
type Answer struct {
	ID        string
	Text      string
	ShowAlert bool
}

// New starts a fake Bot API on 127.0.0.1. Dates and the send limit use clock.
func New(clock bridge.Clock) *Server {
	s := &Server{
		clock:      clock,
		chats:      map[int64]*Chat{},
		changed:    make(chan struct{}),
		activity:   make(chan struct{}),
		sends:      map[int64][]time.Time{},
		badPhotos:  map[string]bool{},
		nextUpdate: 1,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Activity is closed at the next recorded call or queued update: tests
// wait on it instead of sleeping.
func (s *Server) Activity() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activity
}

func (s *Server) signalLocked() {
	close(s.activity)
	s.activity = make(chan struct{})
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddChat adds a chat; the bot is an administrator with every right unless
// the chat says otherwise.
func (s *Server) AddChat(c Chat) *Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.BotStatus == "" {
		c.BotStatus = "administrator"
		c.CanManageTopics, c.CanPinMessages = true, true
	}
	c.nextID = 1
	c.messages = map[int]*Message{}
	c.topics = map[int]*Topic{}
	cc := c
	s.chats[c.ID] = &cc
	return &cc
}

// SetBotRights changes the bot's membership of a chat.
func (s *Server) SetBotRights(chat int64, status string, manageTopics, pin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat]
	c.BotStatus, c.CanManageTopics, c.CanPinMessages = status, manageTopics, pin
}

// SetPrivacyOff makes getMe say the bot reads all group messages.
func (s *Server) SetPrivacyOff() {
	s.mu.Lock()
	s.readAll = true
	s.mu.Unlock()
}

// SetGroupLimit enforces at most n calls that spend a group's budget (see
// SpendsBudget) per sliding window in each group (0: off), answering 429
// with the retry_after that would let the call through. Refused calls and
// calls answered with another error do not count.
func (s *Server) SetGroupLimit(n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.window = n, window
}

// Fail injects a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Description == "" {
		f.Description = http.StatusText(f.Code)
	}
	s.faults = append(s.faults, &f)
}

// BreakToken makes every call answer 401 Unauthorized (a revoked token).
func (s *Server) BreakToken(broken bool) {
	s.mu.Lock()
	s.tokenBroken = broken
	s.mu.Unlock()
}

// BadPhoto makes sendPhoto with url fail as if Telegram could not fetch it.
func (s *Server) BadPhoto(url string) {
	s.mu.Lock()
	s.badPhotos[url] = true
	s.mu.Unlock()
}

// DeleteTopic deletes a forum topic.
func (s *Server) DeleteTopic(chat int64, topic int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.chats[chat].topics[topic]; t != nil {
		t.Deleted = true
	}
}

// CloseTopic closes a forum topic.
func (s *Server) CloseTopic(chat int64, topic int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.chats[chat].topics[topic]; t != nil {
		t.Closed = true
	}
}

// CloseTopicBy closes a forum topic as person u does in a Telegram client:
// the topic gets a forum_topic_closed service message and its update is
// queued.
func (s *Server) CloseTopicBy(chat int64, topic int, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat]
	t := c.topics[topic]
	if t == nil {
		return
	}
	t.Closed = true
	m := &Message{ID: c.nextID, Chat: chat, Thread: topic, UserID: u.ID, UserName: u.Name, Date: s.clock.Now(), Service: "forum_topic_closed"}
	c.nextID++
	c.messages[m.ID] = m
	s.pushLocked(models.Update{Message: s.toModel(c, m)})
}

// DeleteMessage deletes a message.
func (s *Server) DeleteMessage(chat int64, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.chats[chat].messages, id)
}

// Topics returns a chat's topics (deleted ones included), by id.
func (s *Server) Topics(chat int64) []Topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Topic
	for _, t := range s.chats[chat].topics {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Messages returns a chat's messages (all threads), by id.
func (s *Server) Messages(chat int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.chats[chat].messages {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ThreadMessages returns the messages of one topic, by id.
func (s *Server) ThreadMessages(chat int64, topic int) []Message {
	var out []Message
	for _, m := range s.Messages(chat) {
		if m.Thread == topic {
			out = append(out, m)
		}
	}
	return out
}

// Message returns one message.
func (s *Server) Message(chat int64, id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.chats[chat].messages[id]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Calls returns the recorded calls of method ("" for all).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Count counts the calls of method answered with code (0: any).
func (s *Server) Count(method string, code int) int {
	n := 0
	for _, c := range s.Calls(method) {
		if code == 0 || c.Code == code {
			n++
		}
	}
	return n
}

// spending are the methods that spend a group's message budget: each puts
// something into the chat (a message, a topic or its service message, a
// pin, an edit). This fake decides that reactions (setMessageReaction),
// callback answers and reads do not: Telegram's published limits are about
// messages, and a reaction is not one.
var spending = map[string]bool{
	"sendMessage": true, "sendPhoto": true, "editMessageText": true, "editMessageCaption": true, "pinChatMessage": true,
	"createForumTopic": true, "editForumTopic": true, "reopenForumTopic": true, "closeForumTopic": true,
}

// SpendsBudget reports whether a call of method counts against a group's
// limit (see SetGroupLimit).
func SpendsBudget(method string) bool { return spending[method] }

// GroupCalls returns the calls to chat that spend its budget and were
// answered with code (0: any), in order.
func (s *Server) GroupCalls(chat int64, code int) []Call {
	id := strconv.FormatInt(chat, 10)
	var out []Call
	for _, c := range s.Calls("") {
		if spending[c.Method] && c.Params["chat_id"] == id && (code == 0 || c.Code == code) {
			out = append(out, c)
		}
	}
	return out
}

// Answers returns the recorded callback answers.
func (s *Server) Answers() []Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Answer(nil), s.answers...)
}

// Commands returns the commands set with setMyCommands.
func (s *Server) Commands() []models.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]models.BotCommand(nil), s.commands...)
}

// Webhook returns the webhook as set.
func (s *Server) Webhook() (models.WebhookInfo, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook, s.secret
}

// SetWebhookError makes getWebhookInfo report a delivery error now.
func (s *Server) SetWebhookError(msg string, pending int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook.LastErrorDate = int(s.clock.Now().Unix())
	s.webhook.LastErrorMessage = msg
	s.webhook.PendingUpdateCount = pending
}

// ---- the wire ----

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !ok || r.Method != http.MethodPost {
		writeErr(w, 404, "Not Found", 0)
		return
	}
	params, err := readParams(r)
	if err != nil {
		writeErr(w, 400, "Bad Request: "+err.Error(), 0)
		return
	}
	if method == "getUpdates" {
		s.getUpdates(w, r, params)
		return
	}
	s.mu.Lock()
	code, result, desc, retry := s.handle(token, method, params)
	s.calls = append(s.calls, Call{Method: method, Params: params, At: s.clock.Now(), Code: code})
	s.signalLocked()
	s.mu.Unlock()
	if code != 200 {
		writeErr(w, code, desc, retry)
		return
	}
	writeOK(w, result)
}

func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if r.ContentLength == 0 {
			return out, nil
		}
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") {
				return out, nil // a method without parameters: an empty body
			}
			return nil, err
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	case "application/json":
		var m map[string]json.RawMessage
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, err
			}
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				out[k] = str
			} else {
				out[k] = string(v)
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.Form {
			out[k] = v[0]
		}
	}
	return out, nil
}

func writeOK(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func writeErr(w http.ResponseWriter, code int, desc string, retry int) {
	body := map[string]any{"ok": false, "error_code": code, "description": desc}
	if retry > 0 {
		body["parameters"] = map[string]any{"retry_after": retry}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

func (s *Server) botUser() map[string]any {
	return map[string]any{"id": BotID, "is_bot": true, "first_name": "Shopbridge", "username": BotUsername,
		"can_join_groups": true, "can_read_all_group_messages": s.readAll}
}

// handle runs one method with s.mu held.
func (s *Server) handle(token, method string, p map[string]string) (int, any, string, int) {
	if token != Token || s.tokenBroken {
		return 401, nil, "Unauthorized", 0
	}
	chatID, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	for i, f := range s.faults {
		if f.Method == method && (f.Chat == 0 || f.Chat == chatID) && f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f.Code, nil, f.Description, f.RetryAfter
		}
	}
	switch method {
	case "getMe":
		return 200, s.botUser(), "", 0
	case "setMyCommands":
		var cmds []models.BotCommand
		if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
			return 400, nil, "Bad Request: can't parse commands JSON object", 0
		}
		s.commands = cmds
		return 200, true, "", 0
	case "deleteWebhook":
		s.webhook = models.WebhookInfo{}
		s.secret = ""
		return 200, true, "", 0
	case "setWebhook":
		if !strings.HasPrefix(p["url"], "https://") {
			return 400, nil, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", 0
		}
		s.webhook = models.WebhookInfo{URL: p["url"]}
		if n, err := strconv.Atoi(p["max_connections"]); err == nil {
			s.webhook.MaxConnections = n
		}
		s.secret = p["secret_token"]
		return 200, true, "", 0
	case "getWebhookInfo":
		return 200, s.webhook, "", 0
	case "answerCallbackQuery":
		s.answers = append(s.answers, Answer{ID: p["callback_query_id"], Text: p["text"], ShowAlert: p["show_alert"] == "true"})
		return 200, true, "", 0
	}
	c := s.chats[chatID]
	if c == nil {
		return 400, nil, "Bad Request: chat not found", 0
	}
	if c.BotStatus == "left" || c.BotStatus == "kicked" {
		if method == "getChatMember" {
			return 200, map[string]any{"status": c.BotStatus, "user": s.botUser()}, "", 0
		}
		return 403, nil, "Forbidden: bot was kicked from the supergroup chat", 0
	}
	switch method {
	case "getChat":
		info := map[string]any{"id": c.ID, "type": "supergroup", "title": c.Title, "is_forum": c.Forum, "max_reaction_count": 11}
		if c.Reactions != nil {
			var rs []map[string]string
			for _, e := range c.Reactions {
				rs = append(rs, map[string]string{"type": "emoji", "emoji": e})
			}
			info["available_reactions"] = rs
		}
		return 200, info, "", 0
	case "getChatMember":
		uid, _ := strconv.ParseInt(p["user_id"], 10, 64)
		if uid != BotID {
			return 200, map[string]any{"status": "member", "user": map[string]any{"id": uid, "is_bot": false, "first_name": "User"}}, "", 0
		}
		m := map[string]any{"status": c.BotStatus, "user": s.botUser()}
		switch c.BotStatus {
		case "administrator":
			m["can_manage_topics"] = c.CanManageTopics
			m["can_pin_messages"] = c.CanPinMessages
			m["can_delete_messages"] = true
		case "restricted":
			m["can_send_messages"] = true
			m["is_member"] = true
		}
		return 200, m, "", 0
	case "createForumTopic":
		if !c.Forum {
			return 400, nil, "Bad Request: the chat is not a forum", 0
		}
		if !(c.BotStatus == "administrator" && c.CanManageTopics) {
			return 400, nil, "Bad Request: not enough rights to create a topic", 0
		}
		if n := len([]rune(p["name"])); n == 0 || n > 128 {
			return 400, nil, "Bad Request: TOPIC_NAME_INVALID", 0
		}
		if code, desc, retry, ok := s.spendLocked(c); !ok {
			return code, nil, desc, retry
		}
		id := c.nextID
		c.nextID++
		color, _ := strconv.Atoi(p["icon_color"])
		c.topics[id] = &Topic{ID: id, Name: p["name"], IconColor: color}
		return 200, models.ForumTopic{MessageThreadID: id, Name: p["name"], IconColor: color}, "", 0
	case "reopenForumTopic", "closeForumTopic", "deleteForumTopic":
		tid, _ := strconv.Atoi(p["message_thread_id"])
		t := c.topics[tid]
		if t == nil || t.Deleted {
			return 400, nil, "Bad Request: message thread not found", 0
		}
		if method == "reopenForumTopic" && !t.Closed || method == "closeForumTopic" && t.Closed {
			return 400, nil, "Bad Request: TOPIC_NOT_MODIFIED", 0
		}
		if spending[method] {
			if code, desc, retry, ok := s.spendLocked(c); !ok {
				return code, nil, desc, retry
			}
		}
		switch method {
		case "reopenForumTopic":
			t.Closed = false
		case "closeForumTopic":
			t.Closed = true
		default:
			t.Deleted = true
		}
		return 200, true, "", 0
	case "editForumTopic":
		tid, _ := strconv.Atoi(p["message_thread_id"])
		t := c.topics[tid]
		if t == nil || t.Deleted {
			return 400, nil, "Bad Request: message thread not found", 0
		}
		if !(c.BotStatus == "administrator" && c.CanManageTopics) {
			return 400, nil, "Bad Request: not enough rights to edit a topic", 0
		}
		name, hasName := p["name"]
		if hasName && (len([]rune(name)) == 0 || len([]rune(name)) > 128) {
			return 400, nil, "Bad Request: TOPIC_NAME_INVALID", 0
		}
		if !hasName || name == t.Name {
			return 400, nil, "Bad Request: TOPIC_NOT_MODIFIED", 0
		}
		if code, desc, retry, ok := s.spendLocked(c); !ok {
			return code, nil, desc, retry
		}
		t.Name = name
		t.Renames++
		return 200, true, "", 0
	case "sendMessage", "sendPhoto":
		return s.send(c, method, p)
	case "editMessageText", "editMessageCaption":
		id, _ := strconv.Atoi(p["message_id"])
		m := c.messages[id]
		if m == nil {
			return 400, nil, "Bad Request: message to edit not found", 0
		}
		if !m.FromBot {
			return 400, nil, "Bad Request: message can't be edited", 0
		}
		caption := method == "editMessageCaption"
		switch {
		case caption && m.Photo == "":
			return 400, nil, "Bad Request: there is no caption in the message to edit", 0
		case !caption && m.Photo != "":
			return 400, nil, "Bad Request: there is no text in the message to edit", 0
		}
		text, ents, err := parseText(p)
		if err != nil {
			return 400, nil, "Bad Request: " + err.Error(), 0
		}
		if caption && utf16Len(text) > 1024 {
			return 400, nil, "Bad Request: MEDIA_CAPTION_TOO_LONG", 0
		}
		if utf16Len(text) > 4096 {
			return 400, nil, "Bad Request: MESSAGE_TOO_LONG", 0
		}
		markup := m.Markup
		if raw, ok := p["reply_markup"]; ok {
			markup = &models.InlineKeyboardMarkup{}
			if err := json.Unmarshal([]byte(raw), markup); err != nil {
				return 400, nil, "Bad Request: can't parse reply keyboard markup JSON object", 0
			}
		}
		if text == m.Text && sameMarkup(markup, m.Markup) {
			return 400, nil, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", 0
		}
		if code, desc, retry, ok := s.spendLocked(c); !ok {
			return code, nil, desc, retry
		}
		m.Text, m.HTML, m.Entities, m.Markup = text, p["text"], ents, markup
		if caption {
			m.HTML = p["caption"]
		}
		if raw := p["link_preview_options"]; raw != "" && !caption {
			m.Preview = &models.LinkPreviewOptions{}
			json.Unmarshal([]byte(raw), m.Preview)
		}
		m.Edits++
		return 200, s.wire(c, m), "", 0
	case "setMessageReaction":
		id, _ := strconv.Atoi(p["message_id"])
		m := c.messages[id]
		if m == nil {
			return 400, nil, "Bad Request: message to react not found", 0
		}
		var rs []struct {
			Type  string `json:"type"`
			Emoji string `json:"emoji"`
		}
		if err := json.Unmarshal([]byte(p["reaction"]), &rs); err != nil {
			return 400, nil, "Bad Request: can't parse reaction types JSON object", 0
		}
		emoji := ""
		if len(rs) > 0 {
			emoji = rs[0].Emoji
			if rs[0].Type != "emoji" || !allowed[emoji] {
				return 400, nil, "Bad Request: REACTION_INVALID", 0
			}
			if c.Reactions != nil && !contains(c.Reactions, emoji) {
				return 400, nil, "Bad Request: REACTION_INVALID", 0
			}
		}
		m.Reaction = emoji
		return 200, true, "", 0
	case "pinChatMessage":
		if !(c.BotStatus == "administrator" && c.CanPinMessages) {
			return 400, nil, "Bad Request: not enough rights to manage pinned messages in the chat", 0
		}
		id, _ := strconv.Atoi(p["message_id"])
		m := c.messages[id]
		if m == nil {
			return 400, nil, "Bad Request: message to pin not found", 0
		}
		if code, desc, retry, ok := s.spendLocked(c); !ok {
			return code, nil, desc, retry
		}
		m.Pinned = true
		return 200, true, "", 0
	}
	return 404, nil, "Not Found: method not found", 0
}

func sameMarkup(a, b *models.InlineKeyboardMarkup) bool {
	ea := a == nil || len(a.InlineKeyboard) == 0
	eb := b == nil || len(b.InlineKeyboard) == 0
	if ea || eb {
		return ea == eb
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseText(p map[string]string) (string, []models.MessageEntity, error) {
	raw, ok := p["text"]
	if !ok {
		raw = p["caption"]
	}
	if p["parse_mode"] == "HTML" {
		return ParseHTML(raw)
	}
	return raw, detect(raw), nil
}

// spendLocked counts one call against a group's limit, or answers the 429
// that refuses it (ok false).
func (s *Server) spendLocked(c *Chat) (code int, desc string, retry int, ok bool) {
	if s.limit <= 0 || c.ID >= 0 {
		return 0, "", 0, true
	}
	now := s.clock.Now()
	recent := s.sends[c.ID][:0]
	for _, t := range s.sends[c.ID] {
		if now.Sub(t) < s.window {
			recent = append(recent, t)
		}
	}
	s.sends[c.ID] = recent
	if len(recent) >= s.limit {
		wait := int(math.Ceil(recent[len(recent)-s.limit].Add(s.window).Sub(now).Seconds()))
		if wait < 1 {
			wait = 1
		}
		return 429, fmt.Sprintf("Too Many Requests: retry after %d", wait), wait, false
	}
	s.sends[c.ID] = append(s.sends[c.ID], now)
	return 0, "", 0, true
}

// send posts a message or photo, checking the thread, the reply, the text
// and the group limit like Telegram.
func (s *Server) send(c *Chat, method string, p map[string]string) (int, any, string, int) {
	if c.BotStatus == "restricted" {
		return 400, nil, "Bad Request: not enough rights to send text messages to the chat", 0
	}
	thread, _ := strconv.Atoi(p["message_thread_id"])
	replyTo := 0
	if raw := p["reply_parameters"]; raw != "" {
		var rp models.ReplyParameters
		if err := json.Unmarshal([]byte(raw), &rp); err != nil {
			return 400, nil, "Bad Request: can't parse reply parameters JSON object", 0
		}
		if target, ok := c.messages[rp.MessageID]; ok {
			replyTo = rp.MessageID
			if thread == 0 {
				thread = target.Thread
			}
		} else if !rp.AllowSendingWithoutReply {
			return 400, nil, "Bad Request: message to be replied not found", 0
		}
	}
	if thread != 0 {
		if !c.Forum {
			return 400, nil, "Bad Request: message thread not found", 0
		}
		t := c.topics[thread]
		if t == nil || t.Deleted {
			return 400, nil, "Bad Request: message thread not found", 0
		}
		if t.Closed {
			return 400, nil, "Bad Request: TOPIC_CLOSED", 0
		}
	}
	text, ents, err := parseText(p)
	if err != nil {
		return 400, nil, "Bad Request: " + err.Error(), 0
	}
	if method == "sendMessage" {
		if text == "" {
			return 400, nil, "Bad Request: message text is empty", 0
		}
		if utf16Len(text) > 4096 {
			return 400, nil, "Bad Request: message is too long", 0
		}
	} else {
		if utf16Len(text) > 1024 {
			return 400, nil, "Bad Request: message caption is too long", 0
		}
		if s.badPhotos[p["photo"]] {
			return 400, nil, "Bad Request: wrong file identifier/HTTP URL specified", 0
		}
	}
	if code, desc, retry, ok := s.spendLocked(c); !ok {
		return code, nil, desc, retry
	}
	now := s.clock.Now()
	m := &Message{ID: c.nextID, Chat: c.ID, Thread: thread, FromBot: true, Text: text, HTML: p["text"], Entities: ents,
		ReplyTo: replyTo, Date: now}
	c.nextID++
	if method == "sendPhoto" {
		m.Photo, m.HTML = p["photo"], p["caption"]
	}
	if raw := p["reply_markup"]; raw != "" {
		m.Markup = &models.InlineKeyboardMarkup{}
		if err := json.Unmarshal([]byte(raw), m.Markup); err != nil {
			return 400, nil, "Bad Request: can't parse reply keyboard markup JSON object", 0
		}
	}
	if raw := p["link_preview_options"]; raw != "" {
		m.Preview = &models.LinkPreviewOptions{}
		json.Unmarshal([]byte(raw), m.Preview)
	}
	c.messages[m.ID] = m
	return 200, s.wire(c, m), "", 0
}

// wire is the Bot API's JSON of a stored message.
func (s *Server) wire(c *Chat, m *Message) map[string]any {
	out := map[string]any{
		"message_id": m.ID, "date": m.Date.Unix(),
		"chat": map[string]any{"id": c.ID, "type": "supergroup", "title": c.Title, "is_forum": c.Forum},
	}
	if m.FromBot {
		out["from"] = s.botUser()
	} else {
		out["from"] = map[string]any{"id": m.UserID, "is_bot": false, "first_name": m.UserName}
	}
	if m.Thread != 0 {
		out["message_thread_id"] = m.Thread
		out["is_topic_message"] = true
	}
	if m.Service != "" {
		out[m.Service] = map[string]any{}
	}
	key, entKey := "text", "entities"
	if m.Photo != "" {
		key, entKey = "caption", "caption_entities"
		out["photo"] = []map[string]any{{"file_id": "photo-" + strconv.Itoa(m.ID), "file_unique_id": "u" + strconv.Itoa(m.ID), "width": 800, "height": 600}}
	}
	if m.Text != "" {
		out[key] = m.Text
	}
	if len(m.Entities) > 0 {
		out[entKey] = m.Entities
	}
	if m.Markup != nil && len(m.Markup.InlineKeyboard) > 0 {
		out["reply_markup"] = m.Markup
	}
	if m.Edits > 0 {
		out["edit_date"] = m.Date.Unix()
	}
	return out
}

// ---- updates ----

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.Atoi(p["timeout"])
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second) // the network's long poll, not test timing
		defer t.Stop()
		deadline = t.C
	}
	for {
		s.mu.Lock()
		code, desc, retry := 200, "", 0
		if token, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/"); token != Token || s.tokenBroken {
			code, desc = 401, "Unauthorized"
		} else {
			for _, f := range s.faults {
				if f.Method == "getUpdates" && f.Times > 0 {
					f.Times--
					code, desc, retry = f.Code, f.Description, f.RetryAfter
					break
				}
			}
		}
		if code != 200 {
			s.calls = append(s.calls, Call{Method: "getUpdates", Params: p, At: s.clock.Now(), Code: code})
			s.signalLocked()
			s.mu.Unlock()
			writeErr(w, code, desc, retry)
			return
		}
		if s.webhook.URL != "" {
			s.mu.Unlock()
			writeErr(w, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
			return
		}
		kept := s.updates[:0]
		for _, u := range s.updates {
			if u.ID >= offset {
				kept = append(kept, u)
			}
		}
		s.updates = kept
		if len(s.updates) > 0 || deadline == nil {
			out := append([]models.Update(nil), s.updates...)
			s.calls = append(s.calls, Call{Method: "getUpdates", Params: p, At: s.clock.Now(), Code: 200})
			s.mu.Unlock()
			writeOK(w, out)
			return
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			deadline = nil
		case <-r.Context().Done():
			return
		}
	}
}

// Push queues an update for getUpdates (its update_id is assigned) and
// returns it, for a test to post it to a webhook instead.
func (s *Server) Push(u models.Update) models.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(u)
}

func (s *Server) pushLocked(u models.Update) models.Update {
	u.ID = s.nextUpdate
	s.nextUpdate++
	s.updates = append(s.updates, u)
	close(s.changed)
	s.changed = make(chan struct{})
	s.signalLocked()
	return u
}

// Pending is how many updates getUpdates has not had confirmed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// User is a person in a fake chat.
type User struct {
	ID   int64
	Name string
}

// Say posts a person's message into a chat (topic 0: none; replyTo 0:
// none) and queues its update. It returns the message id.
func (s *Server) Say(chat int64, topic int, replyTo int, u User, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat]
	m := &Message{ID: c.nextID, Chat: chat, Thread: topic, UserID: u.ID, UserName: u.Name, Text: text, ReplyTo: replyTo, Date: s.clock.Now()}
	m.Entities = detect(text)
	c.nextID++
	c.messages[m.ID] = m
	s.pushLocked(models.Update{Message: s.toModel(c, m)})
	return m.ID
}

// Edit edits a person's message and queues the edited_message update.
func (s *Server) Edit(chat int64, id int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat]
	m := c.messages[id]
	m.Text = text
	m.Edits++
	s.pushLocked(models.Update{EditedMessage: s.toModel(c, m)})
}

// Press presses an inline button of a message and queues the callback
// query. It returns the query id.
func (s *Server) Press(chat int64, id int, u User, data string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat]
	s.nextCb++
	qid := "cb" + strconv.Itoa(s.nextCb)
	q := &models.CallbackQuery{ID: qid, From: models.User{ID: u.ID, FirstName: u.Name}, Data: data, ChatInstance: "ci"}
	if m := c.messages[id]; m != nil {
		q.Message = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: s.toModel(c, m)}
	}
	s.pushLocked(models.Update{CallbackQuery: q})
	return qid
}

// RemoveBot removes the bot from a chat and queues the my_chat_member update.
func (s *Server) RemoveBot(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat]
	c.BotStatus = "kicked"
	s.pushLocked(models.Update{MyChatMember: &models.ChatMemberUpdated{
		Chat: models.Chat{ID: chat, Type: "supergroup", Title: c.Title, IsForum: c.Forum},
		From: models.User{ID: 1, FirstName: "Owner"}, Date: int(s.clock.Now().Unix()),
		OldChatMember: models.ChatMember{Type: models.ChatMemberTypeAdministrator, Administrator: &models.ChatMemberAdministrator{}},
		NewChatMember: models.ChatMember{Type: models.ChatMemberTypeBanned, Banned: &models.ChatMemberBanned{}},
	}})
}

// toModel converts a stored message into the library's type (via the wire
// JSON, so what a test sees is what Telegram would send), with its reply.
func (s *Server) toModel(c *Chat, m *Message) *models.Message {
	w := s.wire(c, m)
	if m.ReplyTo != 0 {
		if r := c.messages[m.ReplyTo]; r != nil {
			w["reply_to_message"] = s.wire(c, r)
		}
	}
	raw, _ := json.Marshal(w)
	var out models.Message
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return &out
}

// allowed is the Bot API's reaction list.
var allowed = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range []string{"👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩",
		"🤮", "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤\u200d🔥", "🌚", "🌭", "💯", "🤣", "⚡", "🍌", "🏆",
		"💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨\u200d💻", "👀", "🎃", "🙈", "😇", "😨",
		"🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾",
		"🤷\u200d♂", "🤷", "🤷\u200d♀", "😡"} {
		m[e] = true
	}
	return m
}()
