package tiktok

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// defaultMessageLimit applies when ListMessages is called with limit <= 0.
const defaultMessageLimit = 50

// ListMessages returns the visible messages of conv newer than after,
// oldest first. It pages Get Conversation Messages newest first
// (sort_order=DESC, sort_field=index, page_size ≤ 10) until it meets
// after; messages are de-duplicated by ID and ordered by index, so a
// repeated or out-of-order page does no harm. Messages with
// is_visible=false are dropped: TikTok says not to show them. When after
// is empty, or not found within max_message_pages, it returns the newest
// limit visible messages.
func (c *Client) ListMessages(ctx context.Context, store bridge.Store, conv bridge.ConversationID, after bridge.MessageID, limit int) ([]bridge.Message, error) {
	const op = "list messages"
	if limit <= 0 {
		limit = defaultMessageLimit
	}
	var collected []wireMessage
	seen := map[string]bool{}
	tips := ""
	token := ""
	found := false
	visible := 0
	for page := 1; ; page++ {
		q := url.Values{
			"page_size":  {strconv.Itoa(c.cfg.MessagePageSize)},
			"sort_order": {"DESC"},
			"sort_field": {"index"},
			"locale":     {c.cfg.Locale},
		}
		if token != "" {
			q.Set("page_token", token)
		}
		raw, err := c.callShop(ctx, store, apiCall{path: pathMessages(conv), api: "get_conversation_messages", op: op,
			method: http.MethodGet, query: q, idempotent: true, shop: true, cs: true})
		if err != nil {
			return nil, err
		}
		p, err := decodeMessages(raw)
		if err != nil {
			return nil, c.decodeErr(op, err)
		}
		if p.Skipped > 0 {
			c.log.Warn("messages without an ID could not be decoded", "store", string(store.ID), "conversation", string(conv), "skipped", p.Skipped)
		}
		if tips == "" {
			tips = p.UnsupportedTips
		}
		var fresh []wireMessage
		for _, m := range p.Messages {
			if !seen[m.id()] {
				seen[m.id()] = true
				fresh = append(fresh, m)
			}
		}
		if after != "" {
			if i := slices.IndexFunc(fresh, func(m wireMessage) bool { return m.id() == string(after) }); i >= 0 {
				// Cut by order, not by position, in case the page is out
				// of order: keep what is newer than the mark.
				mark := fresh[i]
				for j, m := range fresh {
					if j != i && compareOrder(m, mark) > 0 {
						collected = append(collected, m)
					}
				}
				found = true
				break
			}
		}
		collected = append(collected, fresh...)
		for _, m := range fresh {
			if m.visible() {
				visible++
			}
		}
		if after == "" && visible >= limit {
			break
		}
		if p.Next == "" || p.Next == token || len(p.Messages) == 0 {
			break
		}
		if page >= c.cfg.MaxMessagePages {
			if after != "" {
				c.log.Warn("last known message not found within max_message_pages", "store", string(store.ID), "conversation", string(conv))
			}
			break
		}
		token = p.Next
	}
	// Oldest first by index (then time and ID).
	slices.SortStableFunc(collected, compareOrder)
	out := make([]bridge.Message, 0, len(collected))
	for _, m := range collected {
		msg, ok := toMessage(conv, m, tips)
		if !ok {
			continue // is_visible=false: never shown
		}
		out = append(out, msg)
	}
	if !found && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// compareOrder orders messages oldest first: by index, a decimal string
// that is larger for newer messages [DOC], compared as a number; then by
// create_time; then by ID (numerically when both are decimal). Messages
// without an index go by time. See unverified.go.
func compareOrder(a, b wireMessage) int {
	if a.Index != "" && b.Index != "" {
		if c := compareDecimal(string(a.Index), string(b.Index)); c != 0 {
			return c
		}
	}
	switch {
	case a.CreateTime < b.CreateTime:
		return -1
	case a.CreateTime > b.CreateTime:
		return 1
	}
	return compareDecimal(a.id(), b.id())
}

// compareDecimal compares two strings as non-negative decimal numbers when
// both are; otherwise as strings.
func compareDecimal(a, b string) int {
	da, db := isDecimal(a), isDecimal(b)
	if da && db {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(a, b)
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
