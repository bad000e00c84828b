package tiktok

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Message types [DOC TT-CS Get Conversation Messages, webhook 14].
const (
	typeText                 = "TEXT"
	typeImage                = "IMAGE"
	typeVideo                = "VIDEO"
	typeEmoticons            = "EMOTICONS"
	typeProductCard          = "PRODUCT_CARD"
	typeOrderCard            = "ORDER_CARD"
	typeReturnRefundCard     = "RETURN_REFUND_CARD"
	typeCouponCard           = "COUPON_CARD"
	typeAllocatedService     = "ALLOCATED_SERVICE"
	typeNotification         = "NOTIFICATION"
	typeBuyerEnterTransfer   = "BUYER_ENTER_FROM_TRANSFER"
	typeBuyerEnterProduct    = "BUYER_ENTER_FROM_PRODUCT"
	typeBuyerEnterOrder      = "BUYER_ENTER_FROM_ORDER"
	typeOther                = "OTHER"
	defaultUnsupportedText   = "Please check this message in Seller Center."
	systemSenderName         = "TikTok Shop system"
	robotSenderName          = "TikTok Shop robot (auto-reply)"
	unknownRoleSenderPrefix  = "TikTok Shop "
	roleBuyer                = "BUYER"
	roleShop                 = "SHOP"
	roleCustomerService      = "CUSTOMER_SERVICE"
	roleSystem               = "SYSTEM"
	roleRobot                = "ROBOT"
	maxContentTextCharacters = 100_000
)

// wireContent is the union of the content shapes [DOC TT-CS]: TEXT and
// the system types {"content"}, IMAGE {"url","width","height"}, VIDEO
// {"url","cover",…}, PRODUCT_CARD and BUYER_ENTER_FROM_PRODUCT
// {"product_id"}, ORDER_CARD and BUYER_ENTER_FROM_ORDER {"order_id"},
// RETURN_REFUND_CARD {"order_id","sku_id"}, COUPON_CARD {"coupon_id"}.
// EMOTICONS has no documented shape (see unverified.go).
type wireContent struct {
	Content    flexString `json:"content"`
	URL        flexString `json:"url"`
	ImageURL   flexString `json:"image_url"`
	Cover      flexString `json:"cover"`
	ProductID  flexString `json:"product_id"`
	OrderID    flexString `json:"order_id"`
	SkuID      flexString `json:"sku_id"`
	CouponID   flexString `json:"coupon_id"`
	EmoticonID flexString `json:"emoticon_id"`
}

// decodeContent decodes a message's content (a JSON-serialized string). A
// content that is not a JSON object is kept whole as the text: nothing the
// buyer wrote is dropped because TikTok changed the serialization.
func decodeContent(s string) wireContent {
	var c wireContent
	t := bytes.TrimSpace([]byte(s))
	if len(t) > 0 && t[0] == '{' && json.Unmarshal(t, &c) == nil {
		return c
	}
	var str string
	if len(t) > 0 && t[0] == '"' && json.Unmarshal(t, &str) == nil {
		return wireContent{Content: flexString(str)}
	}
	return wireContent{Content: flexString(s)}
}

// toMessage maps a TikTok message to the bridge's. visible is false for
// is_visible=false: such a message is never shown (TikTok: "You should not
// present this type of message to the seller or the customer support
// agents"). tips is the page's unsupported_msg_tips, the text shown for
// OTHER.
func toMessage(conv bridge.ConversationID, m wireMessage, tips string) (msg bridge.Message, visible bool) {
	msg = bridge.Message{
		ID:           bridge.MessageID(m.id()),
		Conversation: conv,
		SentAt:       unixSeconds(int64(m.CreateTime)),
	}
	if msg.Conversation == "" {
		msg.Conversation = bridge.ConversationID(m.ConversationID)
	}
	switch role := upper(string(m.Sender.Role)); role {
	case roleBuyer, "":
		// An absent role is read as the buyer's: showing a message with the
		// wrong sender is better than hiding it (see unverified.go).
		msg.Sender, msg.SenderName = bridge.SenderBuyer, string(m.Sender.Nickname)
	case roleShop, roleCustomerService:
		msg.Sender, msg.SenderName = bridge.SenderSeller, string(m.Sender.Nickname)
	case roleSystem:
		msg.Sender, msg.SenderName = bridge.SenderSystem, systemSenderName
	case roleRobot:
		msg.Sender, msg.SenderName, msg.AutoReply = bridge.SenderSystem, robotSenderName, true
	default:
		msg.Sender, msg.SenderName = bridge.SenderSystem, unknownRoleSenderPrefix+clip(role, 40)
	}
	c := decodeContent(string(m.Content))
	text := clip(string(c.Content), maxContentTextCharacters)
	switch typ := upper(string(m.Type)); typ {
	case typeText:
		msg.Kind, msg.Text = bridge.KindText, text
	case typeImage:
		msg.Kind, msg.URL = bridge.KindImage, firstOf(c.URL, c.ImageURL)
	case typeVideo:
		msg.Kind, msg.URL = bridge.KindVideo, firstOf(c.URL)
	case typeEmoticons:
		msg.Kind, msg.URL = bridge.KindSticker, firstOf(c.URL, c.ImageURL)
		if msg.URL == "" && c.EmoticonID != "" {
			msg.Text = "sticker " + string(c.EmoticonID)
		}
	case typeProductCard:
		msg.Kind, msg.Card = bridge.KindItem, &bridge.Card{ItemID: string(c.ProductID)}
	case typeOrderCard:
		msg.Kind, msg.Card = bridge.KindOrder, &bridge.Card{OrderID: string(c.OrderID)}
	case typeReturnRefundCard:
		msg.Kind, msg.Card = bridge.KindRefund, &bridge.Card{OrderID: string(c.OrderID), Title: "Return/refund request"}
		msg.Text = "Return/refund request for order " + orUnknown(string(c.OrderID))
		if c.SkuID != "" {
			msg.Text += ", SKU " + string(c.SkuID)
		}
	case typeCouponCard:
		msg.Kind, msg.Card = bridge.KindVoucher, &bridge.Card{Voucher: string(c.CouponID)}
	case typeAllocatedService, typeNotification, typeBuyerEnterTransfer, typeBuyerEnterProduct, typeBuyerEnterOrder:
		// System events shown as such, whoever TikTok names as the sender.
		msg.Kind, msg.Text = bridge.KindText, systemText(typ, c, text)
		if msg.Sender != bridge.SenderSystem {
			msg.Sender, msg.SenderName = bridge.SenderSystem, systemSenderName
		}
	default:
		if typ == "" {
			typ = "unknown"
		}
		msg.Kind, msg.UnsupportedType, msg.Text = bridge.KindUnsupported, typ, text
		if msg.Text == "" {
			msg.Text = firstOf(flexString(tips), defaultUnsupportedText)
		}
	}
	return msg, m.visible()
}

// systemText is what a system event says.
func systemText(typ string, c wireContent, text string) string {
	switch typ {
	case typeBuyerEnterProduct:
		if c.ProductID != "" {
			return "The buyer came to the chat from product " + string(c.ProductID) + "."
		}
		return firstOf(flexString(text), "The buyer came to the chat from a product page.")
	case typeBuyerEnterOrder:
		if c.OrderID != "" {
			return "The buyer came to the chat from order " + string(c.OrderID) + "."
		}
		return firstOf(flexString(text), "The buyer came to the chat from an order.")
	case typeBuyerEnterTransfer:
		return firstOf(flexString(text), "The conversation was transferred to another agent.")
	case typeAllocatedService:
		return firstOf(flexString(text), "A customer service agent joined the conversation.")
	}
	return firstOf(flexString(text), "Notification from TikTok Shop.")
}

func firstOf(vs ...flexString) string {
	for _, v := range vs {
		if v != "" {
			return string(v)
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// clip cuts s to n runes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// unixSeconds converts a TikTok timestamp (seconds [DOC]); a value in
// milliseconds (above 10^11, the year 5138 in seconds) is read as such.
func unixSeconds(v int64) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v < 1e11:
		return time.Unix(v, 0)
	case v < 1e14:
		return time.UnixMilli(v)
	}
	return time.Time{}
}
