package shopee

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Tolerant wire types. Shopee returns some IDs as strings in one endpoint and
// as bare (over 2^53) numbers in another; decoding never goes through
// float64, and a field of an unexpected JSON type decodes as empty instead
// of failing the whole response.

// The tolerant types are httpx's (httpx/wire.go).
type (
	flexString = httpx.FlexString
	flexInt    = httpx.FlexInt
	flexBool   = httpx.FlexBool
)

func decodeObject(raw []byte, v any) error { return httpx.DecodeObject(raw, v) }

// envelope is every response's outer object [DOC SH-API].
type envelope struct {
	RequestID flexString      `json:"request_id"`
	Error     flexString      `json:"error"`
	Message   flexString      `json:"message"`
	Response  json.RawMessage `json:"response"`
}

// wireConversation is one entry of get_conversation_list, or the response
// of get_one_conversation.
type wireConversation struct {
	ConversationID       flexString `json:"conversation_id"`
	ToID                 flexString `json:"to_id"`
	ToName               flexString `json:"to_name"`
	ShopID               flexString `json:"shop_id"`
	UnreadCount          flexInt    `json:"unread_count"`
	LatestMessageID      flexString `json:"latest_message_id"`
	LatestMessageType    flexString `json:"latest_message_type"`
	LatestMessageFromID  flexString `json:"latest_message_from_id"`
	LastMessageTimestamp flexInt    `json:"last_message_timestamp"`
	LastReadMessageID    flexString `json:"last_read_message_id"`
}

// conversationPage is a decoded get_conversation_list response.
type conversationPage struct {
	Conversations []wireConversation
	More          bool
	// Next is next_cursor.next_message_time_nano, the cursor of the next page.
	Next string
	// Skipped counts entries that were not objects.
	Skipped int
}

// decodeConversationList decodes the "response" of get_conversation_list.
func decodeConversationList(raw []byte) (conversationPage, error) {
	var r struct {
		Conversations []json.RawMessage `json:"conversations"`
		PageResult    struct {
			More       flexBool `json:"more"`
			NextCursor struct {
				NextMessageTimeNano flexString `json:"next_message_time_nano"`
			} `json:"next_cursor"`
		} `json:"page_result"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return conversationPage{}, fmt.Errorf("decode conversation list: %w", err)
	}
	p := conversationPage{More: bool(r.PageResult.More), Next: string(r.PageResult.NextCursor.NextMessageTimeNano)}
	for _, c := range r.Conversations {
		var wc wireConversation
		if json.Unmarshal(c, &wc) != nil {
			p.Skipped++
			continue
		}
		p.Conversations = append(p.Conversations, wc)
	}
	return p, nil
}

// decodeOneConversation decodes the "response" of get_one_conversation.
func decodeOneConversation(raw []byte) (wireConversation, error) {
	var wc wireConversation
	if err := decodeObject(raw, &wc); err != nil {
		return wc, fmt.Errorf("decode conversation: %w", err)
	}
	return wc, nil
}

// wireMessage is one message of get_message, the send_message response, or
// a push's content.
type wireMessage struct {
	MessageID        flexString      `json:"message_id"`
	MessageType      flexString      `json:"message_type"`
	FromID           flexString      `json:"from_id"`
	FromShopID       flexString      `json:"from_shop_id"`
	ToID             flexString      `json:"to_id"`
	ToShopID         flexString      `json:"to_shop_id"`
	ConversationID   flexString      `json:"conversation_id"`
	CreatedTimestamp flexInt         `json:"created_timestamp"`
	Status           flexString      `json:"status"`
	Content          json.RawMessage `json:"content"`
	SourceContent    json.RawMessage `json:"source_content"`
}

// wireContent is the union of the content shapes [SDK SH-TS, SH-GO2].
type wireContent struct {
	Text             flexString `json:"text"`
	URL              flexString `json:"url"`
	ImageURL         flexString `json:"image_url"`
	ThumbURL         flexString `json:"thumb_url"`
	VideoURL         flexString `json:"video_url"`
	StickerID        flexString `json:"sticker_id"`
	StickerPackageID flexString `json:"sticker_package_id"`
	ItemID           flexString `json:"item_id"`
	ShopID           flexString `json:"shop_id"`
	OrderSN          flexString `json:"order_sn"`
	VoucherID        flexString `json:"voucher_id"`
	VoucherCode      flexString `json:"voucher_code"`
	OfferID          flexString `json:"offer_id"`
	ProductID        flexString `json:"product_id"`
	PriceBeforeTax   flexString `json:"price_before_tax"`
}

// content decodes m.Content, tolerating any shape.
func (m wireMessage) content() wireContent {
	var c wireContent
	_ = json.Unmarshal(m.Content, &c)
	return c
}

// messagePage is a decoded get_message response.
type messagePage struct {
	// Messages are in the API's order (newest first).
	Messages   []wireMessage
	NextOffset string
	Skipped    int
}

// decodeMessages decodes the "response" of get_message.
func decodeMessages(raw []byte) (messagePage, error) {
	var r struct {
		Messages   []json.RawMessage `json:"messages"`
		PageResult struct {
			NextOffset flexString `json:"next_offset"`
		} `json:"page_result"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return messagePage{}, fmt.Errorf("decode messages: %w", err)
	}
	p := messagePage{NextOffset: string(r.PageResult.NextOffset)}
	for _, m := range r.Messages {
		var wm wireMessage
		if json.Unmarshal(m, &wm) != nil || wm.MessageID == "" {
			p.Skipped++
			continue
		}
		p.Messages = append(p.Messages, wm)
	}
	return p, nil
}

// decodeSendResult decodes the "response" of send_message, whose
// conversation_id is a bare number that may exceed 2^53.
func decodeSendResult(raw []byte) (wireMessage, error) {
	var m wireMessage
	if err := decodeObject(raw, &m); err != nil {
		return m, fmt.Errorf("decode send result: %w", err)
	}
	if m.MessageID == "" {
		return m, fmt.Errorf("decode send result: no message_id")
	}
	return m, nil
}

// wireTokens is the body of auth/token/get and auth/access_token/get.
type wireTokens struct {
	AccessToken  flexString   `json:"access_token"`
	RefreshToken flexString   `json:"refresh_token"`
	ExpireIn     flexInt      `json:"expire_in"`
	ShopID       flexString   `json:"shop_id"`
	ShopIDList   []flexString `json:"shop_id_list"`
}

// decodeTokens finds the tokens at the top level of the body, or under
// "response" (see unverified.go).
func decodeTokens(body []byte, env envelope) (wireTokens, error) {
	var t wireTokens
	if err := decodeObject(body, &t); err != nil {
		return t, fmt.Errorf("decode tokens: %w", err)
	}
	if t.AccessToken == "" && len(env.Response) > 0 {
		_ = json.Unmarshal(env.Response, &t)
	}
	if t.AccessToken == "" || t.RefreshToken == "" {
		return t, fmt.Errorf("decode tokens: the response has no access_token or refresh_token")
	}
	return t, nil
}

// wirePush is a push body [DOC SH-WCPUSH].
type wirePush struct {
	MsgID     flexString      `json:"msg_id"`
	ShopID    flexString      `json:"shop_id"`
	Code      flexInt         `json:"code"`
	Timestamp flexInt         `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// wirePushData is the "data" of a webchat push.
type wirePushData struct {
	Type    flexString  `json:"type"`
	Region  flexString  `json:"region"`
	Content wireMessage `json:"content"`
}

// decodePush decodes a push body.
func decodePush(body []byte) (wirePush, error) {
	var p wirePush
	if err := decodeObject(body, &p); err != nil {
		return p, fmt.Errorf("decode push: %w", err)
	}
	return p, nil
}

// data decodes the push's "data", which lost-push entries carry as a string.
func (p wirePush) data() wirePushData {
	var d wirePushData
	raw := p.Data
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(s)
	}
	_ = json.Unmarshal(raw, &d)
	return d
}

// lostPushPage is a decoded get_lost_push_message response.
type lostPushPage struct {
	Pushes      []wirePush
	HasNextPage bool
	// LastMessageID is echoed back as received.
	LastMessageID json.RawMessage
}

// decodeLostPushes decodes the "response" of get_lost_push_message.
func decodeLostPushes(raw []byte) (lostPushPage, error) {
	var r struct {
		PushMessageList []json.RawMessage `json:"push_message_list"`
		HasNextPage     flexBool          `json:"has_next_page"`
		LastMessageID   json.RawMessage   `json:"last_message_id"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return lostPushPage{}, fmt.Errorf("decode lost pushes: %w", err)
	}
	p := lostPushPage{HasNextPage: bool(r.HasNextPage), LastMessageID: r.LastMessageID}
	for _, m := range r.PushMessageList {
		var wp wirePush
		if json.Unmarshal(m, &wp) == nil {
			p.Pushes = append(p.Pushes, wp)
		}
	}
	if s := bytes.TrimSpace(p.LastMessageID); len(s) == 0 || string(s) == "null" {
		p.LastMessageID = nil
	}
	return p, nil
}
