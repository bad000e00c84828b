package shopee

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// ListConversations returns the store's conversations with activity at or
// after since, newest first. It pages get_conversation_list with
// direction=older (newest first) and stops after the first page that ends
// with a conversation older than since, so an idle store costs one call. A
// whole page is always read, so a page that is out of order loses nothing;
// conversations repeated across pages are returned once.
func (c *Client) ListConversations(ctx context.Context, store bridge.Store, since time.Time) ([]bridge.Conversation, error) {
	var out []bridge.Conversation
	seen := map[bridge.ConversationID]bool{}
	cursor := ""
	for page := 1; ; page++ {
		q := url.Values{
			"direction": {"older"},
			"type":      {"all"},
			"page_size": {strconv.Itoa(c.cfg.ConversationPageSize)},
		}
		if cursor != "" {
			q.Set("next_timestamp_nano", cursor)
		}
		raw, err := c.callShop(ctx, store, apiCall{path: pathGetConversationList, op: "list conversations", method: http.MethodGet, query: q, idempotent: true})
		if err != nil {
			return nil, err
		}
		p, err := decodeConversationList(raw)
		if err != nil {
			return nil, c.decodeErr("list conversations", err)
		}
		if p.Skipped > 0 {
			c.log.Warn("conversation list entries could not be decoded", "store", string(store.ID), "skipped", p.Skipped)
		}
		older := func(c bridge.Conversation) bool {
			return !since.IsZero() && !c.LatestMessageAt.IsZero() && c.LatestMessageAt.Before(since)
		}
		// The listing has reached since when the page's last entry is older:
		// an older entry earlier in the page (a pinned conversation, say)
		// does not stop it, so nothing newer on the next page is missed.
		reachedSince := len(p.Conversations) > 0 && older(toConversation(p.Conversations[len(p.Conversations)-1]))
		for _, wc := range p.Conversations {
			conv := toConversation(wc)
			if conv.ID == "" || older(conv) {
				continue
			}
			if seen[conv.ID] {
				continue
			}
			seen[conv.ID] = true
			out = append(out, conv)
		}
		if reachedSince || !p.More || p.Next == "" || !olderCursor(p.Next, cursor) {
			return out, nil
		}
		if page >= c.cfg.MaxConversationPages {
			c.log.Warn("conversation list truncated: more pages than max_conversation_pages", "store", string(store.ID),
				"pages", page, "since", since)
			return out, nil
		}
		cursor = p.Next
	}
}

// olderCursor reports whether next moves the direction=older listing
// forward (to older conversations) from cursor; a cursor that does not
// would page forever.
func olderCursor(next, cursor string) bool {
	if cursor == "" {
		return true
	}
	n, err1 := strconv.ParseInt(next, 10, 64)
	c, err2 := strconv.ParseInt(cursor, 10, 64)
	if err1 != nil || err2 != nil {
		return next != cursor
	}
	return n < c
}

func toConversation(wc wireConversation) bridge.Conversation {
	return bridge.Conversation{
		ID:              bridge.ConversationID(wc.ConversationID),
		BuyerID:         string(wc.ToID),
		BuyerName:       string(wc.ToName),
		LatestMessageID: bridge.MessageID(wc.LatestMessageID),
		LatestMessageAt: unitTime(int64(wc.LastMessageTimestamp)),
		UnreadCount:     int(wc.UnreadCount),
	}
}

// conversation fetches one conversation (get_one_conversation).
func (c *Client) conversation(ctx context.Context, store bridge.Store, id bridge.ConversationID) (bridge.Conversation, error) {
	raw, err := c.callShop(ctx, store, apiCall{path: pathGetOneConversation, op: "get conversation", method: http.MethodGet,
		query: url.Values{"conversation_id": {string(id)}}, idempotent: true})
	if err != nil {
		return bridge.Conversation{}, err
	}
	wc, err := decodeOneConversation(raw)
	if err != nil {
		return bridge.Conversation{}, c.decodeErr("get conversation", err)
	}
	return toConversation(wc), nil
}

// decodeErr classifies a response that could not be decoded. It is
// transient: a cut or garbled body is more likely than a format change, and
// the engine's connectivity alert surfaces it if it persists.
func (c *Client) decodeErr(op string, err error) error {
	return &bridge.PlatformError{Kind: bridge.KindTransient, Platform: string(bridge.PlatformShopee), Op: op, Code: "bad_response", Message: err.Error()}
}
