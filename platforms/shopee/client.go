// Package shopee is the Shopee Open Platform v2 client of shopbridge: it
// implements bridge.Marketplace (conversation polling, message paging,
// sending text, marking read) and bridge.Authorizer (the shop authorization
// link, code exchange and token refresh), receives webchat pushes on the
// bridge's listener and recovers lost ones. The wire format follows
// shared/reference/marketplace-apis.md, section 1; every detail that the
// reference marks UNVERIFIED is in unverified.go.
//
// Sending supports text only; images, stickers, items and orders may follow
// (upload_image and the other send types are described in the reference).
package shopee

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

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
	// Hints receives a hint per push; nil disables hints.
	Hints *bridge.Hints
	// Refusals counts refused pushes and bounds their log lines; nil builds
	// one logging to Logger (the application shares one across endpoints).
	Refusals *bridge.Refusals
	// Clock defaults to the system clock.
	Clock bridge.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Client is the Shopee marketplace client. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  *url.URL
	http  *httpx.Client
	tok   *httpx.TokenProvider
	hints *bridge.Hints
	clock bridge.Clock
	log   *slog.Logger

	pushes *pushGuard
	intake httpx.PushIntake
}

// Compile-time interface guards.
var (
	_ bridge.Marketplace = (*Client)(nil)
	_ bridge.Authorizer  = (*Client)(nil)
)

// New returns a client for cfg (defaults applied). It starts nothing.
func New(cfg Config, deps Deps) (*Client, error) {
	cfg.SetDefaults()
	clock, log, err := httpx.Prepare(bridge.PlatformShopee, cfg.Validate(), deps.Tokens, deps.Clock, deps.Logger)
	if err != nil {
		return nil, err
	}
	deps.Clock = clock
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if deps.Refusals == nil {
		deps.Refusals = bridge.NewRefusals(log, deps.Clock, 0)
	}
	c := &Client{
		cfg:    cfg,
		base:   base,
		http:   httpx.New(cfg.HTTP, string(bridge.PlatformShopee), deps.Clock, log),
		hints:  deps.Hints,
		clock:  deps.Clock,
		log:    log,
		pushes: newPushGuard(cfg.PushMaxAge),
		intake: httpx.PushIntake{Endpoint: PushEndpoint, Refusals: deps.Refusals, Log: log, LogMessage: "push refused"},
	}
	c.tok = httpx.NewTokenProvider(httpx.TokenConfig{
		Platform: bridge.PlatformShopee, Store: deps.Tokens, Initial: deps.InitialTokens,
		Margin: cfg.TokenRefreshMargin, Refresh: c.refreshTokens, Clock: deps.Clock, Logger: log,
	})
	return c, nil
}

// Platform returns bridge.PlatformShopee.
func (c *Client) Platform() bridge.Platform { return bridge.PlatformShopee }

// Config returns the configuration in use, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// ValidateStore checks the Shopee-specific parts of a configured store, one
// line per problem, for the bridge's config validation.
func ValidateStore(s bridge.Store) []string {
	var errs []string
	prefix := fmt.Sprintf("stores.%s.", s.ID)
	if _, err := strconv.ParseUint(s.ShopID, 10, 64); err != nil {
		errs = append(errs, prefix+"shop_id: must be Shopee's numeric shop ID")
	}
	if s.Site == "" {
		errs = append(errs, prefix+"site: must be set (MY, SG, TH, PH, VN, ID, TW, BR…); TW stores cannot send replies")
	}
	return errs
}

// Refusals is the counter of refused pushes (Deps.Refusals or its own).
func (c *Client) Refusals() *bridge.Refusals { return c.intake.Refusals }
