package shopee

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopbridge/shopbridge/bridge"
)

// SendText sends text to the buyer of conv and returns the sent message,
// whose ID lets the engine recognise the echo. It is never retried once the
// request may have reached Shopee (the outbox reconciles instead).
func (c *Client) SendText(ctx context.Context, store bridge.Store, conv bridge.Conversation, text string) (bridge.Message, error) {
	const op = "send message"
	if sendRegionBlocked[strings.ToUpper(store.Site)] {
		return bridge.Message{}, c.permanentErr(op, "Shopee does not allow sending messages in the TW region")
	}
	if strings.TrimSpace(text) == "" {
		return bridge.Message{}, c.permanentErr(op, "the reply is empty")
	}
	if n := utf8.RuneCountInString(text); c.cfg.MaxTextLength > 0 && n > c.cfg.MaxTextLength {
		return bridge.Message{}, c.permanentErr(op, fmt.Sprintf("the reply is %d characters long; the limit is %d", n, c.cfg.MaxTextLength))
	}
	buyer := conv.BuyerID
	if buyer == "" {
		full, err := c.conversation(ctx, store, conv.ID)
		if err != nil {
			return bridge.Message{}, err
		}
		buyer = full.BuyerID
	}
	toID, err := strconv.ParseInt(buyer, 10, 64)
	if err != nil {
		return bridge.Message{}, c.permanentErr(op, "conversation "+string(conv.ID)+" has no numeric buyer ID")
	}
	raw, err := c.callShop(ctx, store, apiCall{
		path: pathSendMessage, op: op, method: http.MethodPost,
		body: map[string]any{"to_id": toID, "message_type": "text", "content": map[string]string{"text": text}},
	})
	if err != nil {
		return bridge.Message{}, err
	}
	m, err := decodeSendResult(raw)
	if err != nil {
		// Shopee took the message but the answer is unreadable: the outcome
		// is unknown to the outbox, which reconciles before resending.
		return bridge.Message{}, c.decodeErr(op, err)
	}
	msg := c.toMessage(store, conv.ID, m)
	msg.Sender, msg.Kind = bridge.SenderSeller, bridge.KindText
	if msg.Text == "" {
		msg.Text = text
	}
	if msg.SentAt.IsZero() {
		msg.SentAt = c.clock.Now()
	}
	return msg, nil
}

// MarkRead marks conv read up to last (read_conversation).
func (c *Client) MarkRead(ctx context.Context, store bridge.Store, conv bridge.ConversationID, last bridge.MessageID) error {
	id, err := strconv.ParseInt(string(conv), 10, 64)
	if err != nil {
		return c.permanentErr("mark read", "conversation ID "+string(conv)+" is not numeric")
	}
	_, err = c.callShop(ctx, store, apiCall{
		path: pathReadConversation, op: "mark read", method: http.MethodPost, idempotent: true,
		body: map[string]any{"conversation_id": id, "last_read_message_id": string(last)},
	})
	return err
}
