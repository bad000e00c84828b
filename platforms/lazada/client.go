// Package lazada is the Lazada Open Platform (LazOP) client of shopbridge.
// Lazada is push-first: the IM push carries each new message whole, and
// Lazada reclaims the API permission of apps that poll its IM lists. So the
// client implements bridge.Marketplace and bridge.PushDriven:
//
//   - new messages arrive on the push endpoint (RegisterRoutes), are
//     verified, recorded through bridge.Pushes and acknowledged only once
//     stored;
//   - CheckHealth makes the cheap call the engine repeats every minute
//     (/seller/get), ImportHistory the one-off history import, and
//     RepairConversation an admin's explicit repair: the only callers of
//     /im/session/list and /im/message/list, each call counted and capped
//     per store and hour;
//   - ListConversations and ListMessages never call Lazada: they return an
//     error that says the platform is push-driven;
//   - SendText (/im/message/send, text template), MarkRead (/im/session/read),
//     with Lazada's session rule checked before any call;
//   - bridge.Authorizer: the authorization link, /auth/token/create and
//     /auth/token/refresh on the auth gateway.
//
// Requests are signed as LazOP documents (sign.go) and sent through
// platforms/httpx to the store's country gateway. The wire format follows
// shared/reference/marketplace-apis.md, section 2; every detail that the
// reference marks UNVERIFIED is in unverified.go with the choice made.
package lazada

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// PushRecorder is where the push endpoint delivers what pushes carry:
// *bridge.Pushes in the bridge (the engine attaches to it). Record returns
// once the messages are stored durably; Known reports whether the bridge
// has the conversation; Seen notes any verified push of a shop.
type PushRecorder interface {
	Record(ctx context.Context, platform bridge.Platform, shopID string, c bridge.Conversation, msgs []bridge.Message) error
	Known(ctx context.Context, platform bridge.Platform, shopID string, c bridge.ConversationID) (bool, error)
	Seen(platform bridge.Platform, shopID string)
}

var _ PushRecorder = (*bridge.Pushes)(nil)

// Deps are what the client needs besides its config.
type Deps struct {
	// Tokens keeps each store's tokens (normally the bridge's State). Required.
	Tokens bridge.TokenStore
	// InitialTokens are tokens from the config, used for a store that has
	// none in Tokens yet. Once the client refreshes them, the saved ones win.
	InitialTokens map[bridge.StoreID]bridge.Tokens
	// Pushes receives the messages IM pushes carry (a *bridge.Pushes).
	// Without it the push endpoint refuses IM pushes (503), so Lazada
	// delivers them again later.
	Pushes PushRecorder
	// Stores are the configured Lazada stores: a push names only its
	// seller_id, and a push for a session the bridge does not know needs
	// the store's gateway and token for /im/session/get. Stores the client
	// is called for are remembered too.
	Stores []bridge.Store
	// Hints receives a hint per session-update push; nil disables hints.
	Hints *bridge.Hints
	// Clock defaults to the system clock.
	Clock bridge.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Refusals counts refused pushes (forged, stale); nil logs each one.
	Refusals *bridge.Refusals
}

// Client is the Lazada marketplace client. It is safe for concurrent use.
type Client struct {
	cfg      Config
	authBase *url.URL
	http     *httpx.Client
	tok      *httpx.TokenProvider
	pushes   PushRecorder
	hints    *bridge.Hints
	clock    bridge.Clock
	log      *slog.Logger
	intake   httpx.PushIntake

	mu     sync.Mutex
	byShop map[string]bridge.Store
	// nameless are sessions whose /im/session/get failed: the next push
	// for them tries again.
	nameless map[sessionKey]bool

	lists *listCalls
}

type sessionKey struct {
	shop    string
	session bridge.ConversationID
}

// Compile-time interface guards.
var (
	_ bridge.Marketplace = (*Client)(nil)
	_ bridge.PushDriven  = (*Client)(nil)
	_ bridge.Authorizer  = (*Client)(nil)
)

// New returns a client for cfg (defaults applied). It starts nothing.
func New(cfg Config, deps Deps) (*Client, error) {
	cfg.SetDefaults()
	clock, log, err := httpx.Prepare(bridge.PlatformLazada, cfg.Validate(), deps.Tokens, deps.Clock, deps.Logger)
	if err != nil {
		return nil, err
	}
	deps.Clock = clock
	authBase, _ := url.Parse(strings.TrimRight(cfg.AuthURL, "/"))
	c := &Client{
		cfg:      cfg,
		authBase: authBase,
		http:     httpx.New(cfg.HTTP, string(bridge.PlatformLazada), deps.Clock, log),
		pushes:   deps.Pushes,
		hints:    deps.Hints,
		clock:    deps.Clock,
		log:      log,
		intake:   httpx.PushIntake{Endpoint: PushEndpoint, Refusals: deps.Refusals, Log: log, LogMessage: "push refused"},
		byShop:   map[string]bridge.Store{},
		nameless: map[sessionKey]bool{},
		lists:    newListCalls(),
	}
	c.tok = httpx.NewTokenProvider(httpx.TokenConfig{
		Platform: bridge.PlatformLazada, Store: deps.Tokens, Initial: deps.InitialTokens,
		Margin: cfg.TokenRefreshMargin, Refresh: c.refreshTokens, Clock: deps.Clock, Logger: log,
	})
	for _, s := range deps.Stores {
		c.remember(s)
	}
	return c, nil
}

// Platform returns bridge.PlatformLazada.
func (c *Client) Platform() bridge.Platform { return bridge.PlatformLazada }

// Config returns the configuration in use, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// remember records the store of a seller ID, for pushes.
func (c *Client) remember(s bridge.Store) {
	if s.ShopID == "" {
		return
	}
	c.mu.Lock()
	c.byShop[s.ShopID] = s
	c.mu.Unlock()
}

func (c *Client) storeOf(sellerID string) (bridge.Store, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.byShop[sellerID]
	return s, ok
}

// ValidateStore checks the Lazada-specific parts of a configured store, one
// line per problem, for the bridge's config validation. shop_id is the
// seller_id (what pushes and tokens name).
func ValidateStore(s bridge.Store) []string {
	var errs []string
	prefix := fmt.Sprintf("stores.%s.", s.ID)
	if _, err := strconv.ParseUint(s.ShopID, 10, 64); err != nil {
		errs = append(errs, prefix+"shop_id: must be Lazada's numeric seller_id")
	}
	if _, ok := DefaultGateways[strings.ToUpper(s.Site)]; !ok {
		errs = append(errs, prefix+"site: must be one of SG, MY, TH, VN, PH, ID (it picks the country API gateway)")
	}
	return errs
}

// ListConversations is not available: Lazada is push-driven (its IM lists
// must not be polled), so the engine never calls it for Lazada stores. It
// makes no API call.
func (c *Client) ListConversations(ctx context.Context, store bridge.Store, since time.Time) ([]bridge.Conversation, error) {
	return nil, errPushDriven("list conversations")
}

// ListMessages is not available: see ListConversations. Use
// RepairConversation for an explicit, counted repair.
func (c *Client) ListMessages(ctx context.Context, store bridge.Store, conv bridge.ConversationID, after bridge.MessageID, limit int) ([]bridge.Message, error) {
	return nil, errPushDriven("list messages")
}

func errPushDriven(op string) error {
	return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: string(bridge.PlatformLazada), Op: op,
		Message: "Lazada is push-driven: its IM lists are never polled (Lazada reclaims the API permission of apps that poll them); " +
			"messages arrive by push, history comes from ImportHistory, and RepairConversation repairs one conversation on request"}
}
