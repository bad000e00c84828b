package tiktok

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// maxCachedConversations bounds the per-store conversation cache.
const maxCachedConversations = 5000

// ListConversations returns the store's conversations with activity at or
// after since. It pages Get Conversations (page_size ≤ 20,
// next_page_token) and stops after the first page that ends with a
// conversation older than since, so an idle store costs one call; a whole
// page is always read, and conversations repeated across pages are
// returned once. Activity is the latest message's create_time (the
// conversation's create_time without one). The listing order, newest
// activity first, is UNVERIFIED (see unverified.go).
func (c *Client) ListConversations(ctx context.Context, store bridge.Store, since time.Time) ([]bridge.Conversation, error) {
	var out []bridge.Conversation
	seen := map[bridge.ConversationID]bool{}
	token := ""
	for page := 1; ; page++ {
		p, err := c.conversationPage(ctx, store, token)
		if err != nil {
			return nil, err
		}
		older := func(conv bridge.Conversation) bool {
			return !since.IsZero() && !conv.LatestMessageAt.IsZero() && conv.LatestMessageAt.Before(since)
		}
		reachedSince := false
		for i, wc := range p.Conversations {
			conv, _ := toConversation(wc)
			if i == len(p.Conversations)-1 {
				reachedSince = older(conv)
			}
			if conv.ID == "" || older(conv) || seen[conv.ID] {
				continue
			}
			seen[conv.ID] = true
			out = append(out, conv)
		}
		if reachedSince || p.Next == "" || p.Next == token {
			return out, nil
		}
		if page >= c.cfg.MaxConversationPages {
			c.log.Warn("conversation list truncated: more pages than max_conversation_pages", "store", string(store.ID), "pages", page, "since", since)
			return out, nil
		}
		token = p.Next
	}
}

// conversationPage fetches one page of Get Conversations and remembers its
// conversations (buyer, can_send_message).
func (c *Client) conversationPage(ctx context.Context, store bridge.Store, token string) (conversationPage, error) {
	const op = "list conversations"
	q := url.Values{"page_size": {strconv.Itoa(c.cfg.ConversationPageSize)}, "locale": {c.cfg.Locale}}
	if token != "" {
		q.Set("page_token", token)
	}
	raw, err := c.callShop(ctx, store, apiCall{path: pathConversations, api: "get_conversations", op: op,
		method: http.MethodGet, query: q, idempotent: true, shop: true, cs: true})
	if err != nil {
		return conversationPage{}, err
	}
	p, err := decodeConversations(raw)
	if err != nil {
		return conversationPage{}, c.decodeErr(op, err)
	}
	if p.Skipped > 0 {
		c.log.Warn("conversation list entries could not be decoded", "store", string(store.ID), "skipped", p.Skipped)
	}
	c.remember(store, p.Conversations)
	return p, nil
}

// toConversation maps a TikTok conversation. canSend is can_send_message
// (true when absent).
func toConversation(wc wireConversation) (conv bridge.Conversation, canSend bool) {
	conv = bridge.Conversation{
		ID:              bridge.ConversationID(wc.ID),
		UnreadCount:     int(wc.UnreadCount),
		LatestMessageAt: unixSeconds(int64(wc.CreateTime)),
	}
	if b, ok := wc.buyer(); ok {
		conv.BuyerID = string(b.UserID)
		if conv.BuyerID == "" {
			conv.BuyerID = string(b.IMUserID)
		}
		conv.BuyerName = string(b.Nickname)
	}
	if m, ok := wc.latest(); ok {
		if at := unixSeconds(int64(m.CreateTime)); !at.IsZero() {
			conv.LatestMessageAt = at
		}
		// An invisible latest message is never recorded, so it would never
		// match the engine's watermark: left empty, the engine fetches the
		// conversation's messages whenever it is listed as active.
		if m.visible() {
			conv.LatestMessageID = bridge.MessageID(m.id())
		}
	}
	return conv, wc.CanSendMessage.or(true)
}

// remember caches listed conversations (what a reply and a webhook need).
func (c *Client) remember(store bridge.Store, list []wireConversation) {
	if len(list) == 0 {
		return
	}
	now := c.clock.Now()
	st := c.state(store.ID)
	st.convMu.Lock()
	defer st.convMu.Unlock()
	for _, wc := range list {
		conv, canSend := toConversation(wc)
		if conv.ID == "" {
			continue
		}
		st.convs[conv.ID] = convInfo{conv: conv, canSend: canSend, at: now}
	}
	if len(st.convs) > maxCachedConversations {
		// Forget the conversations no recent listing saw (a listing holds
		// at most max_conversation_pages × 20), then any others.
		for id, ci := range st.convs {
			if ci.at.Before(now) {
				delete(st.convs, id)
			}
		}
		for id := range st.convs {
			if len(st.convs) <= maxCachedConversations {
				break
			}
			delete(st.convs, id)
		}
	}
}

// cached returns what the client remembers of a conversation.
func (c *Client) cached(store bridge.Store, id bridge.ConversationID) (convInfo, bool) {
	st := c.state(store.ID)
	st.convMu.Lock()
	defer st.convMu.Unlock()
	ci, ok := st.convs[id]
	return ci, ok
}

// lookup finds one conversation by paging the conversation list (newest
// first) for at most lookup_pages pages: there is no documented endpoint
// for one conversation in 202309 (see unverified.go).
func (c *Client) lookup(ctx context.Context, store bridge.Store, id bridge.ConversationID) (convInfo, bool, error) {
	token := ""
	for page := 1; page <= c.cfg.LookupPages; page++ {
		p, err := c.conversationPage(ctx, store, token)
		if err != nil {
			return convInfo{}, false, err
		}
		for _, wc := range p.Conversations {
			if bridge.ConversationID(wc.ID) == id {
				ci, _ := c.cached(store, id)
				return ci, true, nil
			}
		}
		if p.Next == "" || p.Next == token {
			break
		}
		token = p.Next
	}
	return convInfo{}, false, nil
}
