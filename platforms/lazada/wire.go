package lazada

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Tolerant wire types. Lazada's samples show numbers as strings ("code":
// "0", "from_account_type": "2") and the reference asks for tolerant
// decoding: a field of an unexpected JSON type decodes as empty instead of
// failing the whole response, and nothing goes through float64.

// flexString is httpx's (httpx/wire.go).
type flexString = httpx.FlexString

// flexInt accepts a JSON number or a numeric string, spaces around it
// tolerated; anything else is 0.
type flexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	_ = s.UnmarshalJSON(b)
	*f = flexInt(httpx.ParseInt(strings.TrimSpace(string(s))))
	return nil
}

// flexBool accepts true/false, "true"/"false", 1/0, "1"/"0" (in any case).
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	_ = s.UnmarshalJSON(b)
	switch strings.ToLower(string(s)) {
	case "true", "1":
		*f = true
	default:
		*f = false
	}
	return nil
}

// envelope is every response's outer object [DOC LZ-IM examples; SDK
// LZ-PY]: "code" is "0" on success; errors carry type, code and message.
// IM APIs also answer success, err_code and err_message.
type envelope struct {
	Type       flexString      `json:"type"`
	Code       flexString      `json:"code"`
	Message    flexString      `json:"message"`
	RequestID  flexString      `json:"request_id"`
	Data       json.RawMessage `json:"data"`
	Success    *flexBool       `json:"success"`
	ErrCode    flexString      `json:"err_code"`
	ErrMessage flexString      `json:"err_message"`
}

// wireSession is a session of /im/session/list or /im/session/get.
type wireSession struct {
	SessionID       flexString `json:"session_id"`
	BuyerID         flexString `json:"buyer_id"`
	Title           flexString `json:"title"`
	HeadURL         flexString `json:"head_url"`
	Summary         flexString `json:"summary"`
	LastMessageID   flexString `json:"last_message_id"`
	LastMessageTime flexInt    `json:"last_message_time"`
	UnreadCount     flexInt    `json:"unread_count"`
	SiteID          flexString `json:"site_id"`
}

// wireMessage is a message of /im/message/list or the data of an IM push.
type wireMessage struct {
	SessionID       flexString      `json:"session_id"`
	MessageID       flexString      `json:"message_id"`
	Content         json.RawMessage `json:"content"`
	FromAccountID   flexString      `json:"from_account_id"`
	FromAccountType flexInt         `json:"from_account_type"`
	ToAccountID     flexString      `json:"to_account_id"`
	ToAccountType   flexInt         `json:"to_account_type"`
	SendTime        flexInt         `json:"send_time"`
	TemplateID      flexInt         `json:"template_id"`
	Type            flexInt         `json:"type"`
	SiteID          flexString      `json:"site_id"`
	ProcessMsg      flexString      `json:"process_msg"`
	AutoReply       flexBool        `json:"auto_reply"`
	Status          flexInt         `json:"status"`
}

// page is a decoded page of either IM list.
type page[T any] struct {
	Items     []T
	HasMore   bool
	NextStart int64
	LastID    string
	// Skipped counts entries that were not objects or had no ID.
	Skipped int
}

// decodeSessionPage decodes the data of /im/session/list.
func decodeSessionPage(raw []byte) (page[wireSession], error) {
	var r struct {
		SessionList   []json.RawMessage `json:"session_list"`
		HasMore       flexBool          `json:"has_more"`
		NextStartTime flexInt           `json:"next_start_time"`
		LastSessionID flexString        `json:"last_session_id"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return page[wireSession]{}, fmt.Errorf("decode session list: %w", err)
	}
	p := page[wireSession]{HasMore: bool(r.HasMore), NextStart: int64(r.NextStartTime), LastID: string(r.LastSessionID)}
	for _, e := range r.SessionList {
		var s wireSession
		if decodeObject(e, &s) != nil || s.SessionID == "" {
			p.Skipped++
			continue
		}
		p.Items = append(p.Items, s)
	}
	return p, nil
}

// decodeMessagePage decodes the data of /im/message/list.
func decodeMessagePage(raw []byte) (page[wireMessage], error) {
	var r struct {
		MessageList   []json.RawMessage `json:"message_list"`
		HasMore       flexBool          `json:"has_more"`
		NextStartTime flexInt           `json:"next_start_time"`
		LastMessageID flexString        `json:"last_message_id"`
	}
	if err := decodeObject(raw, &r); err != nil {
		return page[wireMessage]{}, fmt.Errorf("decode message list: %w", err)
	}
	p := page[wireMessage]{HasMore: bool(r.HasMore), NextStart: int64(r.NextStartTime), LastID: string(r.LastMessageID)}
	for _, e := range r.MessageList {
		var m wireMessage
		if decodeObject(e, &m) != nil || m.MessageID == "" {
			p.Skipped++
			continue
		}
		p.Items = append(p.Items, m)
	}
	return p, nil
}

// decodeSession decodes the data of /im/session/get.
func decodeSession(raw []byte) (wireSession, error) {
	var s wireSession
	if err := decodeObject(raw, &s); err != nil {
		return s, fmt.Errorf("decode session: %w", err)
	}
	return s, nil
}

// wireSent is the data of /im/message/send.
type wireSent struct {
	MessageID   flexString `json:"message_id"`
	TemplateID  flexInt    `json:"template_id"`
	CurrentTime flexInt    `json:"current_time"`
}

func decodeSent(raw []byte) (wireSent, error) {
	var s wireSent
	if err := decodeObject(raw, &s); err != nil {
		return s, fmt.Errorf("decode send result: %w", err)
	}
	if s.MessageID == "" {
		return s, fmt.Errorf("decode send result: no message_id")
	}
	return s, nil
}

// wireCountryUser is one entry of country_user_info.
type wireCountryUser struct {
	Country   flexString `json:"country"`
	SellerID  flexString `json:"seller_id"`
	UserID    flexString `json:"user_id"`
	ShortCode flexString `json:"short_code"`
}

// wireTokens is the body of /auth/token/create and /auth/token/refresh
// [DOC LZ-TOKEN]: the fields are at the top level, beside code.
type wireTokens struct {
	AccessToken      flexString        `json:"access_token"`
	RefreshToken     flexString        `json:"refresh_token"`
	ExpiresIn        flexInt           `json:"expires_in"`
	RefreshExpiresIn flexInt           `json:"refresh_expires_in"`
	Country          flexString        `json:"country"`
	Account          flexString        `json:"account"`
	AccountPlatform  flexString        `json:"account_platform"`
	CountryUserInfo  []wireCountryUser `json:"country_user_info"`
	// CountryUserInfoList is the refresh response's name for the same list.
	CountryUserInfoList []wireCountryUser `json:"country_user_info_list"`
}

func decodeTokens(body []byte) (wireTokens, error) {
	var t wireTokens
	if err := decodeObject(body, &t); err != nil {
		return t, fmt.Errorf("decode tokens: %w", err)
	}
	if t.AccessToken == "" {
		// A gateway that wraps them in "data" (not documented; tolerated).
		var env envelope
		if decodeObject(body, &env) == nil && len(env.Data) > 0 {
			_ = decodeObject(env.Data, &t)
		}
	}
	if t.AccessToken == "" {
		return t, fmt.Errorf("decode tokens: the response has no access_token")
	}
	return t, nil
}

func (t wireTokens) sellers() []wireCountryUser {
	return append(append([]wireCountryUser(nil), t.CountryUserInfo...), t.CountryUserInfoList...)
}

// wirePush is a push body [DOC LZ-PUSH, LZ-PUSHIM].
type wirePush struct {
	SellerID    flexString      `json:"seller_id"`
	MessageType flexInt         `json:"message_type"`
	Timestamp   flexInt         `json:"timestamp"`
	Site        flexString      `json:"site"`
	Data        json.RawMessage `json:"data"`
}

// wireSessionUpdate is the data of a session update push (type 19).
type wireSessionUpdate struct {
	SyncType    flexString `json:"sync_type"`
	SessionID   flexString `json:"session_id"`
	UnreadCount flexInt    `json:"unread_count"`
	SiteID      flexString `json:"site_id"`
}

func decodePush(body []byte) (wirePush, error) {
	var p wirePush
	if err := decodeObject(body, &p); err != nil {
		return p, fmt.Errorf("decode push: %w", err)
	}
	return p, nil
}

// pushMessage decodes an IM push's data; a data object sent as a JSON
// string is accepted too.
func (p wirePush) message() (wireMessage, error) {
	var m wireMessage
	raw := unquoteObject(p.Data)
	if err := decodeObject(raw, &m); err != nil {
		return m, fmt.Errorf("decode IM push data: %w", err)
	}
	if m.MessageID == "" || m.SessionID == "" {
		return m, fmt.Errorf("decode IM push data: no message_id or session_id")
	}
	return m, nil
}

func (p wirePush) sessionUpdate() wireSessionUpdate {
	var u wireSessionUpdate
	_ = decodeObject(unquoteObject(p.Data), &u)
	return u
}

// unquoteObject returns the object a JSON string holds, or raw as it is.
func unquoteObject(raw []byte) []byte {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == '"' {
		var s string
		if json.Unmarshal(t, &s) == nil {
			return []byte(s)
		}
	}
	return raw
}

// decodeObject unmarshals raw, which must be a JSON object (or null/empty,
// which leaves v at its zero value).
func decodeObject(raw []byte, v any) error { return httpx.DecodeObject(raw, v) }
