package simulator

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The IM endpoints [DOC LZ-IM]: both lists page backwards in time from
// start_time, the next page starting after (next_start_time,
// last_session_id / last_message_id); page_size is at most 20.

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
	str := func(keys ...string) string {
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

// lazadaSession renders a session.
func (d *lazadaDialect) lazadaSessionLocked(shop *shopState, c *conversation) map[string]any {
	last := c.messages[len(c.messages)-1]
	summary := last.Text
	if summary == "" {
		summary = "[" + last.Type + "]"
	}
	return map[string]any{
		"session_id": c.id, "buyer_id": c.buyerID, "title": d.s.buyerNameLocked(c.buyerID),
		"head_url": "https://img.lazada.example/avatar/" + c.buyerID + ".png", "summary": summary,
		"last_message_id": last.ID, "last_message_time": strconv.FormatInt(last.CreatedAt.UnixMilli(), 10),
		"unread_count": strconv.Itoa(c.unread), "self_position": strconv.FormatInt(last.CreatedAt.UnixMilli(), 10),
		"to_position": "0", "tags": []string{}, "site_id": strings.ToUpper(shop.Site),
	}
}

// lazadaCursor parses start_time, page_size and the last ID of a list call.
func (d *lazadaDialect) lazadaCursor(w http.ResponseWriter, req lazadaRequest, lastKey string) (start int64, size int, last string, ok bool) {
	start, err := strconv.ParseInt(req.params.Get("start_time"), 10, 64)
	if err != nil || start <= 0 {
		d.fail(w, "ISV", "MissingParameter", "start_time (ms) is required")
		return 0, 0, "", false
	}
	size = lazadaDefaultPageSize
	if v := req.params.Get("page_size"); v != "" {
		size, err = strconv.Atoi(v)
		if err != nil || size <= 0 || size > lazadaMaxPageSize {
			d.fail(w, "ISV", "InvalidParameter", fmt.Sprintf("page_size must be between 1 and %d", lazadaMaxPageSize))
			return 0, 0, "", false
		}
	}
	return start, size, req.params.Get(lastKey), true
}

// before reports whether (t, id) comes after the cursor (start, last) in
// newest-first order.
func before(t int64, id string, start int64, last string) bool {
	if last == "" {
		return t <= start
	}
	return t < start || (t == start && compareNumeric(id, last) < 0)
}

// sessionList pages the shop's sessions newest first.
func (d *lazadaDialect) sessionList(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	start, size, last, ok := d.lazadaCursor(w, req, "last_session_id")
	if !ok {
		return
	}
	s := d.s
	quirks := s.faults.take(s.clock.Now(), bridge.PlatformLazada, "/im/session/list", req.shopID, FaultShufflePages, FaultRepeatPages)
	s.mu.Lock()
	shop := s.shops[req.shopID]
	var sel []*conversation
	for _, c := range lazadaSortedSessions(shop) {
		lm := c.messages[len(c.messages)-1]
		if before(lm.CreatedAt.UnixMilli(), c.id, start, last) {
			sel = append(sel, c)
		}
	}
	more := len(sel) > size
	pg := sel[:min(size, len(sel))]
	list := make([]any, 0, len(pg))
	for _, c := range pg {
		list = append(list, d.lazadaSessionLocked(shop, c))
	}
	data := map[string]any{"session_list": list, "has_more": more}
	if len(pg) > 0 {
		cur := pg[len(pg)-1]
		if hasQuirk(quirks, FaultRepeatPages) && len(pg) >= 2 && more {
			cur = pg[len(pg)-2]
		}
		data["next_start_time"] = cur.messages[len(cur.messages)-1].CreatedAt.UnixMilli()
		data["last_session_id"] = cur.id
	}
	s.mu.Unlock()
	if hasQuirk(quirks, FaultShufflePages) {
		s.shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	d.ok(w, data, true)
}

// lazadaSortedSessions orders sessions newest first, by last message time
// (ms) and then by ID.
func lazadaSortedSessions(shop *shopState) []*conversation {
	out := make([]*conversation, 0, len(shop.convs))
	for _, c := range shop.convs {
		if len(c.messages) > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *conversation) int {
		ta, tb := a.messages[len(a.messages)-1].CreatedAt.UnixMilli(), b.messages[len(b.messages)-1].CreatedAt.UnixMilli()
		if ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		return -compareNumeric(a.id, b.id)
	})
	return out
}

// sessionGet returns one session.
func (d *lazadaDialect) sessionGet(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	s := d.s
	s.mu.Lock()
	shop := s.shops[req.shopID]
	c := shop.convs[req.params.Get("session_id")]
	if c == nil || len(c.messages) == 0 {
		s.mu.Unlock()
		d.fail(w, "ISV", "InvalidParameter", "session_id not found")
		return
	}
	sess := d.lazadaSessionLocked(shop, c)
	s.mu.Unlock()
	d.ok(w, sess, true)
}

// messageList pages a session's messages newest first.
func (d *lazadaDialect) messageList(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	start, size, last, ok := d.lazadaCursor(w, req, "last_message_id")
	if !ok {
		return
	}
	s := d.s
	quirks := s.faults.take(s.clock.Now(), bridge.PlatformLazada, "/im/message/list", req.shopID, FaultShufflePages, FaultRepeatPages)
	s.mu.Lock()
	shop := s.shops[req.shopID]
	c := shop.convs[req.params.Get("session_id")]
	if c == nil {
		s.mu.Unlock()
		d.fail(w, "ISV", "InvalidParameter", "session_id not found")
		return
	}
	var sel []*Message
	for i := len(c.messages) - 1; i >= 0; i-- {
		m := c.messages[i]
		if before(m.CreatedAt.UnixMilli(), m.ID, start, last) {
			sel = append(sel, m)
		}
	}
	// Held oldest first by time and ID already; newest first here.
	more := len(sel) > size
	pg := sel[:min(size, len(sel))]
	list := make([]any, 0, len(pg))
	for _, m := range pg {
		e := d.lazadaRender(m, shop.Shop, shop.userID)
		// The list's samples show numbers as strings.
		e["send_time"] = strconv.FormatInt(m.CreatedAt.UnixMilli(), 10)
		e["template_id"] = strconv.Itoa(e["template_id"].(int))
		list = append(list, e)
	}
	data := map[string]any{"message_list": list, "has_more": more}
	if len(pg) > 0 {
		cur := pg[len(pg)-1]
		if hasQuirk(quirks, FaultRepeatPages) && len(pg) >= 2 && more {
			cur = pg[len(pg)-2]
		}
		data["next_start_time"] = cur.CreatedAt.UnixMilli()
		data["last_message_id"] = cur.ID
	}
	s.mu.Unlock()
	if hasQuirk(quirks, FaultShufflePages) {
		s.shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	}
	d.ok(w, data, true)
}

// messageSend stores a seller message sent through the API (and pushes it,
// as every message). Lazada's session rule is enforced: to a buyer quiet
// for a day, at most 5 messages.
func (d *lazadaDialect) messageSend(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	p := req.params
	tpl, err := strconv.Atoi(p.Get("template_id"))
	if err != nil {
		d.fail(w, "ISV", "MissingParameter", "template_id is required")
		return
	}
	s := d.s
	s.mu.Lock()
	c := s.shops[req.shopID].convs[p.Get("session_id")]
	var buyer string
	quietOut := 0
	var lastBuyer time.Time
	if c != nil {
		buyer = c.buyerID
		for _, m := range c.messages {
			if m.From == FromBuyer {
				lastBuyer, quietOut = m.CreatedAt, 0
			} else if m.Type != "system" {
				quietOut++
			}
		}
	}
	s.mu.Unlock()
	if c == nil {
		d.fail(w, "ISV", "InvalidParameter", "session_id not found")
		return
	}
	if s.clock.Now().Sub(lastBuyer) >= 24*time.Hour && quietOut >= 5 {
		d.fail(w, "ISV", lzCodeSessionLimit, lzMsgSessionLimit)
		return
	}
	var typ string
	var content map[string]any
	switch tpl {
	case 1:
		if strings.TrimSpace(p.Get("txt")) == "" {
			d.fail(w, "ISV", "MissingParameter", "txt is required")
			return
		}
		typ, content = "text", map[string]any{"text": p.Get("txt")}
	case 3:
		typ, content = "image", map[string]any{"imgUrl": p.Get("img_url"), "width": p.Get("width"), "height": p.Get("height")}
	case 4:
		typ, content = "emoji", map[string]any{"txt": p.Get("txt")}
	case 6:
		typ, content = "video", map[string]any{"videoId": p.Get("video_id"), "videoUrl": "https://video.lazada.example/" + p.Get("video_id") + ".mp4"}
	case 10006:
		typ, content = "item", map[string]any{"itemId": p.Get("item_id")}
	case 10007:
		typ, content = "order", map[string]any{"orderId": p.Get("order_id")}
	case 10008:
		typ, content = "voucher", map[string]any{"promotionId": p.Get("promotion_id")}
	default:
		d.fail(w, "ISV", "InvalidParameter", "template_id is not supported")
		return
	}
	m, err := s.addMessage(req.shopID, buyer, FromSellerAPI, typ, content)
	if err != nil {
		d.fail(w, "ISP", lzCodeServerError, lzMsgServerError)
		return
	}
	d.ok(w, map[string]any{"message_id": m.ID, "template_id": tpl, "current_time": m.CreatedAt.UnixMilli()}, true)
}

// sessionRead marks a session read and pushes a session update.
func (d *lazadaDialect) sessionRead(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	s := d.s
	s.mu.Lock()
	shop := s.shops[req.shopID]
	c := shop.convs[req.params.Get("session_id")]
	if c != nil {
		c.lastReadMessageID, c.unread = req.params.Get("last_read_message_id"), 0
		d.push.enqueue(d.sessionUpdatePush(shop.Shop, shop.userID, c))
	}
	s.mu.Unlock()
	if c == nil {
		d.fail(w, "ISV", "InvalidParameter", "session_id not found")
		return
	}
	d.ok(w, map[string]any{}, true)
}

// messageRecall recalls a seller message within 2 minutes of sending.
func (d *lazadaDialect) messageRecall(w http.ResponseWriter, r *http.Request, req lazadaRequest) {
	s := d.s
	s.mu.Lock()
	m, buyer, err := s.lazadaMessageLocked(req.shopID, req.params.Get("session_id"), req.params.Get("message_id"))
	s.mu.Unlock()
	switch {
	case err != nil:
		d.fail(w, "ISV", "InvalidParameter", "message_id not found")
		return
	case m.From == FromBuyer || m.Type == "system":
		d.fail(w, "ISV", "InvalidParameter", "only the seller's own messages can be recalled")
		return
	case s.clock.Now().Sub(m.CreatedAt) > 2*time.Minute:
		d.fail(w, "ISV", "InvalidParameter", "a message can be recalled within 2 minutes of sending")
		return
	}
	if err := d.recall(m, buyer); err != nil {
		d.fail(w, "ISP", lzCodeServerError, lzMsgServerError)
		return
	}
	d.ok(w, map[string]any{}, true)
}

// LazadaPolling is what the polling detector saw of one shop.
type LazadaPolling struct {
	// ListCalls counts the IM list calls of the shop.
	ListCalls int `json:"list_calls"`
	// MaxPerHour is the most list calls seen within one hour.
	MaxPerHour int `json:"max_per_hour"`
	// WouldRevoke counts the list calls beyond PollFlagPerHour within an
	// hour: each is one for which Lazada would reclaim the API permission.
	WouldRevoke int `json:"would_revoke"`
}

// countListCall feeds the polling detector.
func (d *lazadaDialect) countListCall(shopID, path string) {
	now := d.s.clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	recent := d.polls[shopID]
	i := 0
	for i < len(recent) && now.Sub(recent[i]) >= time.Hour {
		i++
	}
	recent = append(recent[i:], now)
	d.polls[shopID] = recent
	p := d.poll[shopID]
	if p == nil {
		p = &LazadaPolling{}
		d.poll[shopID] = p
	}
	p.ListCalls++
	p.MaxPerHour = max(p.MaxPerHour, len(recent))
	if len(recent) > d.cfg.PollFlagPerHour {
		p.WouldRevoke++
		if p.WouldRevoke == 1 {
			d.s.log.Warn("Lazada would reclaim the app's IM API permission: the IM lists are polled",
				"shop_id", shopID, "path", path, "calls_last_hour", len(recent), "limit", d.cfg.PollFlagPerHour)
		}
		if d.cfg.RevokeWhenFlagged {
			d.revoked = true
		}
	}
}

func (d *lazadaDialect) isRevoked() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.revoked
}

// LazadaPolling returns what the polling detector saw of a shop.
func (s *Simulator) LazadaPolling(shopID string) LazadaPolling {
	d := s.lazada()
	d.mu.Lock()
	defer d.mu.Unlock()
	if p := d.poll[shopID]; p != nil {
		return *p
	}
	return LazadaPolling{}
}

// LazadaPermissionRevoked reports whether the app's IM permission was
// reclaimed (RevokeWhenFlagged); RestoreLazadaPermission gives it back.
func (s *Simulator) LazadaPermissionRevoked() bool { return s.lazada().isRevoked() }

// RestoreLazadaPermission gives the app's IM API permission back.
func (s *Simulator) RestoreLazadaPermission() {
	d := s.lazada()
	d.mu.Lock()
	d.revoked = false
	d.mu.Unlock()
}

// compareNumeric compares decimal IDs by value, others as strings.
func compareNumeric(a, b string) int {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	if okA && okB {
		return x.Cmp(y)
	}
	return strings.Compare(a, b)
}

func parseUint(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }
