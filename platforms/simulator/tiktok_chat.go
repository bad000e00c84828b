package simulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopbridge/shopbridge/bridge"
)

// The customer-service endpoints of the TikTok dialect [DOC TT-CS].

// Senders only the TikTok dialect produces (AddTikTokMessage).
const (
	// FromSystem is TikTok's system (role SYSTEM).
	FromSystem Sender = "system"
	// FromRobot is TikTok's automatic reply (role ROBOT).
	FromRobot Sender = "robot"
)

// tiktokMetaPrefix marks content keys that are simulator metadata, never
// rendered: "_tiktok_invisible": true makes a message is_visible=false.
const (
	tiktokMetaPrefix   = "_tiktok_"
	tiktokInvisibleKey = "_tiktok_invisible"
)

// AddTikTokMessage stores a message of a TikTok shop with TikTok's own
// type and sender role, visible or not (is_visible=false messages, such as
// the rating request at the end of a conversation, must never be shown by
// clients), and delivers its webhook. from is FromBuyer, FromSellerAPI
// (role SHOP), FromSellerCentre (CUSTOMER_SERVICE), FromSystem or
// FromRobot; typ is a TikTok type (TEXT, NOTIFICATION, …) or a neutral one
// (text, image, …); for TEXT the content is {"content": text}.
func (s *Simulator) AddTikTokMessage(shopID, buyerID string, from Sender, typ string, content map[string]any, visible bool) (Message, error) {
	c := maps.Clone(content)
	if c == nil {
		c = TikTokSampleContent(typ, 1)
	}
	if typ == tiktokText {
		text, _ := c["content"].(string)
		typ, c = "text", map[string]any{"text": text}
	}
	if !visible {
		c[tiktokInvisibleKey] = true
	}
	return s.addMessage(shopID, buyerID, from, typ, c)
}

// SetTikTokCanSend sets a conversation's can_send_message (true by default).
func (s *Simulator) SetTikTokCanSend(conversationID string, can bool) {
	d := s.tiktok()
	d.mu.Lock()
	defer d.mu.Unlock()
	if can {
		delete(d.noSend, conversationID)
	} else {
		d.noSend[conversationID] = true
	}
}

// TikTok message types.
const (
	tiktokText      = "TEXT"
	tiktokImage     = "IMAGE"
	tiktokVideo     = "VIDEO"
	tiktokEmoticons = "EMOTICONS"
	tiktokProduct   = "PRODUCT_CARD"
	tiktokOrder     = "ORDER_CARD"
	tiktokRefund    = "RETURN_REFUND_CARD"
	tiktokCoupon    = "COUPON_CARD"
	tiktokOther     = "OTHER"
)

// TikTokMessageTypes are the types the API documents (incoming).
var TikTokMessageTypes = []string{tiktokText, tiktokImage, tiktokVideo, tiktokEmoticons, tiktokProduct, tiktokOrder, tiktokRefund, tiktokCoupon,
	"ALLOCATED_SERVICE", "NOTIFICATION", "BUYER_ENTER_FROM_TRANSFER", "BUYER_ENTER_FROM_PRODUCT", "BUYER_ENTER_FROM_ORDER", tiktokOther}

// TikTokSampleContent returns a content object of a TikTok type in the
// documented shape; n varies the IDs.
func TikTokSampleContent(typ string, n int) map[string]any {
	switch strings.ToUpper(typ) {
	case tiktokText, "ALLOCATED_SERVICE", "NOTIFICATION", "BUYER_ENTER_FROM_TRANSFER", tiktokOther:
		return map[string]any{"content": fmt.Sprintf("%s %d", strings.ToLower(typ), n)}
	case tiktokImage:
		return map[string]any{"url": fmt.Sprintf("https://p16-oec.tiktok.example/img%d.image", n), "width": "304", "height": "290"}
	case tiktokVideo:
		return map[string]any{"url": fmt.Sprintf("https://video.tiktok.example/v%d.mp4", n), "cover": fmt.Sprintf("https://p16-oec.tiktok.example/v%d.jpeg", n),
			"width": 640, "height": 360, "duration": "20.504", "vid": fmt.Sprintf("v%d", n), "format": "mp4"}
	case tiktokEmoticons:
		return map[string]any{"emoticon_id": strconv.Itoa(100 + n), "url": fmt.Sprintf("https://p16-oec.tiktok.example/emoticon%d.png", n)}
	case tiktokProduct, "BUYER_ENTER_FROM_PRODUCT":
		return map[string]any{"product_id": strconv.FormatInt(1729000000000000000+int64(n), 10)}
	case tiktokOrder, "BUYER_ENTER_FROM_ORDER":
		return map[string]any{"order_id": strconv.FormatInt(576000000000000000+int64(n), 10)}
	case tiktokRefund:
		return map[string]any{"order_id": strconv.FormatInt(576000000000000000+int64(n), 10), "sku_id": strconv.FormatInt(1729100000000000000+int64(n), 10)}
	case tiktokCoupon:
		return map[string]any{"coupon_id": strconv.FormatInt(7262992004278206000+int64(n), 10)}
	}
	return map[string]any{}
}

// tiktokTypeContent renders a stored message as TikTok's type and content.
// Neutral types (the shared state's, as scripted buyers and other dialects
// write them) map to TikTok's; TikTok types pass through.
func tiktokTypeContent(m *Message) (string, map[string]any) {
	str := func(keys ...string) string { return contentString(m.Content, keys...) }
	switch m.Type {
	case "text":
		return tiktokText, map[string]any{"content": m.Text}
	case "image":
		return tiktokImage, map[string]any{"url": str("url", "image_url"), "width": "320", "height": "320"}
	case "video":
		return tiktokVideo, map[string]any{"url": str("video_url", "url"), "cover": str("thumb_url"), "width": 640, "height": 360, "duration": str("duration_seconds")}
	case "sticker":
		id := str("sticker_id")
		return tiktokEmoticons, map[string]any{"emoticon_id": id, "url": "https://p16-oec.tiktok.example/emoticon" + id + ".png"}
	case "item":
		return tiktokProduct, map[string]any{"product_id": str("item_id", "product_id")}
	case "order":
		return tiktokOrder, map[string]any{"order_id": str("order_sn", "order_id")}
	case "voucher":
		return tiktokCoupon, map[string]any{"coupon_id": str("voucher_id", "coupon_id")}
	}
	if m.Type == strings.ToUpper(m.Type) && m.Type != "" {
		out := map[string]any{}
		for k, v := range m.Content {
			if !strings.HasPrefix(k, tiktokMetaPrefix) {
				out[k] = v
			}
		}
		return m.Type, out
	}
	// A type TikTok's API does not support (offers, bundles, …).
	return tiktokOther, map[string]any{"content": "Please check this message in Seller Center."}
}

func tiktokVisible(m *Message) bool {
	v, _ := m.Content[tiktokInvisibleKey].(bool)
	return !v
}

func tiktokRole(from Sender) string {
	switch from {
	case FromBuyer:
		return "BUYER"
	case FromSellerAPI:
		return "SHOP"
	case FromSellerCentre:
		return "CUSTOMER_SERVICE"
	case FromSystem:
		return "SYSTEM"
	case FromRobot:
		return "ROBOT"
	}
	return "SHOP"
}

// IM user IDs: the simulator derives them from the buyer and shop IDs.
func tiktokBuyerIM(buyerID string) string   { return "70" + buyerID }
func tiktokShopIM(shopUserID string) string { return "69" + shopUserID }

// tiktokMessageLocked renders a message as Get Conversation Messages does;
// the caller holds the state lock (and takes d.mu inside it).
func (d *tiktokDialect) tiktokMessageLocked(shop *shopState, m *Message) map[string]any {
	typ, content := tiktokTypeContent(m)
	raw, _ := json.Marshal(content)
	sender := map[string]any{"role": tiktokRole(m.From), "avatar": "https://p16-oec.tiktok.example/avatar.image"}
	if m.From == FromBuyer {
		sender["im_user_id"], sender["nickname"] = tiktokBuyerIM(m.BuyerID), d.s.buyerNameLocked(m.BuyerID)
	} else {
		// SYSTEM and ROBOT carry the shop's IM ID and nickname [DOC].
		sender["im_user_id"], sender["nickname"] = tiktokShopIM(shop.userID), shop.Name
		if m.From == FromSellerCentre {
			sender["nickname"] = shop.Name + " agent"
		}
	}
	d.mu.Lock()
	idx := d.index[m.ID]
	d.mu.Unlock()
	return map[string]any{
		"id": m.ID, "type": typ, "content": string(raw), "create_time": m.CreatedAt.Unix(),
		"is_visible": tiktokVisible(m), "sender": sender, "index": strconv.FormatInt(idx, 10),
	}
}

// tiktokConversationLocked renders a conversation as Get Conversations does.
func (d *tiktokDialect) tiktokConversationLocked(shop *shopState, c *conversation) map[string]any {
	count := 2
	for _, m := range c.messages {
		if m.From == FromSellerCentre {
			count = 3
			break
		}
	}
	d.mu.Lock()
	canSend := !d.noSend[c.id]
	d.mu.Unlock()
	return map[string]any{
		"id": c.id, "participant_count": count, "can_send_message": canSend, "unread_count": c.unread,
		"create_time": c.messages[0].CreatedAt.Unix(),
		"participants": []any{
			map[string]any{"im_user_id": tiktokBuyerIM(c.buyerID), "user_id": c.buyerID, "role": "BUYER",
				"nickname": d.s.buyerNameLocked(c.buyerID), "avatar": "https://p16-oec.tiktok.example/buyer.image", "buyer_platform": "TIKTOK_SHOP"},
			map[string]any{"im_user_id": tiktokShopIM(shop.userID), "user_id": "", "role": "SHOP",
				"nickname": shop.Name, "avatar": "https://p16-oec.tiktok.example/shop.image"},
		},
		"latest_message": d.tiktokMessageLocked(shop, c.messages[len(c.messages)-1]),
	}
}

// pageSize reads a required page_size between 1 and max.
func (d *tiktokDialect) pageSize(w http.ResponseWriter, v string, maxSize int) (int, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxSize {
		d.fail(w, 0, 45101001, fmt.Sprintf("Invalid parameter. Please check the parameters. (page_size must be between 1 and %d)", maxSize))
		return 0, false
	}
	return n, true
}

// getConversations pages the shop's conversations, newest activity first;
// page_token is the activity of the previous page's last entry and
// next_page_token is "" on the last page.
func (d *tiktokDialect) getConversations(w http.ResponseWriter, r *http.Request, req tiktokRequest) {
	const path = "/customer_service/202309/conversations"
	q := r.URL.Query()
	size, ok := d.pageSize(w, q.Get("page_size"), tiktokMaxConversationPage)
	if !ok {
		return
	}
	var cursor int64
	if v := q.Get("page_token"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			d.fail(w, 0, 45101001, "Invalid parameter. Please check the parameters. (page_token)")
			return
		}
		cursor = n
	}
	s := d.s
	quirks := s.faults.take(s.clock.Now(), bridge.PlatformTikTok, path, req.shopID, FaultShufflePages, FaultRepeatPages)
	s.mu.Lock()
	shop := s.shops[req.shopID]
	var sel []*conversation
	for _, c := range shop.sortedConversations() {
		if cursor == 0 || c.lastNano < cursor {
			sel = append(sel, c)
		}
	}
	more := len(sel) > size
	page := sel[:min(size, len(sel))]
	list := make([]any, 0, len(page))
	for _, c := range page {
		list = append(list, d.tiktokConversationLocked(shop, c))
	}
	next := ""
	if more {
		last := page[len(page)-1]
		if hasQuirk(quirks, FaultRepeatPages) && len(page) >= 2 {
			last = page[len(page)-2]
		}
		next = strconv.FormatInt(last.lastNano, 10)
	}
	s.mu.Unlock()
	if hasQuirk(quirks, FaultShufflePages) {
		s.shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	d.ok(w, map[string]any{"conversations": list, "next_page_token": next})
}

// getMessages pages a conversation's messages by index (or create_time),
// DESC by default; page_token is the index of the previous page's last
// message. Invisible messages are listed with is_visible=false.
func (d *tiktokDialect) getMessages(w http.ResponseWriter, r *http.Request, req tiktokRequest) {
	q := r.URL.Query()
	size, ok := d.pageSize(w, q.Get("page_size"), tiktokMaxMessagePage)
	if !ok {
		return
	}
	order := q.Get("sort_order")
	if order == "" {
		order = "DESC"
	}
	field := q.Get("sort_field")
	if (order != "DESC" && order != "ASC") || (field != "" && field != "create_time" && field != "index") {
		d.fail(w, 0, 45101001, "Invalid parameter. Please check the parameters. (sort_order, sort_field)")
		return
	}
	var cursor int64
	if v := q.Get("page_token"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			d.fail(w, 0, 45101001, "Invalid parameter. Please check the parameters. (page_token)")
			return
		}
		cursor = n
	}
	path := r.URL.Path
	s := d.s
	quirks := s.faults.take(s.clock.Now(), bridge.PlatformTikTok, path, req.shopID, FaultShufflePages, FaultRepeatPages)
	s.mu.Lock()
	shop := s.shops[req.shopID]
	c := shop.convs[r.PathValue("conversation_id")]
	if c == nil {
		s.mu.Unlock()
		d.fail(w, 0, 45101003, "Record not found. Please check the parameters.")
		return
	}
	// Stored order is index order (indexes grow with storage): by
	// create_time the same, as messages never go back in time.
	d.mu.Lock()
	idx := func(m *Message) int64 { return d.index[m.ID] }
	var sel []*Message
	if order == "DESC" {
		for i := len(c.messages) - 1; i >= 0; i-- {
			if cursor == 0 || idx(c.messages[i]) < cursor {
				sel = append(sel, c.messages[i])
			}
		}
	} else {
		for _, m := range c.messages {
			if cursor == 0 || idx(m) > cursor {
				sel = append(sel, m)
			}
		}
	}
	more := len(sel) > size
	page := sel[:min(size, len(sel))]
	next := ""
	if more {
		last := page[len(page)-1]
		if hasQuirk(quirks, FaultRepeatPages) && len(page) >= 2 {
			last = page[len(page)-2]
		}
		next = strconv.FormatInt(idx(last), 10)
	}
	d.mu.Unlock()
	list := make([]any, 0, len(page))
	for _, m := range page {
		list = append(list, d.tiktokMessageLocked(shop, m))
	}
	s.mu.Unlock()
	if hasQuirk(quirks, FaultShufflePages) {
		s.shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	d.ok(w, map[string]any{"messages": list, "next_page_token": next, "unsupported_msg_tips": "Please check this message in Seller Center.\n"})
}

// sendMessage stores a message sent through the API (type TEXT, IMAGE or
// a card; content a JSON-serialized string) and returns its message_id.
func (d *tiktokDialect) sendMessage(w http.ResponseWriter, r *http.Request, req tiktokRequest) {
	var body struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	var content map[string]any
	dec := json.NewDecoder(strings.NewReader(body.Content))
	dec.UseNumber()
	if err := dec.Decode(&content); err != nil || content == nil {
		d.fail(w, 0, 45101001, "Invalid parameter. Please check the parameters. (content must be a JSON object serialized as a string)")
		return
	}
	convID := r.PathValue("conversation_id")
	s := d.s
	s.mu.Lock()
	c := s.shops[req.shopID].convs[convID]
	buyer := ""
	if c != nil {
		buyer = c.buyerID
	}
	s.mu.Unlock()
	if c == nil {
		d.fail(w, 0, 45101003, "Record not found. Please check the parameters.")
		return
	}
	cfg := d.config()
	d.mu.Lock()
	noSend := d.noSend[convID]
	d.mu.Unlock()
	if noSend {
		d.fail(w, 0, 45109001, "Unable to send messages due to conversation rules. For details, please refer to Customer Service API overview.")
		return
	}
	var (
		typ    string
		stored map[string]any
	)
	switch body.Type {
	case tiktokText:
		text, _ := content["content"].(string)
		if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > cfg.MaxTextLength {
			d.fail(w, 0, 45101001, "Invalid parameter. Please check the parameters.")
			return
		}
		for _, word := range cfg.SensitiveWords {
			if word != "" && strings.Contains(strings.ToLower(text), strings.ToLower(word)) {
				d.fail(w, 0, 45101006, "You cannot send the message containing sensitive content. Please check the message.")
				return
			}
		}
		typ, stored = "text", map[string]any{"text": text}
	case tiktokImage, tiktokProduct, tiktokOrder, tiktokRefund, tiktokCoupon:
		typ, stored = body.Type, content
	default:
		d.fail(w, 0, 45101001, "Invalid parameter. Please check the parameters. (type)")
		return
	}
	m, err := s.addMessage(req.shopID, buyer, FromSellerAPI, typ, stored)
	if err != nil {
		d.fail(w, 0, 45101003, "Record not found. Please check the parameters.")
		return
	}
	d.ok(w, map[string]any{"message_id": m.ID})
}

// readMessages marks every message of the conversation read.
func (d *tiktokDialect) readMessages(w http.ResponseWriter, r *http.Request, req tiktokRequest) {
	s := d.s
	s.mu.Lock()
	c := s.shops[req.shopID].convs[r.PathValue("conversation_id")]
	if c != nil {
		c.unread = 0
		c.lastReadMessageID = c.messages[len(c.messages)-1].ID
	}
	s.mu.Unlock()
	if c == nil {
		d.fail(w, 0, 45101003, "Record not found. Please check the parameters.")
		return
	}
	d.ok(w, map[string]any{})
}
