package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Pushes carries what marketplace pushes and webhooks deliver whole (Lazada
// IM pushes, TikTok Shop webhooks) from the adapters to the engine, without
// either depending on the other: the adapter records the carried messages
// through it and acknowledges the push only once they are stored durably in
// the inbound queue. The engine attaches itself at start; a push that
// arrives before (or while the engine is stopped) waits for it until the
// push's context ends, and is then refused, so the platform delivers it again.
type Pushes struct {
	mu       sync.Mutex
	sink     PushSink
	attached chan struct{}
}

// PushSink is what Pushes delivers to (the engine).
type PushSink interface {
	// RecordPushed records messages of conversation c of the store the
	// platform and shop ID name; it returns once they are stored.
	RecordPushed(ctx context.Context, p Platform, shopID string, c Conversation, msgs []Message) error
	// ConversationKnown reports whether the bridge has a record of c.
	ConversationKnown(ctx context.Context, p Platform, shopID string, c ConversationID) (bool, error)
	// PushSeen tells that a push arrived for the store (connectivity of
	// push-driven stores).
	PushSeen(p Platform, shopID string)
}

// ErrUnknownShop is returned for a push about a shop no configured store has.
var ErrUnknownShop = errors.New("no configured store has this shop")

// NewPushes returns Pushes with no engine attached yet.
func NewPushes() *Pushes { return &Pushes{attached: make(chan struct{})} }

// Attach connects a sink (the engine does at start; tests may attach their
// own); Detach disconnects it.
func (p *Pushes) Attach(s PushSink) { p.attach(s) }

// Detach disconnects the sink: later pushes wait for the next one.
func (p *Pushes) Detach() { p.detach() }

// attach connects the engine; detach disconnects it on stop.
func (p *Pushes) attach(s PushSink) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sink = s
	select {
	case <-p.attached:
	default:
		close(p.attached)
	}
}

func (p *Pushes) detach() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sink = nil
	p.attached = make(chan struct{})
}

func (p *Pushes) wait(ctx context.Context) (PushSink, error) {
	for {
		p.mu.Lock()
		s, ch := p.sink, p.attached
		p.mu.Unlock()
		if s != nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the bridge is not running: %w", ctx.Err())
		case <-ch:
		}
	}
}

// Record stores messages a push carried; see PushSink.RecordPushed.
func (p *Pushes) Record(ctx context.Context, platform Platform, shopID string, c Conversation, msgs []Message) error {
	s, err := p.wait(ctx)
	if err != nil {
		return err
	}
	s.PushSeen(platform, shopID)
	return s.RecordPushed(ctx, platform, shopID, c, msgs)
}

// Known reports whether the bridge knows the conversation (a push for an
// unknown one makes the adapter fetch the conversation's details first).
func (p *Pushes) Known(ctx context.Context, platform Platform, shopID string, c ConversationID) (bool, error) {
	s, err := p.wait(ctx)
	if err != nil {
		return false, err
	}
	return s.ConversationKnown(ctx, platform, shopID, c)
}

// Seen tells that a push (of any kind) arrived for the shop.
func (p *Pushes) Seen(platform Platform, shopID string) {
	p.mu.Lock()
	s := p.sink
	p.mu.Unlock()
	if s != nil {
		s.PushSeen(platform, shopID)
	}
}
