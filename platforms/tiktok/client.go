// Package tiktok is the TikTok Shop (Partner API 202309) client of
// shopbridge. It implements bridge.Marketplace (conversation polling,
// message paging, sending text, marking read), bridge.PollPolicy (TikTok
// stores are polled only as a low-frequency safety net beside webhooks)
// and bridge.Authorizer (the service authorization link, code exchange and
// token refresh on the auth host), and receives TikTok's customer-service
// webhooks on the bridge's listener: a type-14 webhook's message is
// recorded through bridge.Pushes before the webhook is acknowledged.
//
// The wire format follows shared/reference/marketplace-apis.md, section 3;
// every detail the reference marks UNVERIFIED (or knows only from SDKs) is
// in unverified.go with the client's choice.
//
// Sending supports TEXT only. A reply longer than TikTok's 2,000 characters
// is refused before any call, with a reason the agent sees (see SendText);
// images and cards may follow.
package tiktok

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Deps are what the client needs besides its config.
type Deps struct {
	// Tokens keeps each store's tokens (normally the bridge's State). Required.
	Tokens bridge.TokenStore
	// InitialTokens are tokens from the config, used for a store that has
	// none in Tokens yet. Once the client refreshes them, the saved ones win.
	InitialTokens map[bridge.StoreID]bridge.Tokens
	// Pushes records the messages webhooks carry (the engine attaches to
	// it). Without it a type-14 webhook only hints the syncer.
	Pushes *bridge.Pushes
	// Hints wakes the syncer (type-13 webhooks); nil disables hints.
	Hints *bridge.Hints
	// Stores are the configured TikTok stores, so webhooks can be matched
	// to a store before its first poll; stores the client is called for
	// are learnt anyway.
	Stores []bridge.Store
	// Clock defaults to the system clock.
	Clock bridge.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Refusals counts refused pushes (forged, stale); nil logs each one.
	Refusals *bridge.Refusals
}

// Client is the TikTok Shop marketplace client. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	auth   *url.URL
	http   *httpx.Client
	tok    *httpx.TokenProvider
	pushes *bridge.Pushes
	hints  *bridge.Hints
	clock  bridge.Clock
	log    *slog.Logger
	intake httpx.PushIntake
	quota  *quotaGate
	seen   *seenNotifications

	mu      sync.Mutex
	stores  map[bridge.StoreID]*storeState
	byShop  map[string]bridge.Store
	unknown map[string]time.Time // shops of webhooks no store has: last warning
}

// Compile-time interface guards.
var (
	_ bridge.Marketplace = (*Client)(nil)
	_ bridge.Authorizer  = (*Client)(nil)
	_ bridge.PollPolicy  = (*Client)(nil)
)

// New returns a client for cfg (defaults applied). It starts nothing.
func New(cfg Config, deps Deps) (*Client, error) {
	cfg.SetDefaults()
	clock, log, err := httpx.Prepare(bridge.PlatformTikTok, cfg.Validate(), deps.Tokens, deps.Clock, deps.Logger)
	if err != nil {
		return nil, err
	}
	deps.Clock = clock
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	auth, _ := url.Parse(strings.TrimRight(cfg.AuthURL, "/"))
	c := &Client{
		cfg:     cfg,
		base:    base,
		auth:    auth,
		http:    httpx.New(cfg.HTTP, string(bridge.PlatformTikTok), deps.Clock, log),
		pushes:  deps.Pushes,
		hints:   deps.Hints,
		clock:   deps.Clock,
		log:     log,
		intake:  httpx.PushIntake{Endpoint: WebhookEndpoint, Refusals: deps.Refusals, Log: log, LogMessage: "webhook refused"},
		quota:   newQuotaGate(),
		seen:    newSeenNotifications(),
		stores:  map[bridge.StoreID]*storeState{},
		byShop:  map[string]bridge.Store{},
		unknown: map[string]time.Time{},
	}
	c.tok = httpx.NewTokenProvider(httpx.TokenConfig{
		Platform: bridge.PlatformTikTok, Store: deps.Tokens, Initial: deps.InitialTokens,
		Margin: cfg.TokenRefreshMargin, Refresh: c.refreshTokens, Clock: deps.Clock, Logger: log,
	})
	for _, s := range deps.Stores {
		c.learnStore(s)
	}
	return c, nil
}

// Platform returns bridge.PlatformTikTok.
func (c *Client) Platform() bridge.Platform { return bridge.PlatformTikTok }

// Config returns the configuration in use, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// PollInterval is how often the engine polls a TikTok store
// (bridge.PollPolicy): poll_interval, 5 minutes by default. Webhooks carry
// new messages as they happen; the poll is the safety net for webhooks that
// never came. Every customer-service call spends the shop's quota of
// 10,000 a day:
//
//   - an idle store costs one conversation-list call per poll: 288 a day
//     at 5 minutes (2,880 at 30 seconds, the minimum allowed);
//   - a poll after activity costs one list page per 20 conversations
//     active since the previous poll, plus one message page (10 messages)
//     per conversation whose newest message no webhook brought in (none
//     while webhooks work);
//   - a reply costs one call, and the engine marks the conversation read
//     after it (one more); a webhook costs nothing (one list page the first
//     time a conversation appears, for its buyer's name).
//
// A shop with 1,000 conversations and 3,000 replies a day spends about
// 288 + 6,000 ≈ 6,300 calls (plus extra list pages in busy hours); if
// webhooks stopped, the polls would add about one call per active
// conversation per poll. See BenchmarkEndToEndWebhooksAndPolls.
func (c *Client) PollInterval() time.Duration { return c.cfg.PollInterval }

// ValidateStore checks the TikTok-specific parts of a configured store, one
// line per problem, for the bridge's config validation.
func ValidateStore(s bridge.Store) []string {
	prefix := fmt.Sprintf("stores.%s.", s.ID)
	if s.ShopID == "" || strings.Trim(s.ShopID, "0123456789") != "" {
		return []string{prefix + "shop_id: must be TikTok Shop's numeric shop ID (Get Authorized Shops: shops[].id)"}
	}
	return nil
}

// storeState is the client's per-store cache: shop_cipher and the
// conversations it has listed (its tokens are kept by the token provider).
type storeState struct {
	// cipherMu single-flights Get Authorized Shops.
	cipherMu sync.Mutex
	cipher   string

	convMu sync.Mutex
	convs  map[bridge.ConversationID]convInfo
}

// convInfo is what the client remembers of a listed conversation.
type convInfo struct {
	conv    bridge.Conversation
	canSend bool
	at      time.Time // when it was listed
}

func (c *Client) state(id bridge.StoreID) *storeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stores[id]
	if !ok {
		st = &storeState{convs: map[bridge.ConversationID]convInfo{}}
		c.stores[id] = st
	}
	return st
}

// learnStore remembers a store so webhooks for its shop find it.
func (c *Client) learnStore(s bridge.Store) {
	if s.ShopID == "" {
		return
	}
	c.mu.Lock()
	if old, ok := c.byShop[s.ShopID]; !ok || old != s {
		c.byShop[s.ShopID] = s
	}
	c.mu.Unlock()
}

// storeOf returns the store of a shop ID, if known.
func (c *Client) storeOf(shopID string) (bridge.Store, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.byShop[shopID]
	return s, ok
}

func (c *Client) permanentErr(op, msg string) error {
	return httpx.PermanentError(bridge.PlatformTikTok, op, msg)
}

func (c *Client) authErr(op string, store bridge.Store, msg string) error {
	return httpx.AuthError(bridge.PlatformTikTok, op, store, msg)
}

func (c *Client) decodeErr(op string, err error) error {
	return httpx.DecodeError(bridge.PlatformTikTok, op, err)
}
