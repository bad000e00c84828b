package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// The sellerchat endpoints [SDK SH-TS, SH-GO, SH-PHP; ordering OBS SH-OBS].

// getConversationList pages conversations by last_message_timestamp
// (nanoseconds): direction=older without a cursor gives the newest first and
// next_timestamp_nano pages to older ones; direction=latest without a cursor
// gives the oldest first. page_size above 25 returns an empty list.
func (d *shopeeDialect) getConversationList(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	const path = "/api/v2/sellerchat/get_conversation_list"
	q := r.URL.Query()
	dir := q.Get("direction")
	if dir != "older" && dir != "latest" {
		d.fail(w, 0, "error_param", "direction must be latest or older.")
		return
	}
	typ := q.Get("type")
	if typ == "" {
		typ = "all"
	}
	if typ != "all" && typ != "pinned" && typ != "unread" {
		d.fail(w, 0, "error_param", "type must be all, pinned or unread.")
		return
	}
	size, ok := d.pageSize(w, q.Get("page_size"))
	if !ok {
		return
	}
	var cursor int64
	if v := q.Get("next_timestamp_nano"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			d.fail(w, 0, "error_param", "Invalid next_timestamp_nano.")
			return
		}
		cursor = n
	}
	emptyPage := map[string]any{"conversations": []any{}, "page_result": map[string]any{
		"page_size": 0, "next_cursor": map[string]any{"next_message_time_nano": "0", "conversation_id": ""}, "more": false}}
	if size > shopeeMaxPageSize || typ == "pinned" { // the simulator pins nothing
		d.ok(w, emptyPage)
		return
	}
	s := d.s
	quirks := s.faults.take(s.clock.Now(), bridge.PlatformShopee, path, req.shopID, FaultShufflePages, FaultRepeatPages)
	s.mu.Lock()
	shop := s.shops[req.shopID]
	convs := shop.sortedConversations()
	if dir == "latest" {
		for i, j := 0, len(convs)-1; i < j; i, j = i+1, j-1 {
			convs[i], convs[j] = convs[j], convs[i]
		}
	}
	var sel []*conversation
	for _, c := range convs {
		if typ == "unread" && c.unread == 0 {
			continue
		}
		if cursor == 0 || (dir == "older" && c.lastNano < cursor) || (dir == "latest" && c.lastNano > cursor) {
			sel = append(sel, c)
		}
	}
	more := len(sel) > size
	page := sel[:min(size, len(sel))]
	list := make([]any, 0, len(page))
	for _, c := range page {
		list = append(list, s.shopeeConversationLocked(shop, c))
	}
	next := map[string]any{"next_message_time_nano": "0", "conversation_id": ""}
	if len(page) > 0 {
		last := page[len(page)-1]
		if hasQuirk(quirks, FaultRepeatPages) && len(page) >= 2 && more {
			last = page[len(page)-2] // the next page starts with this page's last entry again
		}
		next = map[string]any{"next_message_time_nano": strconv.FormatInt(last.lastNano, 10), "conversation_id": last.id}
	}
	s.mu.Unlock()
	if hasQuirk(quirks, FaultShufflePages) {
		s.shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	d.ok(w, map[string]any{"conversations": list, "page_result": map[string]any{"page_size": len(list), "next_cursor": next, "more": more}})
}

// getOneConversation returns one conversation.
func (d *shopeeDialect) getOneConversation(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	s := d.s
	s.mu.Lock()
	shop := s.shops[req.shopID]
	c := shop.convs[r.URL.Query().Get("conversation_id")]
	if c == nil || len(c.messages) == 0 {
		s.mu.Unlock()
		d.fail(w, 0, "error_param", "Invalid conversation_id.")
		return
	}
	conv := s.shopeeConversationLocked(shop, c)
	s.mu.Unlock()
	d.ok(w, conv)
}

// getMessage pages a conversation's messages, newest first; offset is the
// cursor of the next (older) page and next_offset is "" at the end.
func (d *shopeeDialect) getMessage(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	const path = "/api/v2/sellerchat/get_message"
	q := r.URL.Query()
	if _, err := strconv.ParseInt(q.Get("conversation_id"), 10, 64); err != nil {
		d.fail(w, 0, "error_param", "conversation_id is required.")
		return
	}
	size, ok := d.pageSize(w, q.Get("page_size"))
	if !ok {
		return
	}
	size = min(size, shopeeMaxPageSize)
	s := d.s
	quirks := s.faults.take(s.clock.Now(), bridge.PlatformShopee, path, req.shopID, FaultShufflePages, FaultRepeatPages)
	s.mu.Lock()
	shop := s.shops[req.shopID]
	c := shop.convs[q.Get("conversation_id")]
	if c == nil {
		s.mu.Unlock()
		d.fail(w, 0, "error_param", "Invalid conversation_id.")
		return
	}
	start := len(c.messages) - 1
	if off := q.Get("offset"); off != "" {
		i := -1
		for k, m := range c.messages {
			if m.ID == off {
				i = k
				break
			}
		}
		if i < 0 {
			s.mu.Unlock()
			d.fail(w, 0, "error_param", "Invalid offset.")
			return
		}
		start = i - 1
	}
	var page []*Message
	for i := start; i >= 0 && len(page) < size; i-- {
		page = append(page, c.messages[i])
	}
	nextOffset := ""
	if len(page) > 0 && start-len(page) >= 0 {
		last := page[len(page)-1]
		if hasQuirk(quirks, FaultRepeatPages) && len(page) >= 2 {
			last = page[len(page)-2]
		}
		nextOffset = last.ID
	}
	list := make([]any, 0, len(page))
	for _, m := range page {
		list = append(list, shopeeMessage(shop, m))
	}
	s.mu.Unlock()
	if hasQuirk(quirks, FaultShufflePages) {
		s.shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	d.ok(w, map[string]any{"messages": list, "page_result": map[string]any{"page_size": len(list), "next_offset": nextOffset}})
}

// sendMessage stores a seller message sent through the API and returns it
// with conversation_id as a bare number (a documented gotcha).
func (d *shopeeDialect) sendMessage(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	var body struct {
		ToID        json.Number    `json:"to_id"`
		MessageType string         `json:"message_type"`
		Content     map[string]any `json:"content"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	if strings.EqualFold(req.shop.Site, "TW") {
		d.fail(w, 0, "error_param", msgTWCannotSend)
		return
	}
	toID, err := strconv.ParseInt(body.ToID.String(), 10, 64)
	if err != nil || toID <= 0 {
		d.fail(w, 0, "error_param", "Invalid to_id.")
		return
	}
	content, msg := sendContent(body.MessageType, body.Content)
	if msg != "" {
		d.fail(w, 0, "error_param", msg)
		return
	}
	m, err := d.s.addMessage(req.shopID, strconv.FormatInt(toID, 10), FromSellerAPI, body.MessageType, content)
	if err != nil {
		d.fail(w, 0, "error_param", "Invalid to_id.")
		return
	}
	d.ok(w, map[string]any{
		"message_id": m.ID, "to_id": toID, "message_type": m.Type, "content": m.Content,
		"conversation_id":   json.RawMessage(m.ConversationID),
		"created_timestamp": m.CreatedAt.Unix(), "message_option": 0,
	})
}

// sendContent checks a send's content and returns what is stored.
func sendContent(typ string, c map[string]any) (map[string]any, string) {
	str := func(k string) string {
		switch v := c[k].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	switch typ {
	case "text":
		if strings.TrimSpace(str("text")) == "" {
			return nil, "content.text is required."
		}
		return map[string]any{"text": str("text")}, ""
	case "image":
		if str("image_url") == "" {
			return nil, "content.image_url is required."
		}
		return map[string]any{"url": str("image_url"), "thumb_url": str("image_url")}, ""
	case "sticker":
		if str("sticker_id") == "" || str("sticker_package_id") == "" {
			return nil, "content.sticker_id and sticker_package_id are required."
		}
	case "item":
		if str("item_id") == "" {
			return nil, "content.item_id is required."
		}
	case "order":
		if str("order_sn") == "" {
			return nil, "content.order_sn is required."
		}
	case "video", "voucher":
	default:
		return nil, "Invalid message_type."
	}
	return c, ""
}

// readConversation marks a conversation read.
func (d *shopeeDialect) readConversation(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	var body struct {
		ConversationID    json.Number `json:"conversation_id"`
		LastReadMessageID string      `json:"last_read_message_id"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	s := d.s
	s.mu.Lock()
	c := s.shops[req.shopID].convs[body.ConversationID.String()]
	if c != nil {
		c.lastReadMessageID, c.unread = body.LastReadMessageID, 0
	}
	s.mu.Unlock()
	if c == nil {
		d.fail(w, 0, "error_param", "Invalid conversation_id.")
		return
	}
	d.ok(w, map[string]any{})
}

// unreadConversation marks a conversation unread.
func (d *shopeeDialect) unreadConversation(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	var body struct {
		ConversationID json.Number `json:"conversation_id"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	s := d.s
	s.mu.Lock()
	c := s.shops[req.shopID].convs[body.ConversationID.String()]
	if c != nil {
		c.unread = max(c.unread, 1)
	}
	s.mu.Unlock()
	if c == nil {
		d.fail(w, 0, "error_param", "Invalid conversation_id.")
		return
	}
	d.ok(w, map[string]any{})
}

// unreadCount counts unread conversations (not messages).
func (d *shopeeDialect) unreadCount(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	s := d.s
	s.mu.Lock()
	n := 0
	for _, c := range s.shops[req.shopID].convs {
		if c.unread > 0 {
			n++
		}
	}
	s.mu.Unlock()
	d.ok(w, map[string]any{"total_unread_count": n})
}

func (d *shopeeDialect) pageSize(w http.ResponseWriter, v string) (int, bool) {
	if v == "" {
		return shopeeDefaultPageSize, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		d.fail(w, 0, "error_param", "Invalid page_size.")
		return 0, false
	}
	return n, true
}

// shopeeConversationLocked renders a conversation as get_conversation_list does.
func (s *Simulator) shopeeConversationLocked(shop *shopState, c *conversation) map[string]any {
	last := c.messages[len(c.messages)-1]
	latest := last.Content
	if last.Type == "text" {
		latest = map[string]any{"text": last.Text}
	}
	buyer, _ := strconv.ParseInt(c.buyerID, 10, 64)
	shopID, _ := strconv.ParseInt(shop.ShopID, 10, 64)
	return map[string]any{
		"conversation_id":              c.id,
		"to_id":                        buyer,
		"to_name":                      s.buyerNameLocked(c.buyerID),
		"to_avatar":                    "",
		"shop_id":                      shopID,
		"unread_count":                 c.unread,
		"pinned":                       false,
		"mute":                         false,
		"last_read_message_id":         c.lastReadMessageID,
		"latest_message_id":            last.ID,
		"latest_message_type":          last.Type,
		"latest_message_content":       latest,
		"latest_message_from_id":       fromID(shop, last),
		"last_message_timestamp":       c.lastNano,
		"last_message_option":          0,
		"max_general_option_hide_time": "9223372036854775807",
	}
}

// shopeeMessage renders a message as get_message does.
func shopeeMessage(shop *shopState, m *Message) map[string]any {
	shopID, _ := strconv.ParseInt(shop.ShopID, 10, 64)
	buyer, _ := strconv.ParseInt(m.BuyerID, 10, 64)
	user, _ := strconv.ParseInt(shop.userID, 10, 64)
	out := map[string]any{
		"message_id":        m.ID,
		"message_type":      m.Type,
		"conversation_id":   m.ConversationID,
		"created_timestamp": m.CreatedAt.Unix(),
		"region":            shop.Site,
		"status":            "normal",
		"content":           m.Content,
		"message_option":    0,
		"source_content":    map[string]any{},
		"quoted_msg":        nil,
	}
	if m.From == FromBuyer {
		out["from_id"], out["from_shop_id"], out["to_id"], out["to_shop_id"], out["source"] = buyer, 0, user, shopID, "chat"
	} else {
		source := "web"
		if m.From == FromSellerAPI {
			source = "api"
		}
		out["from_id"], out["from_shop_id"], out["to_id"], out["to_shop_id"], out["source"] = user, shopID, buyer, 0, source
	}
	return out
}

func fromID(shop *shopState, m *Message) int64 {
	id := m.BuyerID
	if m.From != FromBuyer {
		id = shop.userID
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

func hasQuirk(fs []ActiveFault, kind FaultKind) bool {
	for _, f := range fs {
		if f.Fault.Kind == kind {
			return true
		}
	}
	return false
}

// shuffle permutes n items with the seeded generator.
func (s *Simulator) shuffle(n int, swap func(i, j int)) {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	s.rng.Shuffle(n, swap)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
