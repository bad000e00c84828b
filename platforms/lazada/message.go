package lazada

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// wireContent is the union of the content keys the client reads. Only
// "txt" (and "translateTxt") is documented; the other keys are guesses,
// several per field, listed in unverified.go.
type wireContent struct {
	Txt          flexString `json:"txt"`
	TranslateTxt flexString `json:"translateTxt"`
	EmojiCode    flexString `json:"emojiCode"`

	ImgURL   flexString `json:"imgUrl"`
	ImgURL2  flexString `json:"img_url"`
	ImageURL flexString `json:"imageUrl"`
	PicURL   flexString `json:"picUrl"`
	Pic      flexString `json:"pic"`
	URL      flexString `json:"url"`

	VideoURL  flexString `json:"videoUrl"`
	VideoURL2 flexString `json:"video_url"`
	VideoID   flexString `json:"videoId"`
	VideoID2  flexString `json:"video_id"`

	ItemID       flexString `json:"itemId"`
	ItemID2      flexString `json:"item_id"`
	OrderID      flexString `json:"orderId"`
	OrderID2     flexString `json:"order_id"`
	PromotionID  flexString `json:"promotionId"`
	PromotionID2 flexString `json:"promotion_id"`
	VoucherID    flexString `json:"voucherId"`
	VoucherCode  flexString `json:"voucherCode"`
	Title        flexString `json:"title"`
	Price        flexString `json:"price"`
	ActionURL    flexString `json:"actionUrl"`
	CardType     flexString `json:"cardType"`
}

// decodeContent reads a message's content: documented as a JSON string
// holding an object ("{\"txt\":\"hi\"}"); an object is accepted too, and a
// string that is not JSON is taken as the text itself.
func decodeContent(raw json.RawMessage) wireContent {
	var c wireContent
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return c
	}
	if t[0] == '"' {
		var s string
		if json.Unmarshal(t, &s) != nil {
			return c
		}
		inner := bytes.TrimSpace([]byte(s))
		if len(inner) > 0 && inner[0] == '{' {
			if json.Unmarshal(inner, &c) == nil {
				return c
			}
			c = wireContent{}
		}
		c.Txt = flexString(s)
		return c
	}
	if t[0] == '{' {
		if json.Unmarshal(t, &c) != nil {
			return wireContent{}
		}
	}
	return c
}

// toMessage maps a Lazada message (list entry or push data) to the
// bridge's. Every template is kept: unknown ones become KindUnsupported
// with the template ID as their type, never dropped.
func toMessage(m wireMessage) bridge.Message {
	out := bridge.Message{
		ID:           bridge.MessageID(m.MessageID),
		Conversation: bridge.ConversationID(m.SessionID),
		Sender:       bridge.SenderBuyer,
		SentAt:       msTime(int64(m.SendTime)),
		Recalled:     int64(m.Status) == messageStatusRecalled,
		AutoReply:    bool(m.AutoReply),
	}
	switch {
	case int64(m.Type) == messageTypeSystem:
		out.Sender = bridge.SenderSystem
	case int64(m.FromAccountType) == accountTypeSeller:
		out.Sender = bridge.SenderSeller
	}
	if note := strings.TrimSpace(string(m.ProcessMsg)); note != "" {
		out.SafetyNote = safetyNote(note)
	}
	c := decodeContent(m.Content)
	tpl := int64(m.TemplateID)
	switch tpl {
	case templateText, templateSystemText, templateAutoReply:
		out.Kind, out.Text = bridge.KindText, string(c.Txt)
		if tr := string(c.TranslateTxt); tr != "" && tr != out.Text {
			out.Translation = tr
		}
		if tpl == templateAutoReply {
			out.AutoReply = true
		}
		if tpl == templateSystemText {
			out.Sender = bridge.SenderSystem
		}
	case templateImage:
		out.Kind, out.URL = bridge.KindImage, firstOf(c.ImgURL, c.ImgURL2, c.ImageURL, c.PicURL, c.Pic, c.URL)
	case templateEmoji:
		out.Kind, out.Text = bridge.KindSticker, firstOf(c.Txt, c.EmojiCode)
	case templateVideo:
		out.Kind, out.URL = bridge.KindVideo, firstOf(c.VideoURL, c.VideoURL2, c.URL)
		if out.URL == "" {
			if id := firstOf(c.VideoID, c.VideoID2); id != "" {
				out.Text = "video " + id
			}
		}
	case templateItem:
		out.Kind, out.Card = bridge.KindItem, card(c)
		out.Card.ItemID = firstOf(c.ItemID, c.ItemID2)
	case templateOrder:
		out.Kind, out.Card = bridge.KindOrder, card(c)
		out.Card.OrderID = firstOf(c.OrderID, c.OrderID2)
	case templateVoucher:
		out.Kind, out.Card = bridge.KindVoucher, card(c)
		out.Card.Voucher = firstOf(c.VoucherCode, c.PromotionID, c.PromotionID2, c.VoucherID)
	case templateRefund:
		out.Kind, out.Card = bridge.KindRefund, card(c)
		out.Card.OrderID = firstOf(c.OrderID, c.OrderID2)
	case 0:
		if c.Txt != "" { // no template_id at all: a bare text is still a text
			out.Kind, out.Text = bridge.KindText, string(c.Txt)
			break
		}
		out.Kind, out.UnsupportedType = bridge.KindUnsupported, "unknown"
	default:
		out.Kind, out.UnsupportedType = bridge.KindUnsupported, strconv.FormatInt(tpl, 10)
		out.Text = firstOf(c.Txt, c.Title)
	}
	return out
}

func card(c wireContent) *bridge.Card {
	return &bridge.Card{
		Title:    string(c.Title),
		Price:    string(c.Price),
		ImageURL: firstOf(c.ImgURL, c.PicURL, c.Pic, c.ImageURL),
		Link:     firstOf(c.ActionURL, c.URL),
	}
}

// safetyNote is what agents see beside a message Lazada's safety check
// blocked: the buyer never saw it [DOC LZ-IM: the ISV must show it].
func safetyNote(processMsg string) string {
	return "Blocked by Lazada's safety check, only you can see it: " + processMsg
}

func firstOf(vs ...flexString) string {
	for _, v := range vs {
		if s := strings.TrimSpace(string(v)); s != "" {
			return s
		}
	}
	return ""
}

// toConversation maps a session to the bridge's conversation.
func toConversation(s wireSession) bridge.Conversation {
	return bridge.Conversation{
		ID:              bridge.ConversationID(s.SessionID),
		BuyerID:         string(s.BuyerID),
		BuyerName:       string(s.Title),
		LatestMessageID: bridge.MessageID(s.LastMessageID),
		LatestMessageAt: msTime(int64(s.LastMessageTime)),
		UnreadCount:     int(s.UnreadCount),
	}
}
