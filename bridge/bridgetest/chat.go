package bridgetest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Chat is an in-memory bridge.Chat that records everything the bridge does
// and lets tests act as agents.
type Chat struct {
	mu       sync.Mutex
	seq      int
	threads  []*Thread
	byRef    map[bridge.ThreadRef]*Thread
	statuses map[bridge.ChatMessageRef][]bridge.Reply
	alerts   []*AlertRecord
	notices  []bridge.Notice
	headers  map[bridge.ThreadRef][]bridge.ThreadHeader
	handler  bridge.ChatHandler
	ready    chan struct{}
	changed  chan struct{}
	down     bool
	failN    int
	limitN   int
	calls    int
	updates  int
	// postGate, when set, holds every posting call until it is closed.
	postGate chan struct{}
	postHook func(bridge.Message)
	// openGate, when set, holds the next OpenThread until it is closed.
	openGate    chan struct{}
	openWaiting chan struct{}
}

// Thread is a recorded thread.
type Thread struct {
	Ref bridge.ThreadRef
	// Opened is the header the thread was opened with; Header is the latest.
	Opened  bridge.ThreadHeader
	Header  bridge.ThreadHeader
	Posts   []Post
	Deleted bool
}

// Post is a message the bridge posted into a thread.
type Post struct {
	Ref     bridge.ChatMessageRef
	Message bridge.Message
}

// AlertRecord is an alert and its edits, oldest first.
type AlertRecord struct {
	Ref      bridge.AlertRef
	Versions []bridge.Alert
}

// Last is the alert as it reads now.
func (a *AlertRecord) Last() bridge.Alert { return a.Versions[len(a.Versions)-1] }

var (
	_ bridge.Chat   = (*Chat)(nil)
	_ bridge.Router = (*Chat)(nil)
)

// Destination is the store's channel, or "inbox": where OpenThread opens
// its threads.
func (c *Chat) Destination(s bridge.Store) string {
	if s.Channel == "" {
		return "inbox"
	}
	return s.Channel
}

// NewChat returns an empty fake surface.
func NewChat() *Chat {
	return &Chat{
		byRef: map[bridge.ThreadRef]*Thread{}, statuses: map[bridge.ChatMessageRef][]bridge.Reply{},
		headers: map[bridge.ThreadRef][]bridge.ThreadHeader{},
		ready:   make(chan struct{}), changed: make(chan struct{}),
	}
}

func (c *Chat) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Changed is closed at the next recorded change.
func (c *Chat) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// Name is "fake".
func (c *Chat) Name() string { return "fake" }

// Listen records the handler and waits for ctx.
func (c *Chat) Listen(ctx context.Context, h bridge.ChatHandler) error {
	c.mu.Lock()
	c.handler = h
	select {
	case <-c.ready:
	default:
		close(c.ready)
	}
	c.mu.Unlock()
	<-ctx.Done()
	return nil
}

// Ready is closed once Listen was called.
func (c *Chat) Ready() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready
}

// SetDown makes every call fail with a transient error.
func (c *Chat) SetDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = down
}

// FailNext makes the next n posting calls fail with a transient error.
func (c *Chat) FailNext(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failN = n
}

// RateLimitNext makes the next n posting calls fail as rate-limited, asking
// for a wait of one second (a 429 with Retry-After: 1).
func (c *Chat) RateLimitNext(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limitN = n
}

// OnPost sets a function called (outside the fake's lock) after each
// message is posted, e.g. to inject a fault between "posted" and "recorded".
func (c *Chat) OnPost(fn func(bridge.Message)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.postHook = fn
}

// BlockPosts holds every posting call (threads, posts) until release is
// called: a destination blocked for as long as the test wants.
func (c *Chat) BlockPosts() (release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gate := make(chan struct{})
	c.postGate = gate
	return func() {
		c.mu.Lock()
		if c.postGate == gate {
			c.postGate = nil
		}
		c.mu.Unlock()
		close(gate)
	}
}

func (c *Chat) waitGate() {
	c.mu.Lock()
	gate := c.postGate
	c.mu.Unlock()
	if gate != nil {
		<-gate
	}
}

// Calls is how many posting calls (threads opened, posts) succeeded.
func (c *Chat) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func (c *Chat) faultLocked(op string) error {
	if c.limitN > 0 {
		c.limitN--
		return bridge.RateLimited("fake", op, time.Second)
	}
	if c.down {
		return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: "fake", Op: op, Message: "surface unreachable"}
	}
	if c.failN > 0 {
		c.failN--
		return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: "fake", Op: op, Message: "scripted failure"}
	}
	return nil
}

// OpenThread records a new thread.
func (c *Chat) OpenThread(ctx context.Context, h bridge.ThreadHeader) (bridge.ThreadRef, error) {
	c.waitGate()
	c.mu.Lock()
	if gate := c.openGate; gate != nil {
		c.openGate = nil
		close(c.openWaiting)
		c.mu.Unlock()
		<-gate // a slow surface: the thread is created whatever the caller's context does
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	if err := c.faultLocked("open thread"); err != nil {
		return bridge.ThreadRef{}, err
	}
	c.seq++
	c.calls++
	ch := c.Destination(h.Store)
	t := &Thread{Ref: bridge.ThreadRef{Channel: ch, ID: fmt.Sprintf("T%d", c.seq)}, Header: h, Opened: h}
	c.threads = append(c.threads, t)
	c.byRef[t.Ref] = t
	c.notifyLocked()
	return t.Ref, nil
}

// UpdateThreadHeader records the header.
func (c *Chat) UpdateThreadHeader(ctx context.Context, ref bridge.ThreadRef, h bridge.ThreadHeader) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.byRef[ref]; ok && !t.Deleted {
		t.Header = h
	}
	c.headers[ref] = append(c.headers[ref], h)
	c.notifyLocked()
	return nil
}

// PostMessage records a post, or fails with ErrThreadGone for a deleted thread.
func (c *Chat) PostMessage(ctx context.Context, ref bridge.ThreadRef, h bridge.ThreadHeader, m bridge.Message) (bridge.ChatMessageRef, error) {
	refs, err := c.post(ref, []bridge.Message{m}, true)
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	return refs[0], nil
}

// post records msgs as one post (one chat call) into the thread; separate
// says each message is its own post.
func (c *Chat) post(ref bridge.ThreadRef, msgs []bridge.Message, separate bool) ([]bridge.ChatMessageRef, error) {
	c.waitGate()
	c.mu.Lock()
	if err := c.faultLocked("post message"); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	t, ok := c.byRef[ref]
	if !ok || t.Deleted {
		c.mu.Unlock()
		return nil, fmt.Errorf("fake: post into %v: %w", ref, bridge.ErrThreadGone)
	}
	c.seq++
	c.calls++
	id := fmt.Sprintf("P%d", c.seq)
	refs := make([]bridge.ChatMessageRef, 0, len(msgs))
	for i, m := range msgs {
		if separate && i > 0 {
			c.seq++
			id = fmt.Sprintf("P%d", c.seq)
		}
		p := Post{Ref: bridge.ChatMessageRef{Channel: ref.Channel, ID: id}, Message: m}
		t.Posts = append(t.Posts, p)
		refs = append(refs, p.Ref)
	}
	c.notifyLocked()
	hook := c.postHook
	c.mu.Unlock()
	if hook != nil {
		for _, m := range msgs {
			hook(m)
		}
	}
	return refs, nil
}

// SetReplyStatus records the status.
func (c *Chat) SetReplyStatus(ctx context.Context, r bridge.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statuses[r.ChatMessage] = append(c.statuses[r.ChatMessage], r)
	c.notifyLocked()
	return nil
}

// PostAlert records an alert.
func (c *Chat) PostAlert(ctx context.Context, a bridge.Alert) (bridge.AlertRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.faultLocked("post alert"); err != nil {
		return bridge.AlertRef{}, err
	}
	c.seq++
	rec := &AlertRecord{Ref: bridge.AlertRef{Channel: "alerts", ID: fmt.Sprintf("A%d", c.seq)}, Versions: []bridge.Alert{a}}
	c.alerts = append(c.alerts, rec)
	c.notifyLocked()
	return rec.Ref, nil
}

// UpdateAlert records an edit.
func (c *Chat) UpdateAlert(ctx context.Context, ref bridge.AlertRef, a bridge.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.faultLocked("update alert"); err != nil {
		return err
	}
	for _, rec := range c.alerts {
		if rec.Ref == ref {
			rec.Versions = append(rec.Versions, a)
			c.notifyLocked()
			return nil
		}
	}
	return fmt.Errorf("fake: alert %v not found", ref)
}

// Notify records a private notice.
func (c *Chat) Notify(ctx context.Context, n bridge.Notice) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notices = append(c.notices, n)
	c.notifyLocked()
	return nil
}

// Threads returns a copy of the threads, in creation order.
func (c *Chat) Threads() []Thread {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Thread, 0, len(c.threads))
	for _, t := range c.threads {
		cp := *t
		cp.Posts = append([]Post(nil), t.Posts...)
		out = append(out, cp)
	}
	return out
}

// ThreadOf returns the live thread of a conversation (not deleted).
func (c *Chat) ThreadOf(store bridge.StoreID, conv bridge.ConversationID) (Thread, bool) {
	for _, t := range c.Threads() {
		if t.Header.Store.ID == store && t.Header.Conversation == conv && !t.Deleted {
			return t, true
		}
	}
	return Thread{}, false
}

// PostedIDs counts how many times each marketplace message was posted.
func (c *Chat) PostedIDs() map[bridge.MessageID]int {
	out := map[bridge.MessageID]int{}
	for _, t := range c.Threads() {
		for _, p := range t.Posts {
			out[p.Message.ID]++
		}
	}
	return out
}

// DeleteThread simulates a deleted root message / topic.
func (c *Chat) DeleteThread(ref bridge.ThreadRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.byRef[ref]; ok {
		t.Deleted = true
	}
}

// Statuses returns the statuses shown for an agent's message, in order.
func (c *Chat) Statuses(ref bridge.ChatMessageRef) []bridge.ReplyStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []bridge.ReplyStatus
	for _, r := range c.statuses[ref] {
		out = append(out, r.Status)
	}
	return out
}

// LastStatus returns the last reply state shown for an agent's message.
func (c *Chat) LastStatus(ref bridge.ChatMessageRef) (bridge.Reply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.statuses[ref]
	if len(s) == 0 {
		return bridge.Reply{}, false
	}
	return s[len(s)-1], true
}

// Alerts returns the alerts posted, in order.
func (c *Chat) Alerts() []AlertRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]AlertRecord, 0, len(c.alerts))
	for _, a := range c.alerts {
		out = append(out, AlertRecord{Ref: a.Ref, Versions: append([]bridge.Alert(nil), a.Versions...)})
	}
	return out
}

// Notices returns the private notices sent.
func (c *Chat) Notices() []bridge.Notice {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bridge.Notice(nil), c.notices...)
}

// Headers returns the header updates of a thread.
func (c *Chat) Headers(ref bridge.ThreadRef) []bridge.ThreadHeader {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bridge.ThreadHeader(nil), c.headers[ref]...)
}

func (c *Chat) waitHandler(ctx context.Context) (bridge.ChatHandler, error) {
	select {
	case <-c.Ready():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handler, nil
}

// AgentSays delivers an agent's thread message to the bridge and returns its reference.
func (c *Chat) AgentSays(ctx context.Context, thread bridge.ThreadRef, user, text string) (bridge.ChatMessageRef, error) {
	h, err := c.waitHandler(ctx)
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	c.mu.Lock()
	c.seq++
	ref := bridge.ChatMessageRef{Channel: thread.Channel, ID: fmt.Sprintf("U%d", c.seq)}
	c.mu.Unlock()
	return ref, h.AgentReply(ctx, bridge.AgentMessage{Thread: thread, Message: ref, UserID: user, UserName: user, Text: text, At: time.Now()})
}

// Redeliver delivers the same agent message again, as a surface retry would.
func (c *Chat) Redeliver(ctx context.Context, thread bridge.ThreadRef, ref bridge.ChatMessageRef, user, text string) error {
	h, err := c.waitHandler(ctx)
	if err != nil {
		return err
	}
	return h.AgentReply(ctx, bridge.AgentMessage{Thread: thread, Message: ref, UserID: user, UserName: user, Text: text})
}

// Press presses a button.
func (c *Chat) Press(ctx context.Context, actionID, value, user string, admin bool) (bridge.CommandResponse, error) {
	h, err := c.waitHandler(ctx)
	if err != nil {
		return bridge.CommandResponse{}, err
	}
	return h.Action(ctx, bridge.ActionEvent{ActionID: actionID, Value: value, UserID: user, Admin: admin}), nil
}

// Command runs a command as a user.
func (c *Chat) Command(ctx context.Context, text, user string, admin bool) (bridge.CommandResponse, error) {
	h, err := c.waitHandler(ctx)
	if err != nil {
		return bridge.CommandResponse{}, err
	}
	return h.Command(ctx, bridge.CommandRequest{Surface: "fake", UserID: user, UserName: user, Admin: admin, Text: text}), nil
}

// Reopen prepares the surface for a new engine (a restart): what was
// recorded stays, the handler is replaced by the next Listen.
func (c *Chat) Reopen() *Chat {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ready = make(chan struct{})
	c.handler = nil
	return c
}

// BatchChat is a Chat that also posts several messages of a conversation in
// one call (bridge.BatchPoster), recording each call's size.
type BatchChat struct {
	*Chat
	mu      sync.Mutex
	batches []int
}

var _ bridge.BatchPoster = (*BatchChat)(nil)

// NewBatchChat wraps a new Chat.
func NewBatchChat() *BatchChat { return &BatchChat{Chat: NewChat()} }

// PostMessages posts msgs in order and stops at the first failure.
func (b *BatchChat) PostMessages(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, msgs []bridge.Message) ([]bridge.ChatMessageRef, error) {
	b.mu.Lock()
	b.batches = append(b.batches, len(msgs))
	b.mu.Unlock()
	refs := make([]bridge.ChatMessageRef, 0, len(msgs))
	for _, m := range msgs {
		ref, err := b.Chat.PostMessage(ctx, t, h, m)
		if err != nil {
			return refs, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// Batches returns the size of each PostMessages call.
func (b *BatchChat) Batches() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.batches...)
}

// UpdateMessages renders a post again with msgs (a recall):
// bridge.MessageUpdater. Each post of the thread whose reference is ref
// takes the new copy of its message; Updates counts the calls.
func (c *Chat) UpdateMessages(ctx context.Context, t bridge.ThreadRef, ref bridge.ChatMessageRef, h bridge.ThreadHeader, msgs []bridge.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	th, ok := c.byRef[t]
	if !ok || th.Deleted {
		return fmt.Errorf("fake: update in %v: %w", t, bridge.ErrThreadGone)
	}
	byID := map[bridge.MessageID]bridge.Message{}
	for _, m := range msgs {
		byID[m.ID] = m
	}
	for i, p := range th.Posts {
		if m, ok := byID[p.Message.ID]; ok && p.Ref == ref {
			th.Posts[i].Message = m
		}
	}
	c.updates++
	c.notifyLocked()
	return nil
}

// Updates is how many times posts were rendered again.
func (c *Chat) Updates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates
}

var _ bridge.MessageUpdater = (*Chat)(nil)

// CheckingChat is a Chat that combines a conversation's messages into one
// post per call (like Slack's sections) and finds messages already posted
// in a thread (like Slack's message metadata): bridge.BatchPoster and
// bridge.PostedChecker.
type CheckingChat struct {
	*Chat
}

var (
	_ bridge.BatchPoster   = (*CheckingChat)(nil)
	_ bridge.PostedChecker = (*CheckingChat)(nil)
)

// NewCheckingChat wraps a new Chat.
func NewCheckingChat() *CheckingChat { return &CheckingChat{Chat: NewChat()} }

// Reopen is Chat.Reopen for the wrapper.
func (c *CheckingChat) Reopen() *CheckingChat { c.Chat.Reopen(); return c }

// PostMessages posts msgs as one post.
func (c *CheckingChat) PostMessages(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, msgs []bridge.Message) ([]bridge.ChatMessageRef, error) {
	return c.post(t, msgs, false)
}

// FindPosted finds ids among the thread's posts.
func (c *CheckingChat) FindPosted(ctx context.Context, t bridge.ThreadRef, ids []bridge.MessageID) (map[bridge.MessageID]bridge.ChatMessageRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	th, ok := c.byRef[t]
	if !ok || th.Deleted {
		return nil, fmt.Errorf("fake: find in %v: %w", t, bridge.ErrThreadGone)
	}
	want := map[bridge.MessageID]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := map[bridge.MessageID]bridge.ChatMessageRef{}
	for _, p := range th.Posts {
		if want[p.Message.ID] {
			if _, seen := out[p.Message.ID]; !seen {
				out[p.Message.ID] = p.Ref
			}
		}
	}
	return out, nil
}

// HoldNextOpen makes the next OpenThread wait until release is called;
// waiting is closed once it is being held.
func (c *Chat) HoldNextOpen() (waiting <-chan struct{}, release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gate := make(chan struct{})
	c.openGate = gate
	c.openWaiting = make(chan struct{})
	return c.openWaiting, func() { close(gate) }
}
