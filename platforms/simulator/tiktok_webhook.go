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
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Webhooks of the TikTok dialect [DOC TT-WH]: type 14 for every new
// message of a customer-service conversation (the buyer's, the shop's own,
// system messages, invisible ones too), type 13 when a conversation
// starts; signed as the SDKs verify them (Authorization: hex
// HMAC-SHA256(app_secret, app_key + body)); a delivery fails unless
// answered 200 within WebhookTimeout, and is retried after each of
// WebhookRetryWaits (2 min, 30 min, 3 h, 12 h), then given up. A
// drop_pushes fault drops matching webhooks (path "webhook").

// TikTokWebhook is the delivery record of one webhook.
type TikTokWebhook struct {
	NotificationID string    `json:"tts_notification_id"`
	Type           int       `json:"type"`
	ShopID         string    `json:"shop_id"`
	ConversationID string    `json:"conversation_id"`
	MessageID      string    `json:"message_id,omitempty"`
	Attempts       int       `json:"attempts"`
	LastStatus     int       `json:"last_status"`
	LastAttempt    time.Time `json:"last_attempt,omitzero"`
	Delivered      bool      `json:"delivered"`
	// Dropped: a drop_pushes fault; GivenUp: every retry failed.
	Dropped bool `json:"dropped"`
	GivenUp bool `json:"given_up"`
	// Body is the webhook as sent (for replay tests).
	Body []byte `json:"-"`
}

type tiktokWebhooks struct {
	d *tiktokDialect

	mu      sync.Mutex
	log     []*TikTokWebhook
	changed chan struct{}

	q    chan *TikTokWebhook
	once sync.Once
	wg   sync.WaitGroup
	http *http.Client
}

func newTikTokWebhooks(d *tiktokDialect) *tiktokWebhooks {
	return &tiktokWebhooks{d: d, changed: make(chan struct{}), q: make(chan *TikTokWebhook, 10000), http: &http.Client{}}
}

// messageAdded assigns the message its index and queues its webhooks
// (type 13 first for a new conversation). It is called with the state lock
// held, in storage order, and never blocks.
func (d *tiktokDialect) messageAdded(m Message, shop Shop, shopUserID, buyerName string) {
	d.mu.Lock()
	// index: time-related, larger for newer messages, not consecutive.
	idx := max(m.CreatedAt.UnixNano(), d.lastIndex+1) + int64(len(d.index)%7)
	d.lastIndex = idx
	d.index[m.ID] = idx
	newConv := !d.convs[m.ConversationID]
	d.convs[m.ConversationID] = true
	hookURL := d.cfg.WebhookURL
	d.mu.Unlock()
	if hookURL == "" {
		return
	}
	now := d.s.clock.Now()
	if newConv {
		d.wh.enqueue(d.webhook(13, shop.ShopID, m.ConversationID, "", now, map[string]any{
			"conversation_id": m.ConversationID, "create_time": m.CreatedAt.Unix(),
		}))
	}
	typ, content := tiktokTypeContent(&m)
	raw, _ := json.Marshal(content)
	im := tiktokShopIM(shopUserID)
	if m.From == FromBuyer {
		im = tiktokBuyerIM(m.BuyerID)
	}
	d.wh.enqueue(d.webhook(14, shop.ShopID, m.ConversationID, m.ID, now, map[string]any{
		"content": string(raw), "conversation_id": m.ConversationID, "create_time": m.CreatedAt.Unix(),
		"is_visible": tiktokVisible(&m), "message_id": m.ID, "index": strconv.FormatInt(idx, 10), "type": typ,
		"sender": map[string]any{"im_user_id": im, "role": tiktokRole(m.From)},
	}))
}

func (d *tiktokDialect) webhook(typ int, shopID, conv, msg string, at time.Time, data map[string]any) *TikTokWebhook {
	id := "73" + d.s.randDigits(17)
	body, _ := json.Marshal(map[string]any{"type": typ, "tts_notification_id": id, "shop_id": shopID, "timestamp": at.Unix(), "data": data})
	return &TikTokWebhook{NotificationID: id, Type: typ, ShopID: shopID, ConversationID: conv, MessageID: msg, Body: body}
}

// randDigits returns n random decimal digits from the seeded generator.
func (s *Simulator) randDigits(n int) string {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + s.rng.IntN(10))
	}
	return string(b)
}

func (w *tiktokWebhooks) enqueue(h *TikTokWebhook) {
	w.mu.Lock()
	w.log = append(w.log, h)
	w.notifyLocked()
	w.mu.Unlock()
	select {
	case w.q <- h:
	default:
		w.update(h, func(h *TikTokWebhook) { h.GivenUp = true })
		w.d.s.log.Warn("simulator: tiktok webhook queue full; webhook given up", "type", h.Type)
	}
}

func (w *tiktokWebhooks) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

func (w *tiktokWebhooks) update(h *TikTokWebhook, f func(*TikTokWebhook)) {
	w.mu.Lock()
	f(h)
	w.notifyLocked()
	w.mu.Unlock()
}

// startPushes starts webhook delivery (once): first attempts in order, each
// failed webhook retried on its own schedule.
func (d *tiktokDialect) startPushes() {
	w := d.wh
	w.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		w.wg.Add(2)
		go func() {
			defer w.wg.Done()
			<-d.s.closed
			cancel()
		}()
		go func() {
			defer w.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case h := <-w.q:
					if len(d.s.faults.take(d.s.clock.Now(), bridge.PlatformTikTok, "webhook", h.ShopID, FaultDropPushes)) > 0 {
						w.update(h, func(h *TikTokWebhook) { h.Dropped = true })
						continue
					}
					if !w.attempt(ctx, h) {
						w.wg.Add(1)
						go w.retry(ctx, h)
					}
				}
			}
		}()
	})
}

func (d *tiktokDialect) wait() { d.wh.wg.Wait() }

// retry redelivers a failed webhook after each of WebhookRetryWaits.
func (w *tiktokWebhooks) retry(ctx context.Context, h *TikTokWebhook) {
	defer w.wg.Done()
	for _, wait := range w.d.config().WebhookRetryWaits {
		select {
		case <-w.d.s.clock.After(wait):
		case <-ctx.Done():
			return
		}
		if w.attempt(ctx, h) {
			return
		}
	}
	w.update(h, func(h *TikTokWebhook) { h.GivenUp = true })
}

// attempt posts the webhook once; it reports whether it was answered 200.
func (w *tiktokWebhooks) attempt(ctx context.Context, h *TikTokWebhook) bool {
	cfg := w.d.config()
	if cfg.WebhookURL == "" {
		return false
	}
	actx, cancel := context.WithTimeout(ctx, cfg.WebhookTimeout)
	defer cancel()
	status := 0
	req, err := http.NewRequestWithContext(actx, http.MethodPost, cfg.WebhookURL, bytes.NewReader(h.Body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", TikTokWebhookSignature(cfg.AppKey, cfg.AppSecret, h.Body))
		resp, derr := w.http.Do(req)
		if derr == nil {
			status = resp.StatusCode
			resp.Body.Close()
		} else {
			w.d.s.log.Debug("tiktok webhook not delivered", "err", derr)
		}
	}
	ok := status == http.StatusOK
	now := w.d.s.clock.Now()
	w.update(h, func(h *TikTokWebhook) {
		h.Attempts++
		h.LastStatus, h.LastAttempt, h.Delivered = status, now, ok
	})
	return ok
}

// TikTokWebhookSignature is the Authorization header of a TikTok webhook
// body (lowercase hex HMAC-SHA256 keyed with the app secret over app_key +
// body), for tests that forge or replay webhooks.
func TikTokWebhookSignature(appKey, appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(appKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// TikTokWebhooks lists the webhooks sent so far, oldest first.
func (s *Simulator) TikTokWebhooks() []TikTokWebhook {
	w := s.tiktok().wh
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]TikTokWebhook, len(w.log))
	for i, h := range w.log {
		out[i] = *h
	}
	return out
}

// TikTokWebhooksChanged is closed at the next change of the webhook log
// (a webhook queued, attempted, dropped or given up).
func (s *Simulator) TikTokWebhooksChanged() <-chan struct{} {
	w := s.tiktok().wh
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// SetTikTokWebhookURL sets (or, with "", clears) the URL that receives
// TikTok webhooks.
func (s *Simulator) SetTikTokWebhookURL(url string) {
	d := s.tiktok()
	d.mu.Lock()
	d.cfg.WebhookURL = url
	d.mu.Unlock()
}

// controlRoutes adds the TikTok control endpoints under /_sim/tiktok/.
func (d *tiktokDialect) controlRoutes(mux *http.ServeMux) {
	s := d.s
	mux.HandleFunc("GET /_sim/tiktok/config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.TikTok())
	})
	mux.HandleFunc("GET /_sim/tiktok/webhooks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.TikTokWebhooks()))
	})
	mux.HandleFunc("POST /_sim/tiktok/webhook_url", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			URL string `json:"url"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		s.SetTikTokWebhookURL(req.URL)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/tiktok/can_send", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ConversationID string `json:"conversation_id"`
			CanSend        bool   `json:"can_send"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		s.SetTikTokCanSend(req.ConversationID, req.CanSend)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/tiktok/quota", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]int{"used": s.TikTokQuotaUsed(r.URL.Query().Get("shop_id")), "quota": s.TikTok().DailyQuota})
	})
	mux.HandleFunc("POST /_sim/tiktok/quota", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID string `json:"shop_id"`
			Used   int    `json:"used"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		s.SetTikTokQuotaUsed(req.ShopID, req.Used)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/tiktok/messages", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID  string         `json:"shop_id"`
			BuyerID string         `json:"buyer_id"`
			From    Sender         `json:"from"`
			Type    string         `json:"type"`
			Content map[string]any `json:"content"`
			Hidden  bool           `json:"hidden"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		if req.From == "" {
			req.From = FromBuyer
		}
		m, err := s.AddTikTokMessage(req.ShopID, req.BuyerID, req.From, req.Type, req.Content, !req.Hidden)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusCreated, m)
	})
	mux.HandleFunc("GET /_sim/tiktok/app.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write([]byte(s.TikTokAppYAML()))
	})
}
