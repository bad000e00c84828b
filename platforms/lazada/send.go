package lazada

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopbridge/shopbridge/bridge"
)

// Lazada's session rule [DOC LZ-IMBP §6]: when the buyer has not replied
// within a day, the seller may send at most 5 messages.
const (
	quietBuyerAfter  = 24 * time.Hour
	quietBuyerMaxOut = 5
)

// SendText sends text to the buyer of conv (template 1) and returns the
// sent message, whose ID lets the engine recognise the push that echoes it.
// Lazada's session rule is checked first, without an API call, from
// conv.LastBuyerAt and conv.SellerSince (filled by the engine). A send is
// never retried once the request may have reached Lazada (the outbox
// reconciles instead).
func (c *Client) SendText(ctx context.Context, store bridge.Store, conv bridge.Conversation, text string) (bridge.Message, error) {
	const op = "send message"
	if strings.TrimSpace(text) == "" {
		return bridge.Message{}, c.permanentErr(op, "the reply is empty")
	}
	if n := utf8.RuneCountInString(text); c.cfg.MaxTextLength > 0 && n > c.cfg.MaxTextLength {
		return bridge.Message{}, c.permanentErr(op, fmt.Sprintf("the reply is %d characters long; the limit is %d", n, c.cfg.MaxTextLength))
	}
	if err := c.checkSessionRule(conv); err != nil {
		return bridge.Message{}, err
	}
	raw, err := c.callSeller(ctx, store, apiCall{path: pathMessageSend, op: op, method: http.MethodPost, params: url.Values{
		"session_id":  {string(conv.ID)},
		"template_id": {strconv.Itoa(templateText)},
		"txt":         {text},
	}})
	if err != nil {
		return bridge.Message{}, err
	}
	sent, err := decodeSent(raw)
	if err != nil {
		// Lazada took the message but the answer is unreadable: the
		// outcome is unknown to the outbox, which reconciles before resending.
		return bridge.Message{}, c.decodeErr(op, err)
	}
	msg := bridge.Message{
		ID:           bridge.MessageID(sent.MessageID),
		Conversation: conv.ID,
		Sender:       bridge.SenderSeller,
		Kind:         bridge.KindText,
		Text:         text,
		SentAt:       msTime(int64(sent.CurrentTime)),
	}
	if msg.SentAt.IsZero() {
		msg.SentAt = c.clock.Now()
	}
	return msg, nil
}

// checkSessionRule refuses, permanently and with the reason agents see
// beside the failed reply, a 6th message to a buyer quiet for a day.
func (c *Client) checkSessionRule(conv bridge.Conversation) error {
	now := c.clock.Now()
	quiet := conv.LastBuyerAt.IsZero() || now.Sub(conv.LastBuyerAt) >= quietBuyerAfter
	if !quiet || conv.SellerSince < quietBuyerMaxOut {
		return nil
	}
	since := "the buyer has not written in this conversation"
	if !conv.LastBuyerAt.IsZero() {
		since = "the buyer last wrote " + conv.LastBuyerAt.UTC().Format("2006-01-02 15:04 MST")
	}
	return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformLazada), Op: "send message", Code: "session_rule",
		Message: fmt.Sprintf("not sent: Lazada allows at most %d messages to a buyer who has not replied within a day, and %d were sent since (%s); "+
			"wait for the buyer to reply", quietBuyerMaxOut, conv.SellerSince, since)}
}

// MarkRead marks conv read up to last (/im/session/read).
func (c *Client) MarkRead(ctx context.Context, store bridge.Store, conv bridge.ConversationID, last bridge.MessageID) error {
	_, err := c.callSeller(ctx, store, apiCall{path: pathSessionRead, op: "mark read", method: http.MethodPost, idempotent: true,
		params: url.Values{"session_id": {string(conv)}, "last_read_message_id": {string(last)}}})
	return err
}
