package bridgetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Marketplace is an in-memory bridge.Marketplace with scripted buyers and
// fault injection. Shops are keyed by the store's ShopID.
type Marketplace struct {
	platform bridge.Platform
	clock    bridge.Clock

	mu    sync.Mutex
	shops map[string]*fakeShop
	seq   int64
	calls map[string]int

	down      bool
	failEvery int
	callN     int
	shuffle   bool
	sendErrs  []sendFault
	failing   map[string]bool
	failWith  map[string]error
	blocks    map[string]chan struct{}
	panics    map[string]bool
	blocked   chan string
	changed   chan struct{}
	script    *SendScript
	applies   applies
}

type fakeShop struct {
	convs map[bridge.ConversationID]*fakeConv
}

type fakeConv struct {
	id        bridge.ConversationID
	buyerID   string
	buyerName string
	msgs      []bridge.Message
}

// SendFault is what the next SendText does instead of succeeding.
type SendFault int

// Send faults.
const (
	// SendPermanent refuses the message (it is not stored).
	SendPermanent SendFault = iota + 1
	// SendNotDelivered fails before reaching the server (not stored).
	SendNotDelivered
	// SendLostAnswer stores the message but returns a transient error, as
	// a timeout after the server accepted it would.
	SendLostAnswer
	// SendTransient fails with a 5xx-like error, not stored.
	SendTransient
	// SendRateLimited refuses with a rate limit of one second.
	SendRateLimited
)

type sendFault struct{ f SendFault }

var _ bridge.Marketplace = (*Marketplace)(nil)

// NewMarketplace returns an empty fake marketplace of the given platform.
func NewMarketplace(platform bridge.Platform, clock bridge.Clock) *Marketplace {
	return &Marketplace{platform: platform, clock: clock, shops: map[string]*fakeShop{}, calls: map[string]int{}, changed: make(chan struct{})}
}

// Platform returns the platform.
func (m *Marketplace) Platform() bridge.Platform { return m.platform }

func (m *Marketplace) shop(id string) *fakeShop {
	s, ok := m.shops[id]
	if !ok {
		s = &fakeShop{convs: map[bridge.ConversationID]*fakeConv{}}
		m.shops[id] = s
	}
	return s
}

func (m *Marketplace) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// Changed is closed at the next change of the marketplace's messages.
func (m *Marketplace) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

func (m *Marketplace) add(shopID string, conv bridge.ConversationID, buyer string, sender bridge.Sender, text string) bridge.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.shop(shopID)
	c, ok := s.convs[conv]
	if !ok {
		c = &fakeConv{id: conv, buyerID: "buyer-" + string(conv), buyerName: buyer}
		s.convs[conv] = c
	}
	m.seq++
	now := m.clock.Now()
	// Keep message times strictly increasing within a conversation, as a
	// marketplace's own clock would.
	if n := len(c.msgs); n > 0 && !now.After(c.msgs[n-1].SentAt) {
		now = c.msgs[n-1].SentAt.Add(time.Millisecond)
	}
	msg := bridge.Message{
		ID: bridge.MessageID(fmt.Sprintf("%s-m%06d", m.platform, m.seq)), Conversation: conv, Sender: sender,
		Kind: bridge.KindText, Text: text, SentAt: now,
	}
	if sender == bridge.SenderBuyer {
		msg.SenderName = c.buyerName
	}
	c.msgs = append(c.msgs, msg)
	m.notifyLocked()
	return msg
}

// BuyerSays adds a buyer message (creating the conversation if needed).
func (m *Marketplace) BuyerSays(shopID string, conv bridge.ConversationID, buyer, text string) bridge.Message {
	return m.add(shopID, conv, buyer, bridge.SenderBuyer, text)
}

// SellerCentreSays adds a seller message sent outside the bridge.
func (m *Marketplace) SellerCentreSays(shopID string, conv bridge.ConversationID, text string) bridge.Message {
	return m.add(shopID, conv, "", bridge.SenderSeller, text)
}

// AddMessage appends a fully specified message (for unusual kinds).
func (m *Marketplace) AddMessage(shopID string, buyer string, msg bridge.Message) bridge.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.shop(shopID)
	c, ok := s.convs[msg.Conversation]
	if !ok {
		c = &fakeConv{id: msg.Conversation, buyerID: "buyer-" + string(msg.Conversation), buyerName: buyer}
		s.convs[msg.Conversation] = c
	}
	if msg.ID == "" {
		m.seq++
		msg.ID = bridge.MessageID(fmt.Sprintf("%s-m%06d", m.platform, m.seq))
	}
	if msg.SentAt.IsZero() {
		msg.SentAt = m.clock.Now()
	}
	c.msgs = append(c.msgs, msg)
	m.notifyLocked()
	return msg
}

// SetDown makes every call fail as an unreachable network would.
func (m *Marketplace) SetDown(down bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.down = down
}

// FailEvery makes every n-th call fail with a transient error (0 = never).
func (m *Marketplace) FailEvery(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failEvery = n
	m.callN = 0
}

// FailMethod makes every call of one method ("ListMessages", …) fail
// transiently while on.
func (m *Marketplace) FailMethod(method string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing == nil {
		m.failing = map[string]bool{}
	}
	m.failing[method] = on
}

// BlockNext makes the next call of method wait until its context ends (it
// then fails with the context's error). Blocked() reports when it started
// waiting.
func (m *Marketplace) BlockNext(method string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blocks == nil {
		m.blocks = map[string]chan struct{}{}
	}
	m.blocks[method] = make(chan struct{})
	if m.blocked == nil {
		m.blocked = make(chan string, 8)
	}
}

// PanicNext makes the next call of method panic, as an adapter choking on
// a malformed answer would.
func (m *Marketplace) PanicNext(method string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.panics == nil {
		m.panics = map[string]bool{}
	}
	m.panics[method] = true
}

func (m *Marketplace) maybePanic(method string) {
	m.mu.Lock()
	p := m.panics[method]
	delete(m.panics, method)
	m.mu.Unlock()
	if p {
		panic("bridgetest: scripted panic in " + method)
	}
}

// Blocked receives the method name when a blocked call starts waiting.
func (m *Marketplace) Blocked() <-chan string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blocked == nil {
		m.blocked = make(chan string, 8)
	}
	return m.blocked
}

// waitIfBlocked parks a call that BlockNext targeted; m.mu must not be held.
func (m *Marketplace) waitIfBlocked(ctx context.Context, method string) error {
	m.mu.Lock()
	_, ok := m.blocks[method]
	if ok {
		delete(m.blocks, method)
	}
	blocked := m.blocked
	m.mu.Unlock()
	if !ok {
		return nil
	}
	blocked <- method
	<-ctx.Done()
	return ctx.Err()
}

// FailMethodWith makes every call of one method fail with err (nil stops it).
func (m *Marketplace) FailMethodWith(method string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith == nil {
		m.failWith = map[string]error{}
	}
	m.failWith[method] = err
}

// Shuffle makes lists come back in reverse order with repeated entries.
func (m *Marketplace) Shuffle(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shuffle = on
}

// FailNextSends queues faults for the next SendText calls, in order.
func (m *Marketplace) FailNextSends(faults ...SendFault) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range faults {
		m.sendErrs = append(m.sendErrs, sendFault{f})
	}
}

// Calls returns how many times a method was called.
func (m *Marketplace) Calls(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[method]
}

// Messages returns a shop's messages per conversation, in order.
func (m *Marketplace) Messages(shopID string) map[bridge.ConversationID][]bridge.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[bridge.ConversationID][]bridge.Message{}
	for id, c := range m.shop(shopID).convs {
		out[id] = append([]bridge.Message(nil), c.msgs...)
	}
	return out
}

// fault decides whether this call fails; it is called with m.mu held.
func (m *Marketplace) faultLocked(op string) error {
	m.calls[op]++
	if err := m.failWith[op]; err != nil {
		return err
	}
	if m.failing[op] {
		return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: string(m.platform), Op: op,
			Code: "error_server", Message: "System error, please try again later."}
	}
	if m.down {
		return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: string(m.platform), Op: op,
			Message: "connection refused", NotDelivered: true}
	}
	if m.failEvery > 0 {
		m.callN++
		if m.callN%m.failEvery == 0 {
			return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: string(m.platform), Op: op,
				Code: "error_server", Message: "System error, please try again later."}
		}
	}
	return nil
}

// ListConversations returns conversations with a message after since,
// newest first (reversed and repeated when shuffling).
func (m *Marketplace) ListConversations(ctx context.Context, store bridge.Store, since time.Time) ([]bridge.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.faultLocked("ListConversations"); err != nil {
		return nil, err
	}
	var out []bridge.Conversation
	for _, c := range m.shop(store.ShopID).convs {
		if len(c.msgs) == 0 {
			continue
		}
		last := c.msgs[len(c.msgs)-1]
		if !last.SentAt.After(since) {
			continue
		}
		out = append(out, bridge.Conversation{ID: c.id, BuyerID: c.buyerID, BuyerName: c.buyerName,
			LatestMessageID: last.ID, LatestMessageAt: last.SentAt, Link: "https://seller.example/chat/" + string(c.id)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LatestMessageAt.After(out[j].LatestMessageAt) })
	if m.shuffle && len(out) > 1 {
		reverse(out)
		out = append(out, out[0])
	}
	return out, nil
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// ListMessages returns the messages after the given one, oldest first
// (reversed with repeats when shuffling).
func (m *Marketplace) ListMessages(ctx context.Context, store bridge.Store, conv bridge.ConversationID, after bridge.MessageID, limit int) ([]bridge.Message, error) {
	if err := m.waitIfBlocked(ctx, "ListMessages"); err != nil {
		return nil, err
	}
	m.maybePanic("ListMessages")
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.faultLocked("ListMessages"); err != nil {
		return nil, err
	}
	c, ok := m.shop(store.ShopID).convs[conv]
	if !ok {
		return nil, bridge.Permanent(string(m.platform), "list messages", "conversation not found")
	}
	start := -1
	if after != "" {
		for i, msg := range c.msgs {
			if msg.ID == after {
				start = i + 1
			}
		}
	}
	var out []bridge.Message
	if start >= 0 {
		out = append(out, c.msgs[start:]...)
	} else {
		from := max(0, len(c.msgs)-limit)
		out = append(out, c.msgs[from:]...)
	}
	if m.shuffle && len(out) > 1 {
		reverse(out)
		out = append(out, out[len(out)-1], out[0])
	}
	return out, nil
}

// SendText stores a seller message, or fails as scripted.
func (m *Marketplace) SendText(ctx context.Context, store bridge.Store, conv bridge.Conversation, text string) (bridge.Message, error) {
	m.maybePanic("SendText")
	m.mu.Lock()
	if err := m.faultLocked("SendText"); err != nil {
		m.mu.Unlock()
		return bridge.Message{}, err
	}
	var f SendFault
	if len(m.sendErrs) > 0 {
		f = m.sendErrs[0].f
		m.sendErrs = m.sendErrs[1:]
	}
	_, ok := m.shop(store.ShopID).convs[conv.ID]
	script := m.script
	m.mu.Unlock()
	if !ok {
		return bridge.Message{}, bridge.Permanent(string(m.platform), "send message", "conversation not found")
	}
	if script != nil && f == 0 {
		return m.sendScripted(ctx, *script, store, conv, text)
	}
	p := string(m.platform)
	switch f {
	case SendPermanent:
		return bridge.Message{}, &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: p, Op: "send message", Code: "error_param", Message: "message refused by the marketplace"}
	case SendNotDelivered:
		return bridge.Message{}, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: p, Op: "send message", Message: "connection refused", NotDelivered: true}
	case SendTransient:
		return bridge.Message{}, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: p, Op: "send message", Code: "error_server", Message: "System error"}
	case SendRateLimited:
		return bridge.Message{}, bridge.RateLimited(p, "send message", time.Second)
	case SendLostAnswer:
		m.add(store.ShopID, conv.ID, "", bridge.SenderSeller, text)
		return bridge.Message{}, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: p, Op: "send message", Message: "timeout awaiting response"}
	}
	return m.add(store.ShopID, conv.ID, "", bridge.SenderSeller, text), nil
}

// MarkRead records the call.
func (m *Marketplace) MarkRead(ctx context.Context, store bridge.Store, conv bridge.ConversationID, last bridge.MessageID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.faultLocked("MarkRead")
}
