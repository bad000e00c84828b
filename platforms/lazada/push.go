package lazada

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// RegisterRoutes registers the push endpoint at push_path on the bridge's
// listener. Lazada needs the public URL in front of it to be HTTPS with an
// OV or EV certificate, registered and subscribed (IM messages, session
// updates) in the console's Message Service tab.
func (c *Client) RegisterRoutes(r bridge.Routes) { r.Handle(c.cfg.PushPath, c.PushHandler()) }

// PushHandler receives Lazada pushes. It verifies the Authorization header
// (lowercase hex HMAC-SHA256 under the app secret of app_key + raw body) in
// constant time and answers:
//
//   - 401 for a missing or wrong signature, or a push older than
//     push_max_age or dated further ahead than push_max_skew (replays);
//   - for an IM message (message_type 2): 200 only once the message is
//     recorded through Pushes (after /im/session/get for a session the
//     bridge does not know, to learn the buyer's name), 503 when it could
//     not be recorded within push_deadline, so that Lazada delivers it
//     again; duplicates and recalls (the same message_id again, status 1)
//     are recorded again, which the inbound queue makes harmless;
//   - 200 for every other verified push (session updates also hint the
//     engine); every verified push counts as the shop's push arriving.
func (c *Client) PushHandler() http.Handler { return http.HandlerFunc(c.servePush) }

func (c *Client) servePush(w http.ResponseWriter, r *http.Request) {
	// Lazada's deadline is on wall time, whatever the injected clock says.
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.PushDeadline)
	defer cancel()
	body, ok := c.intake.ReadBody(w, r, c.cfg.PushMaxBodyBytes)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// The console's URL verification (see unverified.go): nothing to act on.
		w.WriteHeader(http.StatusOK)
		return
	}
	if !c.intake.CheckSignature(w, r, func(sig string) bool { return verifyPush(c.cfg.AppKey, c.cfg.AppSecret, body, sig) },
		"are lazada.app_key and app_secret those of the app the push is for?") {
		return
	}
	p, err := decodePush(body)
	if err != nil {
		// Signed by Lazada, so not an attack; 200 stops the redeliveries.
		c.log.Warn("push ignored: body is not a push object", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	seller := string(p.SellerID)
	if at, now := msTime(int64(p.Timestamp)), c.clock.Now(); !at.IsZero() {
		switch {
		case c.cfg.PushMaxAge > 0 && now.Sub(at) > c.cfg.PushMaxAge:
			c.intake.Refuse(w, http.StatusUnauthorized, "stale", "seller_id", seller, "age", now.Sub(at).Round(time.Second))
			return
		case c.cfg.PushMaxSkew > 0 && at.Sub(now) > c.cfg.PushMaxSkew:
			c.intake.Refuse(w, http.StatusUnauthorized, "future", "seller_id", seller, "ahead", at.Sub(now).Round(time.Second))
			return
		}
	}
	if c.pushes != nil && seller != "" {
		c.pushes.Seen(bridge.PlatformLazada, seller)
	}
	switch int(p.MessageType) {
	case pushIMMessage:
		w.WriteHeader(c.recordIM(ctx, seller, p))
	case pushSessionUpdate:
		if c.hints != nil && seller != "" {
			u := p.sessionUpdate()
			c.hints.Send(bridge.PushHint{Platform: bridge.PlatformLazada, ShopID: seller, Conversation: bridge.ConversationID(u.SessionID)})
		}
		w.WriteHeader(http.StatusOK)
	case pushAuthExpiring:
		c.log.Warn("Lazada says the seller's authorization expires within about 48 hours: authorize the store again", "seller_id", seller)
		w.WriteHeader(http.StatusOK)
	default:
		c.log.Debug("push ignored", "message_type", int(p.MessageType), "seller_id", seller)
		w.WriteHeader(http.StatusOK)
	}
}

// recordIM records the message an IM push carries and returns the HTTP
// status to answer.
func (c *Client) recordIM(ctx context.Context, seller string, p wirePush) int {
	wm, err := p.message()
	if err != nil {
		c.log.Warn("IM push ignored: no message in it", "seller_id", seller, "err", err)
		return http.StatusOK
	}
	if c.pushes == nil {
		c.log.Error("IM push refused: the client has no Pushes to record it (wiring error); Lazada will deliver it again")
		return http.StatusServiceUnavailable
	}
	msg := toMessage(wm)
	conv := bridge.Conversation{ID: msg.Conversation, BuyerID: buyerOf(wm)}
	if err := c.learnSession(ctx, seller, &conv); err != nil {
		return c.refused(seller, conv.ID, msg.ID, err)
	}
	if err := c.pushes.Record(ctx, bridge.PlatformLazada, seller, conv, []bridge.Message{msg}); err != nil {
		return c.refused(seller, conv.ID, msg.ID, err)
	}
	return http.StatusOK
}

// refused logs a push that could not be recorded and picks the answer:
// 200 for a shop no store has (redelivering cannot help), 503 otherwise.
func (c *Client) refused(seller string, conv bridge.ConversationID, id bridge.MessageID, err error) int {
	if errors.Is(err, bridge.ErrUnknownShop) {
		c.log.Warn("IM push ignored: no configured store has this seller_id", "seller_id", seller)
		return http.StatusOK
	}
	c.log.Warn("IM push refused, Lazada will deliver it again", "seller_id", seller, "session", string(conv), "message", string(id), "err", err)
	return http.StatusServiceUnavailable
}

// learnSession fills the buyer's name of a session the bridge does not know
// yet (or whose earlier lookup failed) from /im/session/get [DOC LZ-IMBP],
// within half of what is left of the push's deadline. A failed lookup is
// logged, not fatal: the message is recorded without the name and the next
// push of the session tries again.
func (c *Client) learnSession(ctx context.Context, seller string, conv *bridge.Conversation) error {
	known, err := c.pushes.Known(ctx, bridge.PlatformLazada, seller, conv.ID)
	if err != nil {
		return err
	}
	key := sessionKey{seller, conv.ID}
	c.mu.Lock()
	retry := c.nameless[key]
	c.mu.Unlock()
	if known && !retry {
		return nil
	}
	store, ok := c.storeOf(seller)
	if !ok {
		c.log.Warn("no Lazada store known for the seller of a new session: recording it without the buyer's name", "seller_id", seller)
		return nil
	}
	sctx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		sctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/2))
		defer cancel()
	}
	s, err := c.session(sctx, store, conv.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if len(c.nameless) < maxNameless {
			c.nameless[key] = true
		}
		c.log.Warn("session details unavailable: recording the message without the buyer's name", "store", string(store.ID),
			"session", string(conv.ID), "err", err)
		return nil
	}
	delete(c.nameless, key)
	if s.BuyerName != "" {
		conv.BuyerName = s.BuyerName
	}
	if s.BuyerID != "" {
		conv.BuyerID = s.BuyerID
	}
	return nil
}

// maxNameless bounds the sessions remembered for a second lookup.
const maxNameless = 10000

// session fetches one session (/im/session/get).
func (c *Client) session(ctx context.Context, store bridge.Store, id bridge.ConversationID) (bridge.Conversation, error) {
	const op = "get session"
	raw, err := c.callSeller(ctx, store, apiCall{path: pathSessionGet, op: op, method: http.MethodGet, idempotent: true,
		params: map[string][]string{"session_id": {string(id)}}})
	if err != nil {
		return bridge.Conversation{}, err
	}
	s, err := decodeSession(raw)
	if err != nil {
		return bridge.Conversation{}, c.decodeErr(op, err)
	}
	conv := toConversation(s)
	conv.ID = id
	return conv, nil
}

// buyerOf is the buyer's account ID of a message, whichever side sent it.
func buyerOf(m wireMessage) string {
	switch {
	case int64(m.FromAccountType) == accountTypeBuyer:
		return string(m.FromAccountID)
	case int64(m.ToAccountType) == accountTypeBuyer:
		return string(m.ToAccountID)
	}
	return ""
}

// PushEndpoint names the push endpoint in refusal logs and metrics.
const PushEndpoint = "lazada_push"
