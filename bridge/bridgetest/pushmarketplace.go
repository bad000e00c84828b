package bridgetest

import (
	"context"
	"sort"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// PushMarketplace is a Marketplace whose new messages arrive by push only
// (like Lazada): it is bridge.PushDriven. Its list methods still work (they
// serve the one-off history import), but each call is counted so tests can
// check that nothing polls them. Push delivers a message through a
// bridge.Pushes the way a push handler does.
type PushMarketplace struct {
	*Marketplace
	pushes *bridge.Pushes
}

var _ bridge.PushDriven = (*PushMarketplace)(nil)

// NewPushMarketplace wraps a new fake marketplace of platform.
func NewPushMarketplace(platform bridge.Platform, clock bridge.Clock, pushes *bridge.Pushes) *PushMarketplace {
	return AsPushDriven(NewMarketplace(platform, clock), pushes)
}

// AsPushDriven makes m push-driven, its pushes delivered through pushes.
func AsPushDriven(m *Marketplace, pushes *bridge.Pushes) *PushMarketplace {
	return &PushMarketplace{Marketplace: m, pushes: pushes}
}

// CheckHealth is the platform's cheap, allowed call.
func (m *PushMarketplace) CheckHealth(ctx context.Context, store bridge.Store) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.faultLocked("CheckHealth")
}

// ImportHistory lists the conversations with messages since since.
func (m *PushMarketplace) ImportHistory(ctx context.Context, store bridge.Store, since time.Time, limit int) ([]bridge.ConversationHistory, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.faultLocked("ImportHistory"); err != nil {
		return nil, err
	}
	var out []bridge.ConversationHistory
	for _, c := range m.shop(store.ShopID).convs {
		if len(c.msgs) == 0 || c.msgs[len(c.msgs)-1].SentAt.Before(since) {
			continue
		}
		msgs := append([]bridge.Message(nil), c.msgs...)
		if len(msgs) > limit {
			msgs = msgs[len(msgs)-limit:]
		}
		out = append(out, bridge.ConversationHistory{
			Conversation: bridge.Conversation{ID: c.id, BuyerID: c.buyerID, BuyerName: c.buyerName},
			Messages:     msgs,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Conversation.ID < out[j].Conversation.ID })
	return out, nil
}

// Push delivers msg of conversation conv of the shop as the platform's push
// would, and returns what the bridge answered (nil: acknowledged).
func (m *PushMarketplace) Push(ctx context.Context, shopID string, msg bridge.Message) error {
	m.mu.Lock()
	c := m.shop(shopID).convs[msg.Conversation]
	conv := bridge.Conversation{ID: msg.Conversation}
	if c != nil {
		conv.BuyerID, conv.BuyerName = c.buyerID, c.buyerName
	}
	m.mu.Unlock()
	return m.pushes.Record(ctx, m.platform, shopID, conv, []bridge.Message{msg})
}

// BuyerPushes adds a buyer message and pushes it.
func (m *PushMarketplace) BuyerPushes(ctx context.Context, shopID string, conv bridge.ConversationID, buyer, text string) (bridge.Message, error) {
	msg := m.BuyerSays(shopID, conv, buyer, text)
	return msg, m.Push(ctx, shopID, msg)
}

// ListCalls is how many times the IM list endpoints were called.
func (m *PushMarketplace) ListCalls() int {
	return m.Calls("ListConversations") + m.Calls("ListMessages")
}
