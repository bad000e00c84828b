package simulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Lazada messages: the message types and templates, how the shared
// state's messages render as Lazada's content, and the buyer's and the
// seller's messages and recalls of tests and the demo.

// Lazada message types the simulator renders, with their template IDs
// [DOC LZ-IM, LZ-PUSHIM, LZ-IMBP §5]. The shared state's neutral types
// (text, image, video, sticker, item, order, voucher) map onto them; any
// other type is rendered as a follow-store invite (10010), which clients
// must keep as unsupported, unless it is a template ID itself ("10020").
var lazadaTemplates = map[string]int{
	"text": 1, "system": 2, "image": 3, "emoji": 4, "sticker": 4, "video": 6,
	"item": 10006, "order": 10007, "voucher": 10008, "follow_store": 10010, "refund": 10011, "auto_reply": 10015,
}

// LazadaMessageTypes are the buyer-side message types of the Lazada
// dialect: every documented template, and one (follow_store) that clients
// keep as unsupported. "system" (template 2, type 2) is not a buyer's.
var LazadaMessageTypes = []string{"text", "image", "emoji", "video", "item", "order", "voucher", "refund", "auto_reply", "follow_store"}

func lazadaTemplate(typ string) int {
	if t, ok := lazadaTemplates[typ]; ok {
		return t
	}
	if n, err := strconv.Atoi(typ); err == nil && n > 0 {
		return n
	}
	return lazadaTemplates["follow_store"]
}

// LazadaSampleContent returns a content object of a Lazada message type in
// the shape the simulator sends (lazada_unverified.go); n varies the IDs.
func LazadaSampleContent(typ string, n int) map[string]any {
	switch typ {
	case "text", "system", "auto_reply":
		return map[string]any{"text": fmt.Sprintf("%s %d", typ, n)}
	case "image":
		return map[string]any{"imgUrl": fmt.Sprintf("https://sg-live.slatic.example/p/img%d.jpg", n), "width": 800, "height": 800}
	case "emoji", "sticker":
		return map[string]any{"txt": fmt.Sprintf("[emoji%d]", n)}
	case "video":
		return map[string]any{"videoUrl": fmt.Sprintf("https://video.lazada.example/v%d.mp4", n), "videoId": fmt.Sprintf("v%d", n), "width": 720, "height": 1280}
	case "item":
		return map[string]any{"itemId": strconv.Itoa(3_000_000_000 + n), "title": fmt.Sprintf("Sample item %d", n), "price": "19.90",
			"imgUrl": fmt.Sprintf("https://sg-live.slatic.example/p/item%d.jpg", n), "actionUrl": fmt.Sprintf("https://www.lazada.example/products/i%d.html", 3_000_000_000+n)}
	case "order":
		return map[string]any{"orderId": strconv.Itoa(700_000_000_000 + n), "title": "Order"}
	case "voucher":
		return map[string]any{"promotionId": strconv.Itoa(90_000 + n), "voucherCode": fmt.Sprintf("LZSAVE%d", n), "title": "Voucher"}
	case "refund":
		return map[string]any{"orderId": strconv.Itoa(700_000_000_000 + n), "title": "Refund requested"}
	case "follow_store":
		return map[string]any{"title": "Follow our store for vouchers"}
	}
	return map[string]any{}
}

// Message-level fields the shared state has no place for ride in the
// content under these keys; the dialect takes them out when rendering.
const (
	lzKeyAutoReply  = "sim_auto_reply"
	lzKeyProcessMsg = "sim_process_msg"
)

// LazadaMessage is a message for LazadaSends.
type LazadaMessage struct {
	// Type is one of LazadaMessageTypes, "system", or a template ID.
	Type string
	// Text is a text's text (text, system, auto_reply; else ignored).
	Text string
	// Translation makes a text cross-border: {"txt": Text, "translateTxt": Translation}.
	Translation string
	// From is who sent it (default the buyer).
	From Sender
	// AutoReply marks a message Lazada's auto-reply sent.
	AutoReply bool
	// ProcessMsg is set when Lazada's safety check blocked the message.
	ProcessMsg string
	// Content overrides the sample content of Type.
	Content map[string]any
}

// LazadaSends stores a message of a Lazada shop (opening the session if
// needed) and pushes it.
func (s *Simulator) LazadaSends(shopID, buyerID string, m LazadaMessage) (Message, error) {
	if err := s.isLazadaShop(shopID); err != nil {
		return Message{}, err
	}
	if m.Type == "" {
		m.Type = "text"
	}
	if m.From == "" {
		m.From = FromBuyer
	}
	content := map[string]any{}
	src := m.Content
	if src == nil {
		src = LazadaSampleContent(m.Type, int(s.nextMsgSeq()))
	}
	for k, v := range src {
		content[k] = v
	}
	if m.Text != "" {
		content["text"] = m.Text
	}
	if m.Translation != "" {
		content["translateTxt"] = m.Translation
	}
	if m.AutoReply {
		content[lzKeyAutoReply] = true
	}
	if m.ProcessMsg != "" {
		content[lzKeyProcessMsg] = m.ProcessMsg
	}
	return s.addMessage(shopID, buyerID, m.From, m.Type, content)
}

func (s *Simulator) nextMsgSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgSeq + 1
}

// LazadaRecall recalls a message: it is pushed again with status 1 and
// listed so from now on, and a system message says so [DOC LZ-IMBP].
func (s *Simulator) LazadaRecall(shopID, messageID string) error {
	if err := s.isLazadaShop(shopID); err != nil {
		return err
	}
	s.mu.Lock()
	m, buyer, err := s.lazadaMessageLocked(shopID, "", messageID)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.lazada().recall(m, buyer)
}

// lazadaMessageLocked finds a message of a shop (in a session, if given).
func (s *Simulator) lazadaMessageLocked(shopID, sessionID, messageID string) (Message, string, error) {
	shop := s.shops[shopID]
	for _, c := range shop.convs {
		if sessionID != "" && c.id != sessionID {
			continue
		}
		for _, m := range c.messages {
			if m.ID == messageID {
				return *m, c.buyerID, nil
			}
		}
	}
	return Message{}, "", fmt.Errorf("simulator: shop %s has no message %s", shopID, messageID)
}

func (d *lazadaDialect) recall(m Message, buyerID string) error {
	d.mu.Lock()
	d.recalled[m.ID] = true
	d.mu.Unlock()
	d.s.mu.Lock()
	shop := d.s.shops[m.ShopID]
	d.push.enqueue(d.imPush(m, shop.Shop, shop.userID))
	d.s.mu.Unlock()
	who := "The buyer"
	if m.From != FromBuyer {
		who = "The seller"
	}
	_, err := d.s.addMessage(m.ShopID, buyerID, FromSellerCentre, "system", map[string]any{"text": who + " recalled a message"})
	return err
}

func (d *lazadaDialect) isRecalled(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.recalled[id]
}

// lazadaRender renders a held message as the IM APIs and pushes carry it.
func (d *lazadaDialect) lazadaRender(m *Message, shop Shop, shopUserID string) map[string]any {
	tpl := lazadaTemplate(m.Type)
	content, autoReply, processMsg := lazadaContent(m.Type, m.Content)
	from, to, fromType, toType := m.BuyerID, shopUserID, 1, 2
	if m.From != FromBuyer {
		from, to, fromType, toType = shopUserID, m.BuyerID, 2, 1
	}
	typ := 1
	if tpl == lazadaTemplates["system"] {
		typ = 2
	}
	status := 0
	if d.isRecalled(m.ID) {
		status = 1
	}
	cj, _ := json.Marshal(content)
	return map[string]any{
		"session_id": m.ConversationID, "message_id": m.ID, "content": string(cj),
		"from_account_id": from, "from_account_type": fromType, "to_account_id": to, "to_account_type": toType,
		"send_time": m.CreatedAt.UnixMilli(), "template_id": tpl, "type": typ, "site_id": strings.ToUpper(shop.Site),
		"process_msg": processMsg, "auto_reply": autoReply || tpl == lazadaTemplates["auto_reply"], "status": status,
	}
}

// lazadaContent turns held content into Lazada's: the neutral shapes of the
// shared state (SampleContent, BuyerSays) are converted, Lazada-shaped
// content is kept; the sim_ keys come out as message fields.
func lazadaContent(typ string, held map[string]any) (map[string]any, bool, string) {
	c := map[string]any{}
	autoReply, processMsg := false, ""
	for k, v := range held {
		switch k {
		case lzKeyAutoReply:
			autoReply, _ = v.(bool)
		case lzKeyProcessMsg:
			processMsg, _ = v.(string)
		default:
			c[k] = v
		}
	}
	str := func(keys ...string) string { return contentString(c, keys...) }
	switch lazadaTemplate(typ) {
	case 1, 2, 10015:
		out := map[string]any{"txt": str("text", "txt")}
		if tr := str("translateTxt"); tr != "" {
			out["translateTxt"] = tr
		}
		return out, autoReply, processMsg
	case 3:
		if _, ok := c["imgUrl"]; !ok {
			return map[string]any{"imgUrl": str("url", "image_url"), "width": 800, "height": 800}, autoReply, processMsg
		}
	case 4:
		if _, ok := c["txt"]; !ok {
			return map[string]any{"txt": "[sticker " + str("sticker_package_id") + "/" + str("sticker_id") + "]"}, autoReply, processMsg
		}
	case 6:
		if _, ok := c["videoUrl"]; !ok {
			return map[string]any{"videoUrl": str("video_url", "url"), "videoId": "v" + str("duration_seconds"), "width": 720, "height": 1280}, autoReply, processMsg
		}
	case 10006:
		if _, ok := c["itemId"]; !ok {
			return map[string]any{"itemId": str("item_id"), "title": "Item " + str("item_id")}, autoReply, processMsg
		}
	case 10007:
		if _, ok := c["orderId"]; !ok {
			return map[string]any{"orderId": str("order_sn", "order_id")}, autoReply, processMsg
		}
	case 10008:
		if _, ok := c["promotionId"]; !ok {
			return map[string]any{"promotionId": str("voucher_id", "promotion_id"), "voucherCode": str("voucher_code")}, autoReply, processMsg
		}
	}
	return c, autoReply, processMsg
}
