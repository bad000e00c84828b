package shopee

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Push codes [DOC SH-SCHEMA, SH-PUSH].
const (
	pushCodeShopDeauthorized = 2
	pushCodeAuthExpiring     = 12
)

// RegisterRoutes registers the push endpoint at push_path on the bridge's
// listener. Without push_callback_url pushes cannot be verified, so none is
// registered and the bridge relies on polling alone.
func (c *Client) RegisterRoutes(r bridge.Routes) {
	if c.cfg.PushCallbackURL == "" {
		c.log.Info("push endpoint disabled: shopee.push_callback_url is not set; polling only")
		return
	}
	r.Handle(c.cfg.PushPath, c.PushHandler())
}

// PushHandler receives Shopee pushes. It verifies the Authorization header
// (hex HMAC-SHA256 of callback URL + "|" + raw body under the partner key) in
// constant time, answers 2xx with an empty body at once, and only hints the
// syncer: the poll decides what is new. See unverified.go for the choices
// about empty bodies and replays.
func (c *Client) PushHandler() http.Handler { return http.HandlerFunc(c.servePush) }

func (c *Client) servePush(w http.ResponseWriter, r *http.Request) {
	body, ok := c.intake.ReadBody(w, r, c.cfg.PushMaxBodyBytes)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// Shopee's URL verification test push.
		w.WriteHeader(http.StatusOK)
		return
	}
	sig := r.Header.Get("Authorization")
	switch {
	case c.cfg.PushCallbackURL == "":
		c.intake.Refuse(w, http.StatusUnauthorized, "not_configured", "hint", "shopee.push_callback_url is not set, so pushes cannot be verified")
		return
	case sig == "":
		c.intake.Refuse(w, http.StatusUnauthorized, "no_signature", "remote", r.RemoteAddr)
		return
	case !verifyPushSignature(c.cfg.PartnerKey, c.cfg.PushCallbackURL, body, sig):
		if verifyBodyOnly(c.cfg.PartnerKey, body, sig) {
			c.intake.Refuse(w, http.StatusUnauthorized, "body_only_signature", "remote", r.RemoteAddr,
				"hint", "the signature covers the body only, not callback URL|body as documented")
		} else {
			c.intake.Refuse(w, http.StatusUnauthorized, "bad_signature", "remote", r.RemoteAddr,
				"hint", "signature mismatch: is push_callback_url exactly the URL registered with Shopee?")
		}
		return
	}
	p, err := decodePush(body)
	if err != nil {
		// Signed by Shopee, so not an attack; a 2xx stops the retries.
		c.log.Warn("push ignored: body is not a push object", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	now := c.clock.Now()
	if at := unitTime(int64(p.Timestamp)); !at.IsZero() {
		switch {
		case c.cfg.PushMaxAge > 0 && now.Sub(at) > c.cfg.PushMaxAge:
			c.intake.Refuse(w, http.StatusUnauthorized, "stale", "shop_id", string(p.ShopID), "age", now.Sub(at).Round(time.Second),
				"hint", "timestamp older than push_max_age (replayed?)")
			return
		case c.cfg.PushMaxSkew > 0 && at.Sub(now) > c.cfg.PushMaxSkew:
			c.intake.Refuse(w, http.StatusUnauthorized, "future", "shop_id", string(p.ShopID), "ahead", at.Sub(now).Round(time.Second),
				"hint", "timestamp further in the future than push_max_skew (kept for a later replay, or a clock far off?)")
			return
		}
	}
	if c.pushes.repeated(sha256.Sum256(body), now) {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusOK)
	c.onPush(p)
}

// PushEndpoint names the push endpoint in refusal logs and metrics.
const PushEndpoint = "shopee_push"

// onPush turns a verified push into a hint or a log line.
func (c *Client) onPush(p wirePush) {
	switch int(p.Code) {
	case pushCodeWebchat:
		if c.hints != nil && p.ShopID != "" {
			c.hints.Send(bridge.PushHint{Platform: bridge.PlatformShopee, ShopID: string(p.ShopID),
				Conversation: bridge.ConversationID(p.data().Content.ConversationID)})
		}
	case pushCodeShopDeauthorized:
		c.log.Warn("shop deauthorized the app", "shop_id", string(p.ShopID))
	case pushCodeAuthExpiring:
		c.log.Warn("shop authorization expires within 7 days: re-authorize it", "shop_id", string(p.ShopID))
	default:
		c.log.Debug("push ignored", "code", int(p.Code), "shop_id", string(p.ShopID))
	}
}

// pushGuard remembers the bodies of recent pushes, so an identical push
// within maxAge (Shopee repeats messages) causes one hint only.
type pushGuard struct {
	mu     sync.Mutex
	maxAge time.Duration
	seen   map[[32]byte]time.Time
	order  []pushSeen
}

type pushSeen struct {
	sum [32]byte
	at  time.Time
}

// maxRememberedPushes bounds the memory a flood of pushes can take.
const maxRememberedPushes = 10000

func newPushGuard(maxAge time.Duration) *pushGuard {
	return &pushGuard{maxAge: maxAge, seen: map[[32]byte]time.Time{}}
}

// repeated records sum and reports whether it was seen within maxAge.
func (g *pushGuard) repeated(sum [32]byte, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.order) > 0 && (now.Sub(g.order[0].at) > g.maxAge || len(g.order) >= maxRememberedPushes) {
		if g.seen[g.order[0].sum].Equal(g.order[0].at) {
			delete(g.seen, g.order[0].sum)
		}
		g.order = g.order[1:]
	}
	if at, ok := g.seen[sum]; ok && now.Sub(at) <= g.maxAge {
		return true
	}
	g.seen[sum] = now
	g.order = append(g.order, pushSeen{sum, now})
	return false
}
