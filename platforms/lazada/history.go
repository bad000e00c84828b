package lazada

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The IM lists (/im/session/list, /im/message/list) are called only by
// ImportHistory (the engine's one-off import after a store is authorized)
// and RepairConversation (an admin's explicit repair): Lazada reclaims the
// API permission of apps that poll them [DOC LZ-IMBP]. Every call is
// counted per store, and a per-store hourly safety cap refuses more.

// historyHorizon is how far back Lazada copies history after an
// authorization (one month, at most 3000 sessions [DOC LZ-IMBP]).
const historyHorizon = 30 * 24 * time.Hour

// defaultHistoryLimit applies when a limit <= 0 is asked for.
const defaultHistoryLimit = 20

// listCalls counts IM list calls per store.
type listCalls struct {
	mu      sync.Mutex
	total   map[bridge.StoreID]int
	refused map[bridge.StoreID]int
	recent  map[bridge.StoreID][]time.Time
}

func newListCalls() *listCalls {
	return &listCalls{total: map[bridge.StoreID]int{}, refused: map[bridge.StoreID]int{}, recent: map[bridge.StoreID][]time.Time{}}
}

// ListCalls is how many IM list calls the client made for the store since
// it started (for metrics; at idle it does not grow).
func (c *Client) ListCalls(store bridge.StoreID) int {
	c.lists.mu.Lock()
	defer c.lists.mu.Unlock()
	return c.lists.total[store]
}

// ListCallsRefused is how many IM list calls the hourly safety cap refused
// for the store.
func (c *Client) ListCallsRefused(store bridge.StoreID) int {
	c.lists.mu.Lock()
	defer c.lists.mu.Unlock()
	return c.lists.refused[store]
}

// errListCap marks a call the safety cap refused.
var errListCap = errors.New("the hourly safety cap on IM list calls is reached")

// takeListCall counts one IM list call of the store, or refuses it when the
// store already made max_list_calls_per_hour within the last hour.
func (c *Client) takeListCall(store bridge.Store, api, why string) error {
	now := c.clock.Now()
	l := c.lists
	l.mu.Lock()
	recent := l.recent[store.ID]
	i := 0
	for i < len(recent) && now.Sub(recent[i]) >= time.Hour {
		i++
	}
	recent = recent[i:]
	if len(recent) >= c.cfg.MaxListCallsPerHour {
		l.recent[store.ID] = recent
		l.refused[store.ID]++
		l.mu.Unlock()
		c.log.Error("IM list call refused: the per-store hourly safety cap is reached (Lazada reclaims the API permission of apps that poll the IM lists)",
			"store", string(store.ID), "api", api, "for", why, "cap", c.cfg.MaxListCallsPerHour, "calls_last_hour", len(recent))
		return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformLazada), Op: why, Code: "list_call_cap",
			Message: fmt.Sprintf("refused: store %s made %d IM list calls within the last hour (lazada.max_list_calls_per_hour is %d); "+
				"Lazada reclaims the API permission of apps that poll its IM lists", store.ID, len(recent), c.cfg.MaxListCallsPerHour),
			Err: errListCap}
	}
	l.recent[store.ID] = append(recent, now)
	l.total[store.ID]++
	l.mu.Unlock()
	return nil
}

// CheckHealth makes the cheap call the engine repeats for a push-driven
// store (bridge.PushDriven): /seller/get, the seller's profile (see
// unverified.go). It also confirms that the tokens belong to the store's
// seller.
func (c *Client) CheckHealth(ctx context.Context, store bridge.Store) error {
	const op = "check health"
	raw, err := c.callSeller(ctx, store, apiCall{path: pathSellerGet, op: op, method: http.MethodGet, idempotent: true})
	if err != nil {
		return err
	}
	var seller struct {
		SellerID flexString `json:"seller_id"`
	}
	if err := decodeObject(raw, &seller); err != nil {
		return c.decodeErr(op, err)
	}
	if id := string(seller.SellerID); id != "" && id != store.ShopID {
		return c.authErr(op, store, fmt.Sprintf("its tokens belong to seller %s, not to seller_id %s: authorize the store again", id, store.ShopID))
	}
	return nil
}

// ImportHistory fetches, once, the sessions active since since (at most a
// month back) and up to limit of the newest messages of each, oldest first
// (bridge.PushDriven). The engine calls it some minutes after a store is
// authorized, when Lazada has copied the history to the API side. Sessions
// are taken newest first: when the hourly safety cap stops the import, it
// returns what it has, and logs what it left out.
func (c *Client) ImportHistory(ctx context.Context, store bridge.Store, since time.Time, limit int) ([]bridge.ConversationHistory, error) {
	const op = "import history"
	if limit <= 0 {
		limit = defaultHistoryLimit
	}
	floor := c.clock.Now().Add(-historyHorizon)
	if since.Before(floor) {
		since = floor
	}
	sessions, err := c.listSessions(ctx, store, since)
	if err != nil && len(sessions) == 0 {
		return nil, err
	}
	out := make([]bridge.ConversationHistory, 0, len(sessions))
	var firstErr error
	for i, s := range sessions {
		msgs, merr := c.listMessages(ctx, store, s.ID, limit, floor, op)
		if merr != nil {
			if errors.Is(merr, errListCap) {
				c.log.Error("history import truncated by lazada.max_list_calls_per_hour: raise it for this one-off import if needed",
					"store", string(store.ID), "imported_sessions", len(out), "left_out", len(sessions)-i)
				break
			}
			if bridge.Classify(merr) == bridge.KindAuth || ctx.Err() != nil {
				return nil, merr
			}
			c.log.Warn("history of a session could not be imported", "store", string(store.ID), "session", string(s.ID), "err", merr)
			if firstErr == nil {
				firstErr = merr
			}
			continue
		}
		out = append(out, bridge.ConversationHistory{Conversation: s, Messages: msgs})
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	c.log.Info("history fetched", "store", string(store.ID), "sessions", len(out), "list_calls", c.ListCalls(store.ID))
	return out, nil
}

// RepairConversation fetches up to limit of the newest messages of one
// session (oldest first), for an admin's explicit repair of a gap
// (bridge.Repairer): one /im/message/list page per 20 messages, counted and
// capped like the import's, and /im/session/get for the session itself
// (not a list call; without it the session is returned with its ID only).
// The engine never calls it on its own.
func (c *Client) RepairConversation(ctx context.Context, store bridge.Store, conv bridge.ConversationID, limit int) (bridge.Conversation, []bridge.Message, error) {
	if limit <= 0 {
		limit = defaultHistoryLimit
	}
	c.log.Info("repairing a conversation from the IM message list", "store", string(store.ID), "session", string(conv), "limit", limit)
	msgs, err := c.listMessages(ctx, store, conv, limit, c.clock.Now().Add(-historyHorizon), "repair conversation")
	if err != nil {
		return bridge.Conversation{}, nil, err
	}
	s, err := c.session(ctx, store, conv)
	if err != nil {
		c.log.Warn("session details unavailable for the repair", "store", string(store.ID), "session", string(conv), "err", err)
		s = bridge.Conversation{ID: conv}
	}
	return s, msgs, nil
}

// listSessions pages /im/session/list backwards from now and returns the
// sessions whose last message is not older than since, newest first. It
// stops at the first page reaching past since, at the end, when the cursor
// does not move, or after max_session_pages. A cap refusal after the first
// page ends the listing with what it has.
func (c *Client) listSessions(ctx context.Context, store bridge.Store, since time.Time) ([]bridge.Conversation, error) {
	const op = "list sessions"
	var out []bridge.Conversation
	seen := map[bridge.ConversationID]bool{}
	start, lastID := c.clock.Now().UnixMilli(), ""
	for pageNo := 1; ; pageNo++ {
		if err := c.takeListCall(store, "im/session/list", "import history"); err != nil {
			if pageNo == 1 {
				return nil, err
			}
			return out, err
		}
		q := url.Values{"start_time": {strconv.FormatInt(start, 10)}, "page_size": {strconv.Itoa(c.cfg.PageSize)}}
		if lastID != "" {
			q.Set("last_session_id", lastID)
		}
		raw, err := c.callSeller(ctx, store, apiCall{path: pathSessionList, op: op, method: http.MethodGet, params: q, idempotent: true})
		if err != nil {
			return out, err
		}
		p, err := decodeSessionPage(raw)
		if err != nil {
			return out, c.decodeErr(op, err)
		}
		if p.Skipped > 0 {
			c.log.Warn("session list entries could not be decoded", "store", string(store.ID), "skipped", p.Skipped)
		}
		oldest := int64(-1)
		for _, s := range p.Items {
			conv := toConversation(s)
			t := int64(s.LastMessageTime)
			if oldest < 0 || t < oldest {
				oldest = t
			}
			if seen[conv.ID] || (!conv.LatestMessageAt.IsZero() && conv.LatestMessageAt.Before(since)) {
				continue
			}
			seen[conv.ID] = true
			out = append(out, conv)
		}
		if !p.HasMore || len(p.Items) == 0 || (oldest >= 0 && msTime(oldest).Before(since)) {
			break
		}
		next, nextID := p.NextStart, p.LastID
		if next <= 0 {
			next = oldest
		}
		if next > start || (next == start && nextID == lastID) {
			c.log.Warn("session list cursor does not move: listing stopped", "store", string(store.ID))
			break
		}
		if pageNo >= c.cfg.MaxSessionPages {
			c.log.Warn("session list truncated at max_session_pages", "store", string(store.ID), "pages", pageNo)
			break
		}
		start, lastID = next, nextID
	}
	slices.SortStableFunc(out, func(a, b bridge.Conversation) int { return b.LatestMessageAt.Compare(a.LatestMessageAt) })
	return out, nil
}

// listMessages pages /im/message/list of one session backwards from now
// until it holds limit messages (no older than floor) and returns the
// newest limit, oldest first, each once.
func (c *Client) listMessages(ctx context.Context, store bridge.Store, conv bridge.ConversationID, limit int, floor time.Time, why string) ([]bridge.Message, error) {
	const op = "list messages"
	size := min(limit, c.cfg.PageSize)
	var got []bridge.Message
	seen := map[bridge.MessageID]bool{}
	start, lastID := c.clock.Now().UnixMilli(), ""
	maxPages := (limit+size-1)/size + 5 // room for repeated entries
	for pageNo := 1; ; pageNo++ {
		if err := c.takeListCall(store, "im/message/list", why); err != nil {
			return nil, err
		}
		q := url.Values{"session_id": {string(conv)}, "start_time": {strconv.FormatInt(start, 10)}, "page_size": {strconv.Itoa(size)}}
		if lastID != "" {
			q.Set("last_message_id", lastID)
		}
		raw, err := c.callSeller(ctx, store, apiCall{path: pathMessageList, op: op, method: http.MethodGet, params: q, idempotent: true})
		if err != nil {
			return nil, err
		}
		p, err := decodeMessagePage(raw)
		if err != nil {
			return nil, c.decodeErr(op, err)
		}
		if p.Skipped > 0 {
			c.log.Warn("messages without an ID could not be decoded", "store", string(store.ID), "session", string(conv), "skipped", p.Skipped)
		}
		oldest := int64(-1)
		for _, wm := range p.Items {
			t := int64(wm.SendTime)
			if oldest < 0 || t < oldest {
				oldest = t
			}
			m := toMessage(wm)
			m.Conversation = conv
			if seen[m.ID] || (!m.SentAt.IsZero() && m.SentAt.Before(floor)) {
				continue
			}
			seen[m.ID] = true
			got = append(got, m)
		}
		if len(got) >= limit || !p.HasMore || len(p.Items) == 0 || (oldest >= 0 && msTime(oldest).Before(floor)) {
			break
		}
		next, nextID := p.NextStart, p.LastID
		if next <= 0 {
			next = oldest
		}
		if next > start || (next == start && nextID == lastID) || pageNo >= maxPages {
			break
		}
		start, lastID = next, nextID
	}
	slices.SortStableFunc(got, compareMessages)
	if len(got) > limit {
		got = got[len(got)-limit:]
	}
	return got, nil
}

// compareMessages orders messages oldest first: by time, then by ID.
func compareMessages(a, b bridge.Message) int {
	if c := a.SentAt.Compare(b.SentAt); c != 0 {
		return c
	}
	return compareIDs(string(a.ID), string(b.ID))
}
