// Package fakeslack is a local fake of the Slack Web API and of Socket Mode,
// speaking their wire format on 127.0.0.1. It records every call, keeps
// channels, threads, metadata and reactions, enforces an optional per-channel
// posting rate, and injects faults (429 with Retry-After, error codes, 5xx,
// archived channels, deleted messages, revoked tokens). Tests of the Slack
// surface and end-to-end tests of the binary use it.
package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Default identities of the fake workspace.
const (
	BotToken  = "xoxb-fake-bot-token"
	AppToken  = "xapp-fake-app-token"
	BotUserID = "UBOT0001"
	BotID     = "BBOT0001"
	TeamID    = "T0FAKE01"
)

// Call is one recorded Web API request.
type Call struct {
	Method string
	// Values are the form fields (or the JSON body's top-level fields).
	Values url.Values
	// Status is the HTTP status answered; Error the Slack error code, if any.
	Status int
	Error  string
	At     time.Time
}

// Message is a message in the fake workspace.
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string
	User      string
	BotID     string
	Text      string
	Blocks    json.RawMessage
	Metadata  *Metadata
	Broadcast bool
	Reactions []string
	Updates   int
	Deleted   bool
}

// Metadata is Slack message metadata.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// Ephemeral is a chat.postEphemeral message.
type Ephemeral struct {
	Channel  string
	User     string
	ThreadTS string
	Text     string
}

// Fault is an injected failure. A fault matches a call by method (required)
// and optionally channel; it fires Times times (0: until cleared), after
// Skip matching calls passed.
type Fault struct {
	Method  string
	Channel string
	// Status is the HTTP status (429, 500…); 0 means 200 with ok=false.
	Status int
	// RetryAfter is the Retry-After header of a 429, in seconds.
	RetryAfter int
	// Error is the Slack error code of an ok=false answer.
	Error string
	Times int
	Skip  int
	// Every makes the fault fire on every n-th matching call only.
	Every int
	// Applied makes the call take effect before the fault is answered (a
	// post that reached Slack whose answer was lost).
	Applied bool

	seen  int
	fired int
}

// Server is the fake Slack.
type Server struct {
	srv *httptest.Server
	// URL is the Web API base URL to configure as api_url (ends with "/").
	URL string

	mu          sync.Mutex
	now         func() time.Time
	calls       []Call
	channels    map[string]*channel
	messages    map[string][]*Message // channel → messages in ts order
	ephemerals  []Ephemeral
	responses   []ResponseURLPost
	faults      []*Fault
	groups      map[string][]string
	users       map[string]string
	tsSeq       int64
	revoked     bool
	appRevoked  bool
	limit       *postLimit
	rateLimited int
	changed     chan struct{}

	sock *socketHub
}

type channel struct {
	archived bool
	member   bool
}

// ResponseURLPost is a message posted to a slash command's response_url.
type ResponseURLPost struct {
	ID   string
	Body map[string]any
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the fake use now for timestamps and the posting limit.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New starts a fake Slack on 127.0.0.1. Channels must be created with
// AddChannel before the bot can post to them.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		channels: map[string]*channel{},
		messages: map[string][]*Message{},
		groups:   map[string][]string{},
		users:    map[string]string{},
		tsSeq:    1700000000000000,
		changed:  make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	s.sock = newSocketHub(s)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/socket", s.sock.serve)
	mux.HandleFunc("/response/", s.serveResponseURL)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/"
	return s
}

// Close stops the server and closes sockets.
func (s *Server) Close() {
	s.sock.closeAll()
	s.srv.Close()
}

// AddChannel creates a channel the bot is a member of.
func (s *Server) AddChannel(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.channels[id] = &channel{member: true}
	}
}

// ArchiveChannel archives (or unarchives) a channel.
func (s *Server) ArchiveChannel(id string, archived bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[id]; ok {
		c.archived = archived
	}
}

// RemoveBot removes the bot from a channel (or adds it back).
func (s *Server) RemoveBot(id string, removed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[id]; ok {
		c.member = !removed
	}
}

// RevokeTokens makes every bot-token call fail with token_revoked.
func (s *Server) RevokeTokens(revoked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = revoked
}

// RevokeAppToken makes apps.connections.open fail with invalid_auth.
func (s *Server) RevokeAppToken(revoked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appRevoked = revoked
}

// SetUsergroup sets a user group's members.
func (s *Server) SetUsergroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = members
}

// SetUser names a user.
func (s *Server) SetUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = name
}

// Inject adds a fault; it returns it so tests can read how often it fired.
func (s *Server) Inject(f Fault) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	fp := &f
	s.faults = append(s.faults, fp)
	return fp
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Fired returns how often f fired.
func (s *Server) Fired(f *Fault) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f.fired
}

// LimitPosts enforces a token bucket of rate posts per second and burst per
// channel on chat.postMessage, answering 429 with Retry-After (whole
// seconds, at least 1) when it is exceeded.
func (s *Server) LimitPosts(rate float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = &postLimit{rate: rate, burst: float64(burst), buckets: map[string]*tokenBucket{}}
}

// RateLimited is how many 429s the posting limit answered.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

type postLimit struct {
	rate, burst float64
	buckets     map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

// take reports whether a post may go now, or how long to wait.
func (l *postLimit) take(channel string, now time.Time) (bool, time.Duration) {
	b, ok := l.buckets[channel]
	if !ok {
		b = &tokenBucket{tokens: l.burst, last: now}
		l.buckets[channel] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// Slack's content limits, as the fake enforces them.
const (
	// MaxBlocks is the most blocks a message may have ("invalid_blocks").
	MaxBlocks = 50
	// MaxSectionText is the longest text of a section block ("invalid_blocks").
	MaxSectionText = 3000
	// MaxBlocksText is the most text all blocks of a message may hold
	// together ("msg_blocks_too_long"). Slack does not document it; its
	// maintainers speak of 12,000 text characters plus a buffer for the
	// block containers, and refusals were reported from about 11,300.
	MaxBlocksText = 12000
	// MaxText is the longest top-level text ("msg_too_long").
	MaxText = 40000
)

// checkContent returns the error code Slack would answer for a message's
// text and blocks, or "".
func checkContent(v url.Values) string {
	if utf8.RuneCountInString(v.Get("text")) > MaxText {
		return "msg_too_long"
	}
	raw := v.Get("blocks")
	if raw == "" {
		return ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return "invalid_blocks_format"
	}
	if len(blocks) > MaxBlocks {
		return "invalid_blocks"
	}
	total := 0
	for _, b := range blocks {
		if b["type"] == "section" {
			if t, ok := b["text"].(map[string]any); ok {
				if txt, _ := t["text"].(string); utf8.RuneCountInString(txt) > MaxSectionText {
					return "invalid_blocks"
				}
			}
		}
		total += textIn(b)
	}
	if total > MaxBlocksText {
		return "msg_blocks_too_long"
	}
	return ""
}

// textIn counts the characters of every "text" string in a block.
func textIn(v any) int {
	n := 0
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok && k == "text" {
				n += utf8.RuneCountInString(s)
				continue
			}
			n += textIn(c)
		}
	case []any:
		for _, c := range t {
			n += textIn(c)
		}
	}
	return n
}

// MarketplaceIDs returns the marketplace message IDs a bridge post's
// metadata names: the "message_ids" list, or the single "message_id" of
// earlier versions.
func (m Message) MarketplaceIDs() []string {
	if m.Metadata == nil {
		return nil
	}
	if list, ok := m.Metadata.EventPayload["message_ids"].([]any); ok {
		out := make([]string, 0, len(list))
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if id, ok := m.Metadata.EventPayload["message_id"].(string); ok {
		return []string{id}
	}
	return nil
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

// Messages returns the channel's messages (roots and replies) in ts order.
func (s *Server) Messages(ch string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[ch] {
		out = append(out, m.copy())
	}
	return out
}

// Roots returns the channel's top-level messages.
func (s *Server) Roots(ch string) []Message {
	var out []Message
	for _, m := range s.Messages(ch) {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			out = append(out, m)
		}
	}
	return out
}

// Thread returns the replies of a thread (without the root).
func (s *Server) Thread(ch, root string) []Message {
	var out []Message
	for _, m := range s.Messages(ch) {
		if m.ThreadTS == root && m.TS != root {
			out = append(out, m)
		}
	}
	return out
}

// Message returns one message.
func (s *Server) Message(ch, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findLocked(ch, ts)
	if m == nil {
		return Message{}, false
	}
	return m.copy(), true
}

// Reactions returns a message's reactions in the order they were added.
func (s *Server) Reactions(ch, ts string) []string {
	m, _ := s.Message(ch, ts)
	return m.Reactions
}

// Ephemerals returns the ephemeral messages posted.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ephemeral(nil), s.ephemerals...)
}

// ResponseURLPosts returns what was posted to response URLs.
func (s *Server) ResponseURLPosts() []ResponseURLPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResponseURLPost(nil), s.responses...)
}

// ResponseURL returns a response_url served by the fake.
func (s *Server) ResponseURL(id string) string { return s.srv.URL + "/response/" + id }

// PostAsUser adds a person's message (for example an agent's thread reply)
// and returns its ts. It does not deliver an event: see SendMessageEvent.
func (s *Server) PostAsUser(ch, user, threadTS, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: ch, TS: s.nextTSLocked(), ThreadTS: threadTS, User: user, Text: text}
	s.messages[ch] = append(s.messages[ch], m)
	return m.TS
}

// DeleteMessage deletes a message; a deleted root makes its thread gone.
func (s *Server) DeleteMessage(ch, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findLocked(ch, ts); m != nil {
		m.Deleted = true
	}
}

func (m *Message) copy() Message {
	c := *m
	c.Reactions = append([]string(nil), m.Reactions...)
	return c
}

func (s *Server) findLocked(ch, ts string) *Message {
	for _, m := range s.messages[ch] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (s *Server) nextTSLocked() string {
	s.tsSeq++
	return fmt.Sprintf("%d.%06d", s.tsSeq/1000000, s.tsSeq%1000000)
}

// answer is one API response.
type answer struct {
	status     int
	retryAfter int
	body       map[string]any
}

func okAnswer(fields map[string]any) answer {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return answer{status: http.StatusOK, body: fields}
}

func errAnswer(code string) answer {
	return answer{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	values, token := readRequest(r)
	s.mu.Lock()
	a := s.handleLocked(method, values, token)
	c := Call{Method: method, Values: values, Status: a.status, At: s.now()}
	if e, ok := a.body["error"].(string); ok {
		c.Error = e
	}
	s.calls = append(s.calls, c)
	s.notifyLocked()
	s.mu.Unlock()

	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	if a.status >= 500 {
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte("<html>server error</html>"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(a.body)
}

// readRequest reads form or JSON fields and the token (form field or bearer).
func readRequest(r *http.Request) (url.Values, string) {
	values := url.Values{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		for k, v := range body {
			switch t := v.(type) {
			case string:
				values.Set(k, t)
			default:
				b, _ := json.Marshal(t)
				values.Set(k, string(b))
			}
		}
	} else {
		_ = r.ParseForm()
		values = r.PostForm
		if len(values) == 0 {
			values = r.URL.Query()
		}
	}
	if t := values.Get("token"); t != "" {
		token = t
		values.Del("token")
	}
	return values, token
}

func (s *Server) faultLocked(method, ch string, applied bool) *answer {
	for _, f := range s.faults {
		if f.Method != method || (f.Channel != "" && f.Channel != ch) || f.Applied != applied {
			continue
		}
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		f.seen++
		if f.seen <= f.Skip {
			continue
		}
		if f.Every > 1 && (f.seen-f.Skip)%f.Every != 0 {
			continue
		}
		f.fired++
		a := answer{status: http.StatusOK, body: map[string]any{"ok": false, "error": f.Error}}
		if f.Status != 0 {
			a.status = f.Status
		}
		if f.Status == http.StatusTooManyRequests {
			a.retryAfter = max(f.RetryAfter, 1)
			if f.Error == "" {
				a.body["error"] = "ratelimited"
			}
		}
		return &a
	}
	return nil
}

func (s *Server) handleLocked(method string, v url.Values, token string) answer {
	ch := v.Get("channel")
	if a := s.faultLocked(method, ch, false); a != nil {
		return *a
	}
	a := s.applyLocked(method, v, token)
	if a.status == http.StatusOK && a.body["ok"] == true {
		if f := s.faultLocked(method, ch, true); f != nil {
			return *f
		}
	}
	return a
}

func (s *Server) applyLocked(method string, v url.Values, token string) answer {
	ch := v.Get("channel")
	if method == "apps.connections.open" {
		if token != AppToken || s.appRevoked {
			return errAnswer("invalid_auth")
		}
		return okAnswer(map[string]any{"url": s.sock.url()})
	}
	if token != BotToken {
		return errAnswer("invalid_auth")
	}
	if s.revoked {
		return errAnswer("token_revoked")
	}
	switch method {
	case "auth.test":
		return okAnswer(map[string]any{"url": "https://fake.slack.test/", "team": "Fake", "user": "shopbridge", "team_id": TeamID, "user_id": BotUserID, "bot_id": BotID})
	case "chat.postMessage":
		return s.postLocked(v)
	case "chat.update":
		return s.updateLocked(v)
	case "chat.postEphemeral":
		if a := s.channelLocked(ch); a != nil {
			return *a
		}
		s.ephemerals = append(s.ephemerals, Ephemeral{Channel: ch, User: v.Get("user"), ThreadTS: v.Get("thread_ts"), Text: v.Get("text")})
		return okAnswer(map[string]any{"message_ts": s.nextTSLocked()})
	case "chat.getPermalink":
		ts := v.Get("message_ts")
		return okAnswer(map[string]any{"channel": ch, "permalink": "https://fake.slack.test/archives/" + ch + "/p" + strings.ReplaceAll(ts, ".", "")})
	case "reactions.add", "reactions.remove":
		return s.reactLocked(method, v)
	case "conversations.replies":
		return s.repliesLocked(v)
	case "usergroups.users.list":
		members, ok := s.groups[v.Get("usergroup")]
		if !ok {
			return errAnswer("no_such_subteam")
		}
		return okAnswer(map[string]any{"users": members})
	case "users.info":
		id := v.Get("user")
		name, ok := s.users[id]
		if !ok {
			return errAnswer("user_not_found")
		}
		return okAnswer(map[string]any{"user": map[string]any{"id": id, "name": name, "real_name": name, "profile": map[string]any{"display_name": name}}})
	}
	return errAnswer("unknown_method")
}

func (s *Server) channelLocked(ch string) *answer {
	c, ok := s.channels[ch]
	switch {
	case !ok:
		a := errAnswer("channel_not_found")
		return &a
	case c.archived:
		a := errAnswer("is_archived")
		return &a
	case !c.member:
		a := errAnswer("not_in_channel")
		return &a
	}
	return nil
}

func (s *Server) postLocked(v url.Values) answer {
	ch := v.Get("channel")
	if a := s.channelLocked(ch); a != nil {
		return *a
	}
	thread := v.Get("thread_ts")
	if thread != "" {
		root := s.findLocked(ch, thread)
		if root == nil || root.Deleted {
			return errAnswer("thread_not_found")
		}
	}
	if code := checkContent(v); code != "" {
		return errAnswer(code)
	}
	if s.limit != nil {
		if ok, wait := s.limit.take(ch, s.now()); !ok {
			s.rateLimited++
			secs := int(math.Ceil(wait.Seconds()))
			return answer{status: http.StatusTooManyRequests, retryAfter: max(secs, 1), body: map[string]any{"ok": false, "error": "ratelimited"}}
		}
	}
	m := &Message{Channel: ch, TS: s.nextTSLocked(), ThreadTS: thread, BotID: BotID, User: BotUserID, Text: v.Get("text"),
		Broadcast: v.Get("reply_broadcast") == "true"}
	if b := v.Get("blocks"); b != "" {
		m.Blocks = json.RawMessage(b)
	}
	if md := v.Get("metadata"); md != "" {
		var meta Metadata
		if json.Unmarshal([]byte(md), &meta) == nil {
			m.Metadata = &meta
		}
	}
	s.messages[ch] = append(s.messages[ch], m)
	return okAnswer(map[string]any{"channel": ch, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS}})
}

func (s *Server) updateLocked(v url.Values) answer {
	ch := v.Get("channel")
	if a := s.channelLocked(ch); a != nil {
		return *a
	}
	if code := checkContent(v); code != "" {
		return errAnswer(code)
	}
	m := s.findLocked(ch, v.Get("ts"))
	if m == nil || m.Deleted {
		return errAnswer("message_not_found")
	}
	if m.BotID != BotID {
		return errAnswer("cant_update_message")
	}
	m.Text = v.Get("text")
	if b := v.Get("blocks"); b != "" {
		m.Blocks = json.RawMessage(b)
	}
	if md := v.Get("metadata"); md != "" {
		var meta Metadata
		if json.Unmarshal([]byte(md), &meta) == nil {
			m.Metadata = &meta
		}
	}
	m.Updates++
	return okAnswer(map[string]any{"channel": ch, "ts": m.TS, "text": m.Text})
}

func (s *Server) reactLocked(method string, v url.Values) answer {
	ch, name := v.Get("channel"), v.Get("name")
	if a := s.channelLocked(ch); a != nil {
		return *a
	}
	m := s.findLocked(ch, v.Get("timestamp"))
	if m == nil || m.Deleted {
		return errAnswer("message_not_found")
	}
	idx := -1
	for i, r := range m.Reactions {
		if r == name {
			idx = i
		}
	}
	if method == "reactions.add" {
		if idx >= 0 {
			return errAnswer("already_reacted")
		}
		m.Reactions = append(m.Reactions, name)
		return okAnswer(nil)
	}
	if idx < 0 {
		return errAnswer("no_reaction")
	}
	m.Reactions = append(m.Reactions[:idx], m.Reactions[idx+1:]...)
	return okAnswer(nil)
}

func (s *Server) repliesLocked(v url.Values) answer {
	ch, ts := v.Get("channel"), v.Get("ts")
	if a := s.channelLocked(ch); a != nil {
		return *a
	}
	root := s.findLocked(ch, ts)
	if root == nil || root.Deleted {
		return errAnswer("thread_not_found")
	}
	var thread []*Message
	for _, m := range s.messages[ch] {
		if (m.TS == ts || m.ThreadTS == ts) && !m.Deleted {
			thread = append(thread, m)
		}
	}
	sort.SliceStable(thread, func(i, j int) bool { return thread[i].TS < thread[j].TS })
	limit, _ := strconv.Atoi(v.Get("limit"))
	if limit <= 0 {
		limit = 100
	}
	start, _ := strconv.Atoi(v.Get("cursor"))
	end := min(start+limit, len(thread))
	withMeta := v.Get("include_all_metadata") == "1" || v.Get("include_all_metadata") == "true"
	var out []map[string]any
	for _, m := range thread[start:end] {
		msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User}
		if m.ThreadTS != "" {
			msg["thread_ts"] = m.ThreadTS
		}
		if m.BotID != "" {
			msg["bot_id"] = m.BotID
		}
		if withMeta && m.Metadata != nil {
			msg["metadata"] = m.Metadata
		}
		out = append(out, msg)
	}
	resp := map[string]any{"messages": out, "has_more": end < len(thread)}
	if end < len(thread) {
		resp["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(end)}
	}
	return okAnswer(resp)
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	s.responses = append(s.responses, ResponseURLPost{ID: strings.TrimPrefix(r.URL.Path, "/response/"), Body: body})
	s.notifyLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("ok"))
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait blocks until cond holds, re-checking it after every API call, socket
// event and response_url post, or until ctx ends.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		c1 := s.changed
		s.mu.Unlock()
		s.sock.mu.Lock()
		c2 := s.sock.changed
		s.sock.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c1:
		case <-c2:
		}
	}
}
