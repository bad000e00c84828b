package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Config configures store authorization ("Update Store") and the
// upkeep of marketplace tokens. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// PublicURL is the bridge's HTTP listener as the shop owner's browser
	// reaches it; the platform redirects to PublicURL/auth/{platform}/callback.
	PublicURL string `yaml:"-"`
	// LinkTTL is how long an authorization link is accepted back (its state
	// token expires then, and is single-use anyway).
	LinkTTL time.Duration `yaml:"link_ttl"`
	// RefreshMargin refreshes an access token this long before it expires.
	RefreshMargin time.Duration `yaml:"refresh_margin"`
	// RetryInterval is the first wait after a refresh that failed for a
	// transient reason; it doubles up to CheckInterval.
	RetryInterval time.Duration `yaml:"retry_interval"`
	// CheckInterval is the longest the refresher sleeps between two looks at
	// the saved tokens (they also change under it: lazy refreshes, the CLI).
	CheckInterval time.Duration `yaml:"check_interval"`
	// ExpiryWarning posts an alert this long before a store's refresh token
	// (its authorization) expires.
	ExpiryWarning time.Duration `yaml:"expiry_warning"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		LinkTTL:       10 * time.Minute,
		RefreshMargin: 30 * time.Minute,
		RetryInterval: time.Minute,
		CheckInterval: 15 * time.Minute,
		ExpiryWarning: bridge.DefaultExpiryWarning,
	}
}

// SetDefaults fills what the auth: section leaves out.
func (c *Config) SetDefaults() { *c = c.withDefaults() }

// Validate returns one line per problem of the auth: section.
func (c Config) Validate() []string {
	var p []string
	between := func(name string, v, lo, hi time.Duration, why string) {
		if v < lo || v > hi {
			p = append(p, fmt.Sprintf("auth.%s: %s is outside %s…%s (%s)", name, v, lo, hi, why))
		}
	}
	// Shopee access tokens live 4 hours: a margin of more than 3 hours
	// would refresh almost continuously.
	between("refresh_margin", c.RefreshMargin, time.Minute, 3*time.Hour, "access tokens live 4h")
	// Shopee's authorization codes last 10 minutes; a link older than an
	// hour is a stale link.
	between("link_ttl", c.LinkTTL, time.Minute, time.Hour, "the shop owner opens the link soon after it is sent")
	between("expiry_warning", c.ExpiryWarning, time.Hour, 90*24*time.Hour, "e.g. 168h for a week")
	between("check_interval", c.CheckInterval, 10*time.Second, 24*time.Hour, "how often the tokens are looked at")
	between("retry_interval", c.RetryInterval, time.Second, time.Hour, "first wait after a failed refresh")
	return p
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.LinkTTL = cmp.Or(c.LinkTTL, d.LinkTTL)
	c.RefreshMargin = cmp.Or(c.RefreshMargin, d.RefreshMargin)
	c.RetryInterval = cmp.Or(c.RetryInterval, d.RetryInterval)
	c.CheckInterval = cmp.Or(c.CheckInterval, d.CheckInterval)
	c.ExpiryWarning = cmp.Or(c.ExpiryWarning, d.ExpiryWarning)
	c.PublicURL = strings.TrimRight(strings.TrimSpace(c.PublicURL), "/")
	return c
}

// State is the part of bridge.State the authorization flow uses: the tokens,
// its records and requests, and the audit.
type State interface {
	bridge.TokenStore
	bridge.AuthRecords
	bridge.AuthRequests
	bridge.AuditLog
}

// Alerts is the part of bridge.Chat the authorization flow posts to.
type Alerts interface {
	PostAlert(ctx context.Context, a bridge.Alert) (bridge.AlertRef, error)
	UpdateAlert(ctx context.Context, ref bridge.AlertRef, a bridge.Alert) error
}

// Deps are what the authorization flow runs on. With the engine, cmd
// fills them from the engine's parts (Stores and Authorized are the
// engine's) and registers the flow with Engine.Register; the CLI builds
// them without an engine.
type Deps struct {
	State        State
	Marketplaces []bridge.Marketplace
	// Stores returns the current store list (it may change: stores refresh).
	Stores func() []bridge.Store
	// Chat, when set, receives the confirmations and alerts.
	Chat   Alerts
	Clock  bridge.Clock
	Logger *slog.Logger
	// OnResult, when set, is called after each authorization callback.
	OnResult func(Result)
	// Authorized, when set, is told that new tokens were saved for a store
	// (the callback, a refresh, tokens saved by another process).
	Authorized func(bridge.Store)
	// Refusals, when set, counts callbacks refused for an invalid state
	// (anyone can call the callback URL): the first is logged, a flood only
	// as counts.
	Refusals *bridge.Refusals
	// Owns, with several replicas, says whether this replica refreshes a
	// store's tokens (it holds the store's lease: a single-use refresh
	// token must be spent by one replica); nil: every store.
	Owns func(bridge.StoreID) bool
}

// Link is an authorization link for a shop owner to open.
type Link struct {
	Store     bridge.Store
	URL       string
	ExpiresAt time.Time
}

// Result is the outcome of one authorization callback.
type Result struct {
	Store bridge.Store
	OK    bool
	// Tokens are the new tokens on success (never log them).
	Tokens bridge.Tokens
	// Err says why it failed; it carries no secret.
	Err error
}

// Errors of the authorization flow.
var (
	// ErrUnknownStore: no configured store has that ID.
	ErrUnknownStore = errors.New("no such store")
	// ErrInvalidState: the callback's state token is unknown, used or expired.
	ErrInvalidState = errors.New("the authorization link is unknown, expired or already used")
	// ErrShopMismatch: the platform authorized another shop than the store's
	// (marketplace clients return it too, so it lives in the core).
	ErrShopMismatch = bridge.ErrShopMismatch
)

// Flow runs the stores' authorization flow (link, callback, code exchange)
// and keeps their tokens fresh (the refresher). It is safe for concurrent use.
type Flow struct {
	cfg        Config
	state      State
	chat       Alerts
	clock      bridge.Clock
	log        *slog.Logger
	stores     func() []bridge.Store
	owns       func(bridge.StoreID) bool
	mps        map[bridge.Platform]bridge.Marketplace
	onResult   func(Result)
	authorized func(bridge.Store)
	refusals   *bridge.Refusals

	// recMu serialises read-modify-write of the per-store records.
	recMu sync.Mutex

	wake   chan struct{}
	retry  map[bridge.StoreID]retryState // refresher-only
	cancel context.CancelFunc
	done   chan struct{}
}

type retryState struct {
	at    time.Time
	delay time.Duration
}

// New builds the authorization flow; nothing runs until Start.
func New(cfg Config, deps Deps) *Flow {
	if deps.Clock == nil {
		deps.Clock = bridge.SystemClock{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Stores == nil {
		deps.Stores = func() []bridge.Store { return nil }
	}
	a := &Flow{
		cfg: cfg.withDefaults(), state: deps.State, chat: deps.Chat, clock: deps.Clock,
		log: deps.Logger.With("component", "auth"), stores: deps.Stores, owns: deps.Owns, onResult: deps.OnResult, authorized: deps.Authorized, refusals: deps.Refusals,
		mps: map[bridge.Platform]bridge.Marketplace{}, wake: make(chan struct{}, 1), retry: map[bridge.StoreID]retryState{},
	}
	for _, m := range deps.Marketplaces {
		a.mps[m.Platform()] = m
	}
	return a
}

var _ bridge.StoreAuthorization = (*Flow)(nil)

// Commands are none: `store update` is the engine's, which asks UpdateStore.
func (a *Flow) Commands() []bridge.Command { return nil }

// TokensRefused marks the store "needs update" (with one alert): the
// marketplace refused its tokens while the engine synced or sent.
func (a *Flow) TokensRefused(ctx context.Context, s bridge.Store, err error) {
	a.markNeedsUpdate(ctx, s, "the marketplace refused the store's tokens: "+bridge.ReasonOf(err))
}

// TokensWork clears a store's "needs update": it synced again.
func (a *Flow) TokensWork(ctx context.Context, s bridge.Store) {
	a.clearNeedsUpdate(ctx, s, "the marketplace accepts the store's tokens again")
}

// Config returns the effective configuration.
func (a *Flow) Config() Config { return a.cfg }

// ExpiryWarning is the configured warning before a store's authorization
// ends: status and stores call it "expiring soon" from then on.
func (a *Flow) ExpiryWarning() time.Duration { return a.cfg.ExpiryWarning }

func (a *Flow) store(id bridge.StoreID) (bridge.Store, bool) {
	for _, s := range a.stores() {
		if s.ID == id {
			return s, true
		}
	}
	return bridge.Store{}, false
}

// authorizer returns the store's marketplace as an Authorizer.
func (a *Flow) authorizer(s bridge.Store) (bridge.Authorizer, error) {
	m, ok := a.mps[s.Platform]
	if !ok {
		return nil, fmt.Errorf("no marketplace client for platform %q", s.Platform)
	}
	az, ok := m.(bridge.Authorizer)
	if !ok {
		return nil, fmt.Errorf("the %s client has no authorization flow", s.Platform)
	}
	return az, nil
}

// CallbackPath is the path of a platform's authorization callback.
func CallbackPath(p bridge.Platform) string { return bridge.CallbackPath(p) }

// Link creates a single-use authorization link for the store: a state
// token is saved (hashed) with its expiry, and the platform's link carries
// the redirect to the bridge's callback. ErrUnknownStore for an unknown
// store; any other error means the flow could not start (its text has no
// secret, and it is for the log, not for chat).
func (a *Flow) Link(ctx context.Context, id bridge.StoreID, by bridge.AuthRequester) (Link, error) {
	s, ok := a.store(id)
	if !ok {
		return Link{}, ErrUnknownStore
	}
	az, err := a.authorizer(s)
	if err != nil {
		return Link{}, fmt.Errorf("store %s: %w", id, err)
	}
	if a.cfg.PublicURL == "" {
		return Link{}, fmt.Errorf("store %s: the bridge has no public URL for the callback (set http.public_url)", id)
	}
	now := a.clock.Now()
	token, err := a.saveState(ctx, bridge.AuthRequest{Store: s.ID, Platform: s.Platform, ExpiresAt: now.Add(a.cfg.LinkTTL), By: by})
	if err != nil {
		return Link{}, fmt.Errorf("store %s: save the link's state: %w", id, err)
	}
	redirect := a.cfg.PublicURL + CallbackPath(s.Platform) + "?" + url.Values{"store": {string(s.ID)}, "state": {token}}.Encode()
	link, err := az.AuthorizationURL(s, redirect)
	if err != nil {
		a.dropState(ctx, token)
		return Link{}, fmt.Errorf("store %s: build the %s authorization link: %w", id, s.Platform, err)
	}
	a.log.Info("authorization link created", "store", string(s.ID), "by", by.UserID, "surface", by.Surface,
		"expires", now.Add(a.cfg.LinkTTL).UTC().Format(time.RFC3339))
	return Link{Store: s, URL: link, ExpiresAt: now.Add(a.cfg.LinkTTL)}, nil
}

// RefreshNow refreshes the store's tokens at once, with the same
// bookkeeping as the refresher (needs update and alert on refusal).
func (a *Flow) RefreshNow(ctx context.Context, id bridge.StoreID) (bridge.Tokens, error) {
	s, ok := a.store(id)
	if !ok {
		return bridge.Tokens{}, ErrUnknownStore
	}
	return a.refreshStore(ctx, s)
}

// UpdateStore runs `store update <store> [refresh]`: an authorization
// link for the shop owner, or a token refresh now.
func (a *Flow) UpdateStore(ctx context.Context, req bridge.CommandRequest, s bridge.Store, refresh bool) bridge.CommandResponse {
	if refresh {
		return a.refreshCommand(ctx, s.ID)
	}
	by := bridge.AuthRequester{Surface: req.Surface, UserID: req.UserID, UserName: req.UserName, Channel: req.Channel}
	link, err := a.Link(ctx, s.ID, by)
	if errors.Is(err, ErrUnknownStore) {
		return bridge.CommandResponse{Text: bridge.TextNoStoreToUpdate, Error: true}
	}
	if err != nil {
		a.log.Error("update store: could not start the authorization flow", "store", string(s.ID), "user", req.UserID, "err", err)
		return bridge.CommandResponse{Text: bridge.TextUpdateStoreFailed, Error: true}
	}
	// The first line is what the audit keeps: it must not hold the link.
	return bridge.CommandResponse{Text: fmt.Sprintf(
		"Authorization link for %s created; it expires at %s.\n"+
			"Have the shop owner open it and approve shopbridge:\n%s\n"+
			"The alerts channel confirms when the new tokens are saved.",
		link.Store.Label(), link.ExpiresAt.UTC().Format("15:04 MST"), link.URL)}
}

func (a *Flow) refreshCommand(ctx context.Context, id bridge.StoreID) bridge.CommandResponse {
	s, ok := a.store(id)
	if !ok {
		return bridge.CommandResponse{Text: bridge.TextNoStoreToUpdate, Error: true}
	}
	if _, err := a.authorizer(s); err != nil {
		a.log.Error("update store: cannot refresh tokens", "store", string(id), "err", err)
		return bridge.CommandResponse{Text: bridge.TextUpdateStoreFailed, Error: true}
	}
	t, err := a.refreshStore(ctx, s)
	if err != nil {
		return bridge.CommandResponse{Text: fmt.Sprintf("Refreshing the tokens of %s failed: %s. Run `store update %s` to re-authorize it.",
			s.Label(), bridge.ReasonOf(err), s.ID), Error: true}
	}
	until := "unknown"
	if !t.AccessExpiresAt.IsZero() {
		until = t.AccessExpiresAt.UTC().Format("2006-01-02 15:04 MST")
	}
	return bridge.CommandResponse{Text: fmt.Sprintf("Tokens of %s refreshed; the access token is valid until %s.", s.Label(), until)}
}
