package tiktok

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Tolerant wire types. The 202309 API documents strings for IDs and ints
// for times, but samples disagree (IMAGE width/height are strings in one
// sample and numbers in another): a field of an unexpected JSON type
// decodes as empty instead of failing the whole page, and numbers never go
// through float64 (IDs are 19 digits).

// flexString and flexInt are httpx's (httpx/wire.go).
type (
	flexString = httpx.FlexString
	flexInt    = httpx.FlexInt
)

// optBool is a boolean that remembers whether it was present: is_visible
// and can_send_message default to true when TikTok leaves them out.
type optBool struct {
	set   bool
	value bool
}

// UnmarshalJSON implements json.Unmarshaler: true/false, "true"/"false", 1/0.
func (o *optBool) UnmarshalJSON(b []byte) error {
	var s flexString
	_ = s.UnmarshalJSON(b)
	switch s {
	case "true", "1", "True", "TRUE":
		*o = optBool{set: true, value: true}
	case "false", "0", "False", "FALSE":
		*o = optBool{set: true, value: false}
	default:
		*o = optBool{}
	}
	return nil
}

// or returns the value, or def when it was absent or unreadable.
func (o optBool) or(def bool) bool {
	if !o.set {
		return def
	}
	return o.value
}

// jsonText is a field documented as "JSON serialized string" (message
// content): the string's text, or the raw JSON of any other value (an
// object sent without the serialization).
type jsonText string

// UnmarshalJSON implements json.Unmarshaler.
func (j *jsonText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*j = ""
	switch {
	case len(b) == 0 || string(b) == "null":
	case b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			*j = jsonText(s)
		}
	default:
		*j = jsonText(b)
	}
	return nil
}

// envelope is every response's outer object [DOC TT-CS, TT-ERR]:
// {"code":0,"message":"Success","request_id":"…","data":{…}}.
type envelope struct {
	Code      *json.RawMessage `json:"code"`
	Message   flexString       `json:"message"`
	RequestID flexString       `json:"request_id"`
	Data      json.RawMessage  `json:"data"`
}

// code is the envelope's code (0 when absent or unreadable).
func (e envelope) code() int64 {
	if e.Code == nil {
		return 0
	}
	var n flexInt
	_ = n.UnmarshalJSON(*e.Code)
	return int64(n)
}

// decodeEnvelope reads a body's envelope; ok is false when the body is not
// a TikTok envelope (no "code").
func decodeEnvelope(body []byte) (env envelope, ok bool) {
	if decodeObject(body, &env) != nil || env.Code == nil {
		return envelope{}, false
	}
	return env, true
}

// decodeObject decodes raw into v when it is a JSON object; empty and null
// decode as the zero value.
func decodeObject(raw []byte, v any) error { return httpx.DecodeObject(raw, v) }

// wireSender is a message's sender.
type wireSender struct {
	IMUserID flexString `json:"im_user_id"`
	Role     flexString `json:"role"`
	Nickname flexString `json:"nickname"`
	Avatar   flexString `json:"avatar"`
}

// wireMessage is one message of Get Conversation Messages, a conversation's
// latest_message, or a type-14 webhook's data (which names the message
// message_id and carries conversation_id).
type wireMessage struct {
	ID             flexString `json:"id"`
	MessageID      flexString `json:"message_id"`
	ConversationID flexString `json:"conversation_id"`
	Type           flexString `json:"type"`
	Content        jsonText   `json:"content"`
	CreateTime     flexInt    `json:"create_time"`
	IsVisible      optBool    `json:"is_visible"`
	Sender         wireSender `json:"sender"`
	Index          flexString `json:"index"`
}

// id is the message's ID under either name.
func (m wireMessage) id() string {
	if m.ID != "" {
		return string(m.ID)
	}
	return string(m.MessageID)
}

// visible reports whether the message may be shown: is_visible false means
// TikTok tells the app not to show it to the seller (a rating request, say).
func (m wireMessage) visible() bool { return m.IsVisible.or(true) }

// wireParticipant is one participant of a conversation.
type wireParticipant struct {
	IMUserID      flexString `json:"im_user_id"`
	UserID        flexString `json:"user_id"`
	Role          flexString `json:"role"`
	Nickname      flexString `json:"nickname"`
	Avatar        flexString `json:"avatar"`
	BuyerPlatform flexString `json:"buyer_platform"`
}

// wireConversation is one entry of Get Conversations.
type wireConversation struct {
	ID               flexString        `json:"id"`
	ParticipantCount flexInt           `json:"participant_count"`
	CanSendMessage   optBool           `json:"can_send_message"`
	UnreadCount      flexInt           `json:"unread_count"`
	CreateTime       flexInt           `json:"create_time"`
	Participants     []json.RawMessage `json:"participants"`
	LatestMessage    json.RawMessage   `json:"latest_message"`
}

// buyer returns the conversation's buyer participant (role BUYER).
func (c wireConversation) buyer() (wireParticipant, bool) {
	for _, raw := range c.Participants {
		var p wireParticipant
		if decodeObject(raw, &p) == nil && upper(string(p.Role)) == roleBuyer {
			return p, true
		}
	}
	return wireParticipant{}, false
}

// latest decodes latest_message, tolerating any shape.
func (c wireConversation) latest() (wireMessage, bool) {
	var m wireMessage
	if decodeObject(c.LatestMessage, &m) != nil || m.id() == "" {
		return wireMessage{}, false
	}
	return m, true
}

// conversationPage is a decoded Get Conversations response.
type conversationPage struct {
	Conversations []wireConversation
	Next          string
	// Skipped counts entries that were not objects or had no ID.
	Skipped int
}

// decodeConversations decodes the data of Get Conversations.
func decodeConversations(raw []byte) (conversationPage, error) {
	var r struct {
		Conversations []json.RawMessage `json:"conversations"`
		NextPageToken flexString        `json:"next_page_token"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return conversationPage{}, fmt.Errorf("decode conversations: %w", err)
	}
	p := conversationPage{Next: string(r.NextPageToken)}
	for _, c := range r.Conversations {
		var wc wireConversation
		if decodeObject(c, &wc) != nil || wc.ID == "" {
			p.Skipped++
			continue
		}
		p.Conversations = append(p.Conversations, wc)
	}
	return p, nil
}

// messagePage is a decoded Get Conversation Messages response.
type messagePage struct {
	// Messages are in the API's order (newest first as requested).
	Messages []wireMessage
	Next     string
	// UnsupportedTips is TikTok's text for types the API cannot show.
	UnsupportedTips string
	Skipped         int
}

// decodeMessages decodes the data of Get Conversation Messages.
func decodeMessages(raw []byte) (messagePage, error) {
	var r struct {
		Messages        []json.RawMessage `json:"messages"`
		NextPageToken   flexString        `json:"next_page_token"`
		UnsupportedTips flexString        `json:"unsupported_msg_tips"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return messagePage{}, fmt.Errorf("decode messages: %w", err)
	}
	p := messagePage{Next: string(r.NextPageToken), UnsupportedTips: string(r.UnsupportedTips)}
	for _, m := range r.Messages {
		var wm wireMessage
		if decodeObject(m, &wm) != nil || wm.id() == "" {
			p.Skipped++
			continue
		}
		p.Messages = append(p.Messages, wm)
	}
	return p, nil
}

// decodeSendResult decodes the data of Send Message: {"message_id":"…"}.
func decodeSendResult(raw []byte) (string, error) {
	var r struct {
		MessageID flexString `json:"message_id"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return "", fmt.Errorf("decode send result: %w", err)
	}
	if r.MessageID == "" {
		return "", fmt.Errorf("decode send result: no message_id")
	}
	return string(r.MessageID), nil
}

// wireShop is one entry of Get Authorized Shops.
type wireShop struct {
	ID         flexString `json:"id"`
	Name       flexString `json:"name"`
	Region     flexString `json:"region"`
	SellerType flexString `json:"seller_type"`
	Cipher     flexString `json:"cipher"`
	Code       flexString `json:"code"`
}

// decodeShops decodes the data of Get Authorized Shops.
func decodeShops(raw []byte) ([]wireShop, error) {
	var r struct {
		Shops []json.RawMessage `json:"shops"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return nil, fmt.Errorf("decode authorized shops: %w", err)
	}
	var out []wireShop
	for _, s := range r.Shops {
		var ws wireShop
		if decodeObject(s, &ws) == nil && ws.ID != "" {
			out = append(out, ws)
		}
	}
	return out, nil
}

// wireTokens is the data of the token endpoints [DOC TT-AUTH].
type wireTokens struct {
	AccessToken          flexString   `json:"access_token"`
	AccessTokenExpireIn  flexInt      `json:"access_token_expire_in"`
	RefreshToken         flexString   `json:"refresh_token"`
	RefreshTokenExpireIn flexInt      `json:"refresh_token_expire_in"`
	OpenID               flexString   `json:"open_id"`
	SellerName           flexString   `json:"seller_name"`
	SellerBaseRegion     flexString   `json:"seller_base_region"`
	UserType             *flexInt     `json:"user_type"`
	GrantedScopes        []flexString `json:"granted_scopes"`
}

// decodeTokens decodes the data of token/get and token/refresh.
func decodeTokens(raw []byte) (wireTokens, error) {
	var t wireTokens
	if err := decodeObject(raw, &t); err != nil {
		return t, fmt.Errorf("decode tokens: %w", err)
	}
	if t.AccessToken == "" || t.RefreshToken == "" {
		return t, fmt.Errorf("decode tokens: no access_token or refresh_token")
	}
	return t, nil
}

// wireWebhook is a webhook body [DOC TT-WH]:
// {"type":14,"tts_notification_id":"…","shop_id":"…","timestamp":…,"data":{…}}.
type wireWebhook struct {
	Type           flexInt         `json:"type"`
	NotificationID flexString      `json:"tts_notification_id"`
	ShopID         flexString      `json:"shop_id"`
	Timestamp      flexInt         `json:"timestamp"`
	Data           json.RawMessage `json:"data"`
}

// decodeWebhook decodes a webhook body.
func decodeWebhook(body []byte) (wireWebhook, error) {
	var w wireWebhook
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' {
		return w, fmt.Errorf("not a JSON object")
	}
	if err := json.Unmarshal(t, &w); err != nil {
		return w, err
	}
	if w.Type == 0 || w.ShopID == "" {
		return w, fmt.Errorf("no type or shop_id")
	}
	return w, nil
}

// newConversationData is the data of a type-13 webhook.
type newConversationData struct {
	ConversationID flexString `json:"conversation_id"`
	CreateTime     flexInt    `json:"create_time"`
}
