package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Lazada pushes [DOC LZ-PUSH, LZ-PUSHIM]: every new message of a shop,
// the buyer's and the seller's (its API-sent ones too), is pushed whole as
// message_type 2, signed with Authorization = lowercase hex
// HMAC-SHA256(app secret, app_key + body). A push not answered 200 within
// PushTimeout is delivered again every PushRetryInterval (on the
// simulator's clock), up to PushRetries times; later pushes are not held
// back by a failing one. A read session is pushed as a session update
// (message_type 19).

// LazadaPushStats counts push deliveries.
type LazadaPushStats struct {
	// Sent counts pushes created (one per new message, recall, read).
	Sent int `json:"sent"`
	// Delivered counts pushes answered 200.
	Delivered int `json:"delivered"`
	// Failed counts attempts not answered 200 in time (or dropped).
	Failed int `json:"failed"`
	// Redelivered counts attempts after the first.
	Redelivered int `json:"redelivered"`
	// Waiting is how many pushes wait for their next attempt.
	Waiting int `json:"waiting"`
	// GaveUp counts pushes dropped after the last retry.
	GaveUp int `json:"gave_up"`
	// InFlight is how many pushes are queued or being delivered now.
	InFlight int `json:"in_flight"`
}

type lazadaPush struct {
	shopID  string
	body    []byte
	attempt int
}

// lazadaPusher delivers the dialect's pushes.
type lazadaPusher struct {
	d    *lazadaDialect
	q    chan lazadaPush
	once sync.Once
	wg   sync.WaitGroup

	mu       sync.Mutex
	callback string
	http     *http.Client
	stats    LazadaPushStats
}

func (p *lazadaPusher) init(d *lazadaDialect) {
	p.d = d
	p.q = make(chan lazadaPush, 10000)
	p.http = &http.Client{Timeout: d.cfg.PushTimeout}
	p.callback = d.cfg.PushCallbackURL
}

// configure applies a new configuration's timeout and callback.
func (p *lazadaPusher) configure(cfg LazadaConfig) {
	p.mu.Lock()
	p.http = &http.Client{Timeout: cfg.PushTimeout}
	if cfg.PushCallbackURL != "" {
		p.callback = cfg.PushCallbackURL
	}
	p.mu.Unlock()
}

// messageAdded pushes a new message. It is called with the simulator's
// state lock held and never blocks.
func (d *lazadaDialect) messageAdded(m Message, shop Shop, shopUserID, buyerName string) {
	d.push.enqueue(d.imPush(m, shop, shopUserID))
}

// imPush builds the IM push (message_type 2) of a message.
func (d *lazadaDialect) imPush(m Message, shop Shop, shopUserID string) lazadaPush {
	data := d.lazadaRender(&m, shop, shopUserID)
	return d.pushOf(shop, 2, data)
}

// sessionUpdatePush builds a session update (message_type 19).
func (d *lazadaDialect) sessionUpdatePush(shop Shop, shopUserID string, c *conversation) lazadaPush {
	self := int64(0)
	if n := len(c.messages); n > 0 {
		self = c.messages[n-1].CreatedAt.UnixMilli()
	}
	return d.pushOf(shop, 19, map[string]any{
		"sync_type": "SESSION_UPDATE", "user_account_id": shopUserID, "user_account_type": 2, "session_id": c.id,
		"unread_count": c.unread, "to_position": 0, "self_position": self, "site_id": strings.ToUpper(shop.Site),
	})
}

func (d *lazadaDialect) pushOf(shop Shop, messageType int, data map[string]any) lazadaPush {
	body, _ := json.Marshal(map[string]any{
		"seller_id": shop.ShopID, "message_type": messageType, "timestamp": d.s.clock.Now().UnixMilli(),
		"site": "lazada_" + strings.ToLower(shop.Site), "data": data,
	})
	return lazadaPush{shopID: shop.ShopID, body: body}
}

// enqueue queues a push; it never blocks (a full queue counts as a failed
// attempt, delivered again later).
func (p *lazadaPusher) enqueue(job lazadaPush) {
	p.mu.Lock()
	if p.callback == "" {
		p.mu.Unlock()
		return
	}
	if job.attempt == 0 {
		p.stats.Sent++
	}
	p.stats.InFlight++
	p.mu.Unlock()
	select {
	case p.q <- job:
	default:
		p.failed(job)
	}
}

// startPushes starts the delivery goroutine (once).
func (d *lazadaDialect) startPushes() {
	p := &d.push
	p.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			<-d.s.closed
			cancel()
		}()
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-p.q:
					p.deliver(ctx, job)
				}
			}
		}()
	})
}

func (d *lazadaDialect) wait() { d.push.wg.Wait() }

// deliver makes one attempt.
func (p *lazadaPusher) deliver(ctx context.Context, job lazadaPush) {
	s := p.d.s
	if len(s.faults.take(s.clock.Now(), bridge.PlatformLazada, "push", job.shopID, FaultDropPushes)) > 0 {
		p.failed(job)
		return
	}
	p.mu.Lock()
	cb, hc := p.callback, p.http
	p.mu.Unlock()
	if cb == "" {
		p.mu.Lock()
		p.stats.InFlight--
		p.mu.Unlock()
		return
	}
	cfg := p.d.config()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb, bytes.NewReader(job.body))
	if err != nil {
		p.failed(job)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", LazadaPushSignature(cfg.AppKey, cfg.AppSecret, job.body))
	resp, err := hc.Do(req)
	if err != nil {
		s.log.Debug("lazada push not delivered", "err", err)
		p.failed(job)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.failed(job)
		return
	}
	p.mu.Lock()
	p.stats.Delivered++
	p.stats.InFlight--
	p.mu.Unlock()
}

// failed counts a failed attempt and schedules the next one.
func (p *lazadaPusher) failed(job lazadaPush) {
	s := p.d.s
	cfg := p.d.config()
	p.mu.Lock()
	p.stats.Failed++
	p.stats.InFlight--
	if job.attempt >= cfg.PushRetries {
		p.stats.GaveUp++
		p.mu.Unlock()
		return
	}
	// The timer is set before the push counts as waiting: a test that sees
	// it waiting can move the clock past it.
	next := s.clock.After(cfg.PushRetryInterval)
	p.stats.Waiting++
	p.mu.Unlock()
	job.attempt++
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-next:
		case <-s.closed:
			return
		}
		p.mu.Lock()
		p.stats.Waiting--
		p.stats.Redelivered++
		p.mu.Unlock()
		p.enqueue(job)
	}()
}

// SetLazadaPushCallback sets (or, with "", clears) the URL that receives
// Lazada pushes (the console's Message Service setting).
func (s *Simulator) SetLazadaPushCallback(url string) {
	p := &s.lazada().push
	p.mu.Lock()
	p.callback = url
	p.mu.Unlock()
}

// LazadaPushStats returns the push delivery counters.
func (s *Simulator) LazadaPushStats() LazadaPushStats {
	p := &s.lazada().push
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// LazadaPushSignature is the Authorization header of a Lazada push of body.
func LazadaPushSignature(appKey, appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(appKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// LazadaIMPushBody builds an IM push (message_type 2) of a buyer's text as
// Lazada sends it, for tests of a push endpoint: session sessionID of
// seller shopID, buyer buyerID, message messageID sent at at.
func LazadaIMPushBody(shopID, sessionID, buyerID, messageID, text string, at time.Time) []byte {
	content, _ := json.Marshal(map[string]any{"txt": text})
	body, _ := json.Marshal(map[string]any{
		"seller_id": shopID, "message_type": 2, "timestamp": at.UnixMilli(), "site": "lazada_sg",
		"data": map[string]any{
			"session_id": sessionID, "message_id": messageID, "content": string(content),
			"from_account_id": buyerID, "from_account_type": 1, "to_account_id": "800000000", "to_account_type": 2,
			"send_time": at.UnixMilli(), "template_id": 1, "type": 1, "site_id": "SG", "process_msg": "", "auto_reply": false, "status": 0,
		},
	})
	return body
}
