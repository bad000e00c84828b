package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Webchat push (code 10) delivery and the lost-push list [DOC SH-PUSH,
// SH-WCPUSH, SH-SCHEMA].

// LostPush is a push the simulator could not deliver (or was told to drop).
type LostPush struct {
	ID        int64     `json:"id"`
	ShopID    string    `json:"shop_id"`
	Code      int       `json:"code"`
	Timestamp int64     `json:"timestamp"`
	Data      string    `json:"data"`
	LostAt    time.Time `json:"lost_at"`
	Consumed  bool      `json:"consumed"`
}

type pushJob struct {
	shopID string
	ts     int64
	body   []byte
	data   []byte
}

// messageAdded queues the webchat push of a new message. It is called with
// the simulator's state lock held and never blocks.
func (d *shopeeDialect) messageAdded(m Message, shop Shop, shopUserID, buyerName string) {
	d.mu.Lock()
	cb := d.callback
	d.mu.Unlock()
	if cb == "" {
		return
	}
	shopID, _ := strconv.ParseInt(shop.ShopID, 10, 64)
	buyer, _ := strconv.ParseInt(m.BuyerID, 10, 64)
	user, _ := strconv.ParseInt(shopUserID, 10, 64)
	content := map[string]any{
		"message_id": m.ID, "shop_id": shopID, "request_id": d.s.randHex(16),
		"message_type": m.Type, "content": m.Content, "conversation_id": m.ConversationID,
		"created_timestamp": m.CreatedAt.Unix(), "region": shop.Site, "is_in_chatbot_session": false,
		"source_content": map[string]any{}, "quoted_msg": nil, "status": "normal", "business_type": 0,
	}
	if m.From == FromBuyer {
		content["from_id"], content["from_user_name"], content["to_id"], content["to_user_name"] = buyer, buyerName, user, shop.Name
		content["from_shop_id"], content["to_shop_id"] = 0, shopID
	} else {
		content["from_id"], content["from_user_name"], content["to_id"], content["to_user_name"] = user, shop.Name, buyer, buyerName
		content["from_shop_id"], content["to_shop_id"] = shopID, 0
	}
	data, _ := json.Marshal(map[string]any{"type": "message", "region": shop.Site, "content": content})
	ts := d.s.clock.Now().Unix()
	body, _ := json.Marshal(map[string]any{
		"msg_id": d.s.randHex(16), "data": json.RawMessage(data), "shop_id": shopID, "code": 10, "timestamp": ts,
	})
	job := pushJob{shopID: shop.ShopID, ts: ts, body: body, data: data}
	select {
	case d.pushQ <- job:
	default:
		d.addLost(job)
	}
}

// startPushes starts the delivery goroutine (once).
func (d *shopeeDialect) startPushes() {
	d.pushOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		d.pushWG.Add(2)
		go func() {
			defer d.pushWG.Done()
			<-d.s.closed
			cancel()
		}()
		go func() {
			defer d.pushWG.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-d.pushQ:
					d.deliver(ctx, job)
				}
			}
		}()
	})
}

func (d *shopeeDialect) wait() { d.pushWG.Wait() }

// deliver posts one push, redelivering after PushRetryWaits, and lists it
// as lost when every attempt failed or a drop_pushes fault matches.
func (d *shopeeDialect) deliver(ctx context.Context, job pushJob) {
	if len(d.s.faults.take(d.s.clock.Now(), bridge.PlatformShopee, "push", job.shopID, FaultDropPushes)) > 0 {
		d.addLost(job)
		return
	}
	for attempt := 0; ; attempt++ {
		d.mu.Lock()
		cb := d.callback
		d.mu.Unlock()
		if cb == "" {
			return
		}
		if d.post(ctx, cb, job.body) {
			return
		}
		if attempt >= len(d.s.cfg.PushRetryWaits) {
			d.addLost(job)
			return
		}
		select {
		case <-d.s.clock.After(d.s.cfg.PushRetryWaits[attempt]):
		case <-ctx.Done():
			return
		}
	}
}

// post sends a push signed as Shopee does: Authorization is
// hex(HMAC-SHA256(partner_key, callback_url + "|" + body)).
func (d *shopeeDialect) post(ctx context.Context, callback string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callback, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", PushSignature(d.s.cfg.PartnerKey, callback, body))
	resp, err := d.pushHTTP.Do(req)
	if err != nil {
		d.s.log.Debug("push not delivered", "err", err)
		return false
	}
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// PushSignature is the Authorization header of a Shopee push of body to
// callbackURL, for tests that forge or replay pushes.
func PushSignature(partnerKey, callbackURL string, body []byte) string {
	m := hmac.New(sha256.New, []byte(partnerKey))
	m.Write([]byte(callbackURL + "|"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// WebchatPushBody builds a webchat push body (code 10) for shopID at time
// ts, as Shopee sends it, for tests of a push endpoint.
func WebchatPushBody(shopID string, conversationID string, ts time.Time) []byte {
	shop, _ := strconv.ParseInt(shopID, 10, 64)
	b, _ := json.Marshal(map[string]any{
		"msg_id": "", "shop_id": shop, "code": 10, "timestamp": ts.Unix(),
		"data": map[string]any{"type": "message", "region": "MY", "content": map[string]any{
			"conversation_id": conversationID, "message_id": strconv.FormatInt(ts.UnixNano(), 10), "message_type": "text",
			"content": map[string]any{"text": "hello"}, "created_timestamp": ts.Unix(), "shop_id": shop,
		}},
	})
	return b
}

func (d *shopeeDialect) addLost(job pushJob) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lostSeq++
	d.lost = append(d.lost, LostPush{ID: d.lostSeq, ShopID: job.shopID, Code: 10, Timestamp: job.ts,
		Data: string(job.data), LostAt: d.s.clock.Now()})
}

// SetPushCallback sets (or, with "", clears) the URL that receives Shopee
// pushes (what set_app_push_config does).
func (s *Simulator) SetPushCallback(url string) {
	s.shopee.mu.Lock()
	s.shopee.callback = url
	s.shopee.mu.Unlock()
}

// LostPushes lists the Shopee pushes that could not be delivered and are
// still retained (consumed ones included).
func (s *Simulator) LostPushes() []LostPush {
	d := s.shopee
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pruneLostLocked()
	return append([]LostPush(nil), d.lost...)
}

func (d *shopeeDialect) pruneLostLocked() {
	cutoff := d.s.clock.Now().Add(-d.s.cfg.LostPushRetention)
	kept := d.lost[:0]
	for _, l := range d.lost {
		if l.LostAt.After(cutoff) {
			kept = append(kept, l)
		}
	}
	d.lost = kept
}

// getLostPushes returns the earliest 100 unconsumed lost pushes.
func (d *shopeeDialect) getLostPushes(w http.ResponseWriter, r *http.Request, _ shopeeRequest) {
	d.mu.Lock()
	d.pruneLostLocked()
	var page []any
	var last int64
	more := false
	for _, l := range d.lost {
		if l.Consumed {
			continue
		}
		if len(page) == 100 {
			more = true
			break
		}
		shop, _ := strconv.ParseInt(l.ShopID, 10, 64)
		page = append(page, map[string]any{"shop_id": shop, "code": l.Code, "timestamp": l.Timestamp, "data": l.Data})
		last = l.ID
	}
	d.mu.Unlock()
	if page == nil {
		page = []any{}
	}
	d.ok(w, map[string]any{"push_message_list": page, "has_next_page": more, "last_message_id": last})
}

// confirmLostPushes marks every lost push up to last_message_id consumed.
func (d *shopeeDialect) confirmLostPushes(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	var body struct {
		LastMessageID json.Number `json:"last_message_id"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	last, err := strconv.ParseInt(body.LastMessageID.String(), 10, 64)
	if err != nil {
		d.fail(w, 0, "error_param", "Invalid last_message_id.")
		return
	}
	d.mu.Lock()
	for i := range d.lost {
		if d.lost[i].ID <= last {
			d.lost[i].Consumed = true
		}
	}
	d.mu.Unlock()
	d.ok(w, map[string]any{})
}

// setPushConfig sets the callback URL (set_app_push_config).
func (d *shopeeDialect) setPushConfig(w http.ResponseWriter, r *http.Request, req shopeeRequest) {
	var body struct {
		CallbackURL string `json:"callback_url"`
	}
	if !d.decodeBody(w, req, &body) {
		return
	}
	d.s.SetPushCallback(body.CallbackURL)
	d.ok(w, map[string]any{})
}
