package simulator

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Shop is one marketplace shop the simulator holds.
type Shop struct {
	// ShopID is the marketplace's shop ID; for Shopee a decimal number.
	ShopID string `json:"shop_id"`
	// Site is the country code (MY, SG, TH, PH, VN, ID, TW, BR…). Shopee TW
	// shops cannot send messages through the API.
	Site string `json:"site"`
	Name string `json:"name"`
	// Platform defaults to shopee (the only dialect so far).
	Platform bridge.Platform `json:"platform,omitempty"`
}

// Buyer is a buyer account; its ID is a decimal number.
type Buyer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Sender says who wrote a message held by the simulator.
type Sender string

// Message senders.
const (
	FromBuyer Sender = "buyer"
	// FromSellerAPI: sent through the API (by the bridge).
	FromSellerAPI Sender = "seller_api"
	// FromSellerCentre: sent by a person in the marketplace's Seller Centre.
	FromSellerCentre Sender = "seller_centre"
)

// Message is one message as the simulator holds it.
type Message struct {
	ID             string         `json:"id"`
	ShopID         string         `json:"shop_id"`
	ConversationID string         `json:"conversation_id"`
	BuyerID        string         `json:"buyer_id"`
	From           Sender         `json:"from"`
	Type           string         `json:"type"`
	Text           string         `json:"text,omitempty"`
	Content        map[string]any `json:"content"`
	CreatedAt      time.Time      `json:"created_at"`
}

// ConversationInfo is a conversation as the simulator holds it.
type ConversationInfo struct {
	ID                string `json:"id"`
	ShopID            string `json:"shop_id"`
	BuyerID           string `json:"buyer_id"`
	BuyerName         string `json:"buyer_name"`
	Unread            int    `json:"unread"`
	LastReadMessageID string `json:"last_read_message_id"`
	Messages          int    `json:"messages"`
	// LastActivityNano is the conversation's last_message_timestamp; it is
	// unique across the simulator, so paging cursors are unambiguous.
	LastActivityNano int64 `json:"last_activity_nano"`
}

// conversation is the mutable state behind ConversationInfo.
type conversation struct {
	id                string
	shopID            string
	buyerID           string
	unread            int
	lastReadMessageID string
	lastNano          int64
	messages          []*Message // oldest first
}

type shopState struct {
	Shop
	userID string // the shop's own user ID (from_id of its messages)
	convs  map[string]*conversation
	byBuy  map[string]*conversation
}

// firstConversationID is above 2^53, so clients that decode IDs through
// float64 break here as they would on the real API.
const firstConversationID = int64(1) << 62

// firstMessageID keeps message IDs 19 digits long and increasing.
const firstMessageID = int64(2_000_000_000_000_000_000)

// AddShop adds a shop (and, for Shopee, authorizes it: see Tokens).
func (s *Simulator) AddShop(shop Shop) error {
	if shop.Platform == "" {
		shop.Platform = bridge.PlatformShopee
	}
	d, ok := s.dialects[shop.Platform]
	if !ok {
		return fmt.Errorf("simulator: platform %q has no dialect yet", shop.Platform)
	}
	if _, err := strconv.ParseUint(shop.ShopID, 10, 63); err != nil {
		return fmt.Errorf("simulator: shop ID %q must be a decimal number", shop.ShopID)
	}
	s.mu.Lock()
	if _, ok := s.shops[shop.ShopID]; ok {
		s.mu.Unlock()
		return fmt.Errorf("simulator: shop %s already exists", shop.ShopID)
	}
	s.shops[shop.ShopID] = &shopState{
		Shop:   shop,
		userID: strconv.Itoa(800_000_000 + len(s.shops)),
		convs:  map[string]*conversation{},
		byBuy:  map[string]*conversation{},
	}
	s.shopOrder = append(s.shopOrder, shop.ShopID)
	s.mu.Unlock()
	d.authorize(shop.ShopID)
	return nil
}

// Shops lists the shops in the order they were added.
func (s *Simulator) Shops() []Shop {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Shop, 0, len(s.shopOrder))
	for _, id := range s.shopOrder {
		out = append(out, s.shops[id].Shop)
	}
	return out
}

// AddBuyer registers a buyer's name; unknown buyers are named "buyer<ID>".
func (s *Simulator) AddBuyer(b Buyer) error {
	if _, err := strconv.ParseUint(b.ID, 10, 63); err != nil {
		return fmt.Errorf("simulator: buyer ID %q must be a decimal number", b.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buyers[b.ID] = b
	return nil
}

// BuyerSays stores a text message from buyer to shop (opening the
// conversation if needed) and pushes it.
func (s *Simulator) BuyerSays(shopID, buyerID, text string) (Message, error) {
	return s.addMessage(shopID, buyerID, FromBuyer, "text", map[string]any{"text": text})
}

// BuyerSends stores a message of any type from buyer to shop; a nil content
// gets a sample of the type's shape (see SampleContent).
func (s *Simulator) BuyerSends(shopID, buyerID, msgType string, content map[string]any) (Message, error) {
	if content == nil {
		content = SampleContent(msgType, 1)
	}
	return s.addMessage(shopID, buyerID, FromBuyer, msgType, content)
}

// SellerCentreSays stores a text message sent by a person from Seller
// Centre (not through the API) to buyer, and pushes it.
func (s *Simulator) SellerCentreSays(shopID, buyerID, text string) (Message, error) {
	return s.addMessage(shopID, buyerID, FromSellerCentre, "text", map[string]any{"text": text})
}

// addMessage stores a message and hands it to the dialect for pushing.
func (s *Simulator) addMessage(shopID, buyerID string, from Sender, msgType string, content map[string]any) (Message, error) {
	if _, err := strconv.ParseUint(buyerID, 10, 63); err != nil {
		return Message{}, fmt.Errorf("simulator: buyer ID %q must be a decimal number", buyerID)
	}
	s.mu.Lock()
	shop, ok := s.shops[shopID]
	if !ok {
		s.mu.Unlock()
		return Message{}, fmt.Errorf("simulator: no shop %s", shopID)
	}
	conv := shop.byBuy[buyerID]
	if conv == nil {
		conv = &conversation{id: strconv.FormatInt(firstConversationID+s.convSeq*7919, 10), shopID: shopID, buyerID: buyerID}
		s.convSeq++
		shop.convs[conv.id] = conv
		shop.byBuy[buyerID] = conv
	}
	now := s.clock.Now()
	nano := max(now.UnixNano(), s.lastNano+1)
	s.lastNano = nano
	m := &Message{
		ID:             strconv.FormatInt(firstMessageID+s.msgSeq, 10),
		ShopID:         shopID,
		ConversationID: conv.id,
		BuyerID:        buyerID,
		From:           from,
		Type:           msgType,
		Content:        content,
		CreatedAt:      now,
	}
	if t, ok := content["text"].(string); ok {
		m.Text = t
	}
	s.msgSeq++
	conv.messages = append(conv.messages, m)
	conv.lastNano = nano
	if from == FromBuyer {
		conv.unread++
	} else {
		conv.unread = 0
	}
	out := *m
	// Pushed under the lock so pushes leave in the order messages were stored
	// ("Sequence Guaranteed" [DOC SH-WCPUSH]); messageAdded never blocks.
	s.dialects[shop.Platform].messageAdded(out, shop.Shop, shop.userID, s.buyerNameLocked(buyerID))
	s.mu.Unlock()
	return out, nil
}

// Messages returns every message the shop holds, oldest first (by
// conversation, then time): tests count lost and duplicated ones with it.
func (s *Simulator) Messages(shopID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	shop, ok := s.shops[shopID]
	if !ok {
		return nil
	}
	var out []Message
	for _, c := range shop.sortedConversations() {
		for _, m := range c.messages {
			out = append(out, *m)
		}
	}
	return out
}

// Conversations lists the shop's conversations, most recently active first.
func (s *Simulator) Conversations(shopID string) []ConversationInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	shop, ok := s.shops[shopID]
	if !ok {
		return nil
	}
	var out []ConversationInfo
	for _, c := range shop.sortedConversations() {
		out = append(out, s.infoLocked(c))
	}
	return out
}

func (s *Simulator) infoLocked(c *conversation) ConversationInfo {
	return ConversationInfo{
		ID: c.id, ShopID: c.shopID, BuyerID: c.buyerID, BuyerName: s.buyerNameLocked(c.buyerID),
		Unread: c.unread, LastReadMessageID: c.lastReadMessageID, Messages: len(c.messages), LastActivityNano: c.lastNano,
	}
}

func (s *Simulator) buyerNameLocked(id string) string {
	if b, ok := s.buyers[id]; ok && b.Name != "" {
		return b.Name
	}
	return "buyer" + id
}

// sortedConversations returns the conversations with messages, newest activity first.
func (sh *shopState) sortedConversations() []*conversation {
	out := make([]*conversation, 0, len(sh.convs))
	for _, c := range sh.convs {
		if len(c.messages) > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *conversation) int {
		switch {
		case a.lastNano > b.lastNano:
			return -1
		case a.lastNano < b.lastNano:
			return 1
		}
		return 0
	})
	return out
}

// SampleContent returns a content object of msgType in the shape the
// reference lists (section 1.4); n varies the IDs.
func SampleContent(msgType string, n int) map[string]any {
	switch msgType {
	case "text":
		return map[string]any{"text": fmt.Sprintf("message %d", n)}
	case "image":
		return map[string]any{"url": fmt.Sprintf("https://cf.shopee.example/file/img%d", n),
			"thumb_url": fmt.Sprintf("https://cf.shopee.example/file/img%d_tn", n), "thumb_height": 320, "thumb_width": 320,
			"file_server_id": fmt.Sprintf("img%d", n)}
	case "video":
		return map[string]any{"video_url": fmt.Sprintf("https://cv.shopee.example/video/v%d.mp4", n),
			"thumb_url": fmt.Sprintf("https://cv.shopee.example/video/v%d.jpg", n), "duration_seconds": 12}
	case "sticker":
		return map[string]any{"sticker_id": strconv.Itoa(1000 + n), "sticker_package_id": "50"}
	case "item":
		return map[string]any{"item_id": int64(20_000_000_000 + n), "shop_id": int64(0)}
	case "order":
		return map[string]any{"order_sn": fmt.Sprintf("2501%06dABCD", n)}
	case "voucher":
		return map[string]any{"voucher_id": int64(900_000 + n), "voucher_code": fmt.Sprintf("SAVE%d", n)}
	case "offers":
		return map[string]any{"offer_id": int64(70_000 + n), "product_id": int64(20_000_000_000 + n), "price_before_tax": "19.90"}
	case "faq_liveagent":
		return map[string]any{"text": "I want to talk to an agent"}
	case "bundle_message":
		return map[string]any{"messages": []any{map[string]any{"message_type": "text", "content": map[string]any{"text": "bundle"}}}}
	}
	return map[string]any{}
}

// MessageTypes are the message types the simulator can produce, the
// documented ones and a few the client must keep as unsupported.
var MessageTypes = []string{"text", "image", "video", "sticker", "item", "order", "voucher", "offers", "faq_liveagent", "bundle_message"}

// contentString is the first of keys in a message's content that holds a
// non-empty string or a number (as its text); "" when none does.
func contentString(c map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := c[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case json.Number:
			return v.String()
		case int, int64, float64:
			return fmt.Sprint(v)
		}
	}
	return ""
}
