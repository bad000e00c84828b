package shopee

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/shopbridge/shopbridge/bridge"
)

// defaultMessageLimit applies when ListMessages is called with limit <= 0.
const defaultMessageLimit = 50

// ListMessages returns the messages of conv newer than after, oldest first.
// It pages get_message (newest first) until it meets after; the messages
// are de-duplicated by ID, so repeated pages do no harm, and a page that is
// out of order is cut by time, not by position. When after is empty, or not
// found within max_message_pages, it returns the newest limit messages.
func (c *Client) ListMessages(ctx context.Context, store bridge.Store, conv bridge.ConversationID, after bridge.MessageID, limit int) ([]bridge.Message, error) {
	if limit <= 0 {
		limit = defaultMessageLimit
	}
	var newestFirst []wireMessage
	seen := map[string]bool{}
	offset := ""
	found := false
	for page := 1; ; page++ {
		q := url.Values{
			"conversation_id": {string(conv)},
			"page_size":       {strconv.Itoa(c.cfg.MessagePageSize)},
		}
		if offset != "" {
			q.Set("offset", offset)
		}
		raw, err := c.callShop(ctx, store, apiCall{path: pathGetMessage, op: "list messages", method: http.MethodGet, query: q, idempotent: true})
		if err != nil {
			return nil, err
		}
		p, err := decodeMessages(raw)
		if err != nil {
			return nil, c.decodeErr("list messages", err)
		}
		if p.Skipped > 0 {
			c.log.Warn("messages without an ID could not be decoded", "store", string(store.ID), "conversation", string(conv), "skipped", p.Skipped)
		}
		var fresh []wireMessage
		for _, m := range p.Messages {
			if !seen[string(m.MessageID)] {
				seen[string(m.MessageID)] = true
				fresh = append(fresh, m)
			}
		}
		if after != "" {
			if i := slices.IndexFunc(fresh, func(m wireMessage) bool { return string(m.MessageID) == string(after) }); i >= 0 {
				// The page holding the mark is cut by time and ID, not by
				// position, in case it is out of order; only messages that
				// cannot be told apart from the mark go by position.
				mark := fresh[i]
				for j, m := range fresh {
					switch c := compareNewer(m, mark); {
					case j == i:
					case c < 0, c == 0 && j < i:
						newestFirst = append(newestFirst, m)
					}
				}
				found = true
				break
			}
		}
		newestFirst = append(newestFirst, fresh...)
		if after == "" && len(newestFirst) >= limit {
			break
		}
		if p.NextOffset == "" || p.NextOffset == offset || len(p.Messages) == 0 {
			break
		}
		if page >= c.cfg.MaxMessagePages {
			if after != "" {
				c.log.Warn("last known message not found within max_message_pages", "store", string(store.ID), "conversation", string(conv))
			}
			break
		}
		offset = p.NextOffset
	}
	if !found {
		// An out-of-order page may put an older message before a newer one:
		// keep the newest limit by time.
		slices.SortStableFunc(newestFirst, compareNewer)
		if len(newestFirst) > limit {
			newestFirst = newestFirst[:limit]
		}
	}
	// Oldest first, by time and then by ID; messages that cannot be told
	// apart keep the API's order, reversed.
	slices.Reverse(newestFirst)
	slices.SortStableFunc(newestFirst, func(a, b wireMessage) int { return -compareNewer(a, b) })
	out := make([]bridge.Message, 0, len(newestFirst))
	for _, m := range newestFirst {
		out = append(out, c.toMessage(store, conv, m))
	}
	return out, nil
}

// toMessage maps a Shopee message to the bridge's. Unknown types are kept
// as KindUnsupported with their Shopee type, never dropped.
func (c *Client) toMessage(store bridge.Store, conv bridge.ConversationID, m wireMessage) bridge.Message {
	out := bridge.Message{
		ID:           bridge.MessageID(m.MessageID),
		Conversation: conv,
		Sender:       bridge.SenderBuyer,
		SentAt:       unitTime(int64(m.CreatedTimestamp)),
	}
	if out.Conversation == "" {
		out.Conversation = bridge.ConversationID(m.ConversationID)
	}
	// The sender is the side whose from_shop_id is our shop [SDK SH-TS, SH-GO].
	if m.FromShopID != "" && m.FromShopID != "0" && string(m.FromShopID) == store.ShopID {
		out.Sender = bridge.SenderSeller
	}
	ct := m.content()
	switch typ := string(m.MessageType); typ {
	case "text":
		out.Kind, out.Text = bridge.KindText, string(ct.Text)
	case "image":
		out.Kind, out.URL = bridge.KindImage, firstOf(ct.URL, ct.ImageURL, ct.ThumbURL)
	case "video":
		out.Kind, out.URL = bridge.KindVideo, firstOf(ct.VideoURL, ct.URL)
	case "sticker":
		out.Kind = bridge.KindSticker
		if ct.StickerID != "" {
			out.Text = "sticker " + string(ct.StickerPackageID) + "/" + string(ct.StickerID)
		}
	case "item", "product":
		out.Kind, out.Card = bridge.KindItem, &bridge.Card{ItemID: string(ct.ItemID)}
	case "order":
		out.Kind, out.Card = bridge.KindOrder, &bridge.Card{OrderID: string(ct.OrderSN)}
	case "voucher":
		out.Kind, out.Card = bridge.KindVoucher, &bridge.Card{Voucher: firstOf(ct.VoucherCode, ct.VoucherID)}
	default:
		if typ == "" {
			typ = "unknown"
		}
		out.Kind, out.UnsupportedType, out.Text = bridge.KindUnsupported, typ, string(ct.Text)
	}
	return out
}

func firstOf(vs ...flexString) string {
	for _, v := range vs {
		if v != "" {
			return string(v)
		}
	}
	return ""
}

// compareNewer orders newer messages first (see newerThan).
func compareNewer(a, b wireMessage) int {
	switch {
	case newerThan(int64(a.CreatedTimestamp), string(a.MessageID), int64(b.CreatedTimestamp), string(b.MessageID)):
		return -1
	case newerThan(int64(b.CreatedTimestamp), string(b.MessageID), int64(a.CreatedTimestamp), string(a.MessageID)):
		return 1
	}
	return 0
}
