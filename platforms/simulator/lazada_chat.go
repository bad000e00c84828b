package simulator

import (
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
