package statetest

import (
	"context"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// t0 has nanoseconds, so a backend that rounds to micro- or milliseconds fails.
// zero is the zero time, which must come back as such (not as 1970).
var zero time.Time

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// at is t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// conversation is a record with every field set.
func conversation(store bridge.StoreID, id bridge.ConversationID, thread bridge.ThreadRef) bridge.ConversationRecord {
	return bridge.ConversationRecord{
		Store:         store,
		ID:            id,
		BuyerID:       "buyer-" + string(id),
		BuyerName:     "Buyer " + string(id) + " — 買家",
		Link:          "https://seller.example.com/chat/" + string(id),
		Thread:        thread,
		WatermarkID:   "m-0",
		WatermarkAt:   at(10),
		LastBuyerAt:   at(10),
		LastSellerAt:  at(5),
		AwaitingSince: at(10),
		Unread:        1,
		SellerStreak:  2,
		CreatedAt:     at(1),
		UpdatedAt:     at(10),
	}
}

func thread(n int) bridge.ThreadRef {
	return bridge.ThreadRef{Channel: "C-inbox", ID: fmt.Sprintf("1700000000.%06d", n)}
}

// recordBuyer records buyer message id of c in the inbound queue as posted
// (with c updated as afterMessage does) and reports whether it was new.
func recordBuyer(ctx context.Context, st bridge.State, c bridge.ConversationRecord, id bridge.MessageID, n int) (bool, error) {
	m := bridge.InboundMessage{
		Store:      c.Store,
		Message:    bridge.Message{ID: id, Conversation: c.ID, Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: "hello", SentAt: at(100 + n)},
		Status:     bridge.InboundPosted,
		Chat:       bridge.ChatMessageRef{Channel: c.Thread.Channel, ID: fmt.Sprintf("%s.msg.%d", c.Thread.ID, n)},
		RecordedAt: at(101 + n),
		PostedAt:   at(101 + n),
	}
	changed, err := st.RecordInbound(ctx, bridge.InboundBatch{Conversation: afterMessage(c, id, n), Messages: []bridge.InboundMessage{m}})
	return len(changed) == 1, err
}

// afterMessage is c as the engine updates it after relaying buyer message id.
func afterMessage(c bridge.ConversationRecord, id bridge.MessageID, n int) bridge.ConversationRecord {
	c.WatermarkID = id
	c.WatermarkAt = at(100 + n)
	c.LastBuyerAt = at(100 + n)
	c.Unread++
	c.UpdatedAt = at(101 + n)
	return c
}

// reply is an outbox row with every field set but the ID.
func reply(store bridge.StoreID, conv bridge.ConversationID, chatID string, created time.Time) bridge.Reply {
	return bridge.Reply{
		Store:        store,
		Conversation: conv,
		Thread:       bridge.ThreadRef{Channel: "C-inbox", ID: "1700000000.000001"},
		ChatMessage:  bridge.ChatMessageRef{Channel: "C-inbox", ID: chatID},
		AuthorID:     "U-agent",
		AuthorName:   "Agent Ana",
		Text:         "Hello! Your order ships today 📦",
		Status:       bridge.ReplyQueued,
		CreatedAt:    created,
		UpdatedAt:    created,
	}
}

var (
	utc       = time.UTC
	fixedZone = time.FixedZone("UTC+8", 8*3600)
)
