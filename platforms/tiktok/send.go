package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// SendText sends text to the buyer of conv as one TEXT message and returns
// it, whose ID lets the engine recognise the echo. It is never retried once
// the request may have reached TikTok (the outbox reconciles instead).
//
// Long replies are refused, not split: a reply longer than max_text_length
// (2,000, TikTok's limit) fails at once, before any call, with a permanent
// error the agent sees on the reply ("… is 2,500 characters long; TikTok
// Shop allows at most 2,000 per message: send it as shorter replies").
// Splitting into numbered parts would break what the bridge guarantees:
// the engine records one marketplace message per reply (the other parts
// would come back as messages "sent from Seller Centre"), a part that
// failed after others went out would make the outbox send the first parts
// again, and a reply whose outcome is unknown is matched by its whole text,
// which no part has. Length is counted in UTF-16 code units, which is never
// less than the number of characters (see unverified.go).
//
// A conversation whose can_send_message is false is refused before sending,
// with TikTok's reason. The value comes from the conversation list the
// client last read (the engine's polls, a webhook's lookup); a conversation
// it has not seen, or a "false" older than can_send_recheck, is looked up
// on the first pages of the list first (see unverified.go: there is no
// documented call for one conversation).
func (c *Client) SendText(ctx context.Context, store bridge.Store, conv bridge.Conversation, text string) (bridge.Message, error) {
	const op = "send message"
	if strings.TrimSpace(text) == "" {
		return bridge.Message{}, c.permanentErr(op, "the reply is empty")
	}
	if n := textLength(text); n > c.cfg.MaxTextLength {
		return bridge.Message{}, &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformTikTok), Op: op,
			Code: "text_too_long", Message: fmt.Sprintf("the reply is %s characters long; TikTok Shop allows at most %s per message: send it as shorter replies (nothing was sent)",
				thousands(n), thousands(c.cfg.MaxTextLength))}
	}
	if err := c.checkCanSend(ctx, store, conv.ID); err != nil {
		return bridge.Message{}, err
	}
	content, _ := json.Marshal(map[string]string{"content": text})
	raw, err := c.callShop(ctx, store, apiCall{path: pathMessages(conv.ID), api: "send_message", op: op, method: http.MethodPost,
		body: map[string]string{"type": typeText, "content": string(content)}, shop: true, cs: true})
	if err != nil {
		return bridge.Message{}, err
	}
	id, err := decodeSendResult(raw)
	if err != nil {
		// TikTok took the message but the answer is unreadable: the outcome
		// is unknown to the outbox, which reconciles before resending.
		return bridge.Message{}, c.decodeErr(op, err)
	}
	return bridge.Message{
		ID: bridge.MessageID(id), Conversation: conv.ID, Sender: bridge.SenderSeller,
		Kind: bridge.KindText, Text: text, SentAt: c.clock.Now(),
	}, nil
}

// errCannotSend is the reason a reply is refused for can_send_message=false.
const errCannotSend = "TikTok Shop does not allow replies in this conversation (can_send_message is false: " +
	"the seller may write only if the buyer chatted with the shop within 30 days, ordered within 60 days, or has a return/refund); nothing was sent"

// checkCanSend refuses a reply to a conversation TikTok lists with
// can_send_message=false.
func (c *Client) checkCanSend(ctx context.Context, store bridge.Store, id bridge.ConversationID) error {
	ci, ok := c.cached(store, id)
	if ok && ci.canSend {
		return nil
	}
	if !ok || c.clock.Now().Sub(ci.at) >= c.cfg.CanSendRecheck {
		var found bool
		var err error
		if ci, found, err = c.lookup(ctx, store, id); err != nil {
			return err
		}
		if !found {
			// Not among the newest conversations: TikTok decides (and
			// answers 45109001 if its rules forbid the reply).
			c.log.Debug("conversation not found on the first pages; sending without a can_send_message check", "store", string(store.ID), "conversation", string(id))
			return nil
		}
	}
	if ci.canSend {
		return nil
	}
	return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformTikTok), Op: "send message",
		Code: "can_send_message", Message: errCannotSend}
}

// MarkRead marks every buyer message of conv read (Read Message; TikTok
// has no "up to" parameter, so last is not sent).
func (c *Client) MarkRead(ctx context.Context, store bridge.Store, conv bridge.ConversationID, last bridge.MessageID) error {
	_, err := c.callShop(ctx, store, apiCall{path: pathRead(conv), api: "read_message", op: "mark read", method: http.MethodPost,
		body: struct{}{}, idempotent: true, shop: true, cs: true})
	return err
}

// textLength counts UTF-16 code units: a character outside the Basic
// Multilingual Plane (most emoji) counts twice.
func textLength(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// thousands formats n with comma separators (2,500).
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
