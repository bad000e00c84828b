package tiktok

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Webhook types [DOC TT-WH].
const (
	webhookNewConversation = 13
	webhookNewMessage      = 14
	webhookAuthExpiring    = 7
)

// WebhookHandler receives TikTok Shop webhooks (register it at
// webhook_path; RegisterRoutes does). For every webhook it:
//
//   - verifies the Authorization header, lowercase hex HMAC-SHA256 keyed
//     with the app secret over app_key + raw body, in constant time
//     (SDK-verified, not doc-verified: see WebhookSignature), and answers
//     401 when it is missing or wrong;
//   - tells bridge.Pushes that a webhook arrived for the shop (Seen);
//   - type 14 (new message): decodes the message the webhook carries
//     (is_visible=false: acknowledged, never shown) and records it through
//     bridge.Pushes, then answers 200 with an empty body only once Record
//     returned nil (the message is stored durably). The work is bounded by
//     webhook_deadline (2.5 s): a webhook that cannot be recorded in time
//     is refused with 503, so TikTok delivers it again (2 min, 30 min, 3 h,
//     12 h) rather than getting a late answer. The shop's own messages
//     (SHOP/CUSTOMER_SERVICE, the bridge's replies too) are recorded as
//     seller messages: the engine matches them to its replies;
//   - type 13 (a new conversation, an agent joined or left): a hint, so the
//     syncer polls soon;
//   - anything else is acknowledged (type 7, authorization expiring, is logged).
//
// A webhook whose timestamp is older than webhook_max_age is acknowledged
// and ignored (replay protection); a tts_notification_id already recorded
// is acknowledged at once (TikTok retries; recording twice would be a
// no-op anyway).
func (c *Client) WebhookHandler() http.Handler { return http.HandlerFunc(c.serveWebhook) }

func (c *Client) serveWebhook(w http.ResponseWriter, r *http.Request) {
	body, ok := c.intake.ReadBody(w, r, c.cfg.WebhookMaxBodyBytes)
	if !ok {
		return
	}
	if !c.intake.CheckSignature(w, r, func(sig string) bool { return verifyWebhook(c.cfg.AppKey, c.cfg.AppSecret, body, sig) },
		"is tiktok.app_key/app_secret the app the webhook is registered for?") {
		return
	}
	wh, err := decodeWebhook(body)
	if err != nil {
		// Signed by TikTok, so not an attack; a retry would not decode either.
		c.log.Warn("webhook ignored: body is not a webhook object", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	shopID := string(wh.ShopID)
	if c.pushes != nil {
		c.pushes.Seen(bridge.PlatformTikTok, shopID)
	}
	now := c.clock.Now()
	if at := unixSeconds(int64(wh.Timestamp)); c.cfg.WebhookMaxAge > 0 && !at.IsZero() && now.Sub(at) > c.cfg.WebhookMaxAge {
		// Acknowledged (a retry would be as old), but counted like a refusal.
		c.intake.Refuse(w, http.StatusOK, "stale", "shop_id", shopID, "type", int64(wh.Type), "age", now.Sub(at).Round(time.Second))
		return
	}
	id := string(wh.NotificationID)
	if id != "" && c.seen.done(id, now) {
		w.WriteHeader(http.StatusOK)
		return
	}
	switch wh.Type {
	case webhookNewMessage:
		status := c.onNewMessage(r.Context(), wh)
		if status == http.StatusOK && id != "" {
			c.seen.add(id, now, c.cfg.WebhookMaxAge)
		}
		w.WriteHeader(status)
	case webhookNewConversation:
		var d newConversationData
		_ = decodeObject(wh.Data, &d)
		if c.hints != nil {
			c.hints.Send(bridge.PushHint{Platform: bridge.PlatformTikTok, ShopID: shopID, Conversation: bridge.ConversationID(d.ConversationID)})
		}
		w.WriteHeader(http.StatusOK)
	case webhookAuthExpiring:
		c.log.Warn("TikTok says the shop's authorization expires soon: authorize the store again", "shop_id", shopID)
		w.WriteHeader(http.StatusOK)
	default:
		c.log.Debug("webhook ignored", "type", int64(wh.Type), "shop_id", shopID)
		w.WriteHeader(http.StatusOK)
	}
}

// onNewMessage records a type-14 webhook's message and returns the status
// to answer.
func (c *Client) onNewMessage(parent context.Context, wh wireWebhook) int {
	shopID := string(wh.ShopID)
	var wm wireMessage
	if err := decodeObject(wh.Data, &wm); err != nil || wm.id() == "" || wm.ConversationID == "" {
		c.log.Warn("webhook ignored: type 14 without a message", "shop_id", shopID)
		return http.StatusOK
	}
	msg, visible := toMessage("", wm, "")
	if !visible {
		c.log.Debug("webhook message not shown (is_visible=false)", "shop_id", shopID, "type", string(wm.Type))
		return http.StatusOK
	}
	convID := bridge.ConversationID(wm.ConversationID)
	if c.pushes == nil {
		if c.hints != nil {
			c.hints.Send(bridge.PushHint{Platform: bridge.PlatformTikTok, ShopID: shopID, Conversation: convID})
		}
		return http.StatusOK
	}
	ctx, cancel := bridge.WithTimeout(parent, c.clock, c.cfg.WebhookDeadline)
	defer cancel()
	conv := c.webhookConversation(ctx, shopID, convID)
	err := c.pushes.Record(ctx, bridge.PlatformTikTok, shopID, conv, []bridge.Message{msg})
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, bridge.ErrUnknownShop):
		if c.warnUnknownShop(shopID) {
			c.log.Warn("webhook for a shop no configured store has: acknowledged and dropped", "shop_id", shopID)
		}
		return http.StatusOK
	}
	c.log.Warn("webhook message not recorded in time; refused so that TikTok delivers it again",
		"shop_id", shopID, "conversation", string(convID), "err", err)
	return http.StatusServiceUnavailable
}

// webhookConversation is the conversation a webhook's message belongs to:
// what the client remembers of it; for one the bridge does not know, the
// first page of the conversation list (within half the deadline), for its
// buyer; else the ID alone (the next poll fills the buyer in).
func (c *Client) webhookConversation(ctx context.Context, shopID string, id bridge.ConversationID) bridge.Conversation {
	conv := bridge.Conversation{ID: id}
	store, ok := c.storeOf(shopID)
	if !ok {
		return conv
	}
	if ci, ok := c.cached(store, id); ok {
		return ci.conv
	}
	known, err := c.pushes.Known(ctx, bridge.PlatformTikTok, shopID, id)
	if err != nil || known {
		return conv
	}
	lctx, cancel := bridge.WithTimeout(ctx, c.clock, c.cfg.WebhookDeadline/2)
	defer cancel()
	if _, err := c.conversationPage(lctx, store, ""); err != nil {
		c.log.Debug("could not look up a new conversation for its buyer", "store", string(store.ID), "conversation", string(id), "err", err)
		return conv
	}
	if ci, ok := c.cached(store, id); ok {
		return ci.conv
	}
	return conv
}

// warnUnknownShop reports whether to log about an unknown shop (once an hour).
func (c *Client) warnUnknownShop(shopID string) bool {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.unknown[shopID]; ok && now.Sub(last) < time.Hour {
		return false
	}
	if len(c.unknown) > 1000 {
		clear(c.unknown)
	}
	c.unknown[shopID] = now
	return true
}

// seenNotifications remembers recorded tts_notification_ids, so that
// TikTok's redeliveries are acknowledged without work. Memory is bounded.
type seenNotifications struct {
	mu    sync.Mutex
	until map[string]time.Time
	order []string
}

const maxSeenNotifications = 10000

func newSeenNotifications() *seenNotifications {
	return &seenNotifications{until: map[string]time.Time{}}
}

func (s *seenNotifications) done(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.until[id]
	return ok && now.Before(t)
}

func (s *seenNotifications) add(id string, now time.Time, keep time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.order) > 0 && (len(s.order) >= maxSeenNotifications || !now.Before(s.until[s.order[0]])) {
		delete(s.until, s.order[0])
		s.order = s.order[1:]
	}
	if _, ok := s.until[id]; !ok {
		s.order = append(s.order, id)
	}
	s.until[id] = now.Add(keep)
}

// WebhookEndpoint names the webhook endpoint in refusal logs and metrics.
const WebhookEndpoint = "tiktok_webhook"
