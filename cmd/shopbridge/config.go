package main

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/report"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

// Config is the whole configuration file.
type Config struct {
	Log      LogConfig        `yaml:"log"`
	HTTP     HTTPConfig       `yaml:"http"`
	State    StateConfig      `yaml:"state"`
	Sync     engine.Config    `yaml:"sync"`
	Chat     string           `yaml:"chat"`
	Console  console.Config   `yaml:"console"`
	Slack    *slack.Config    `yaml:"slack"`
	Telegram *telegram.Config `yaml:"telegram"`
	// The marketplace apps: a section is needed only when a store uses
	// its platform (and its ${ENV} references only then).
	Shopee *shopee.Config `yaml:"shopee"`
	Lazada *lazada.Config `yaml:"lazada"`
	TikTok *tiktok.Config `yaml:"tiktok"`
	Stores []StoreConfig  `yaml:"stores"`
	Auth   auth.Config    `yaml:"auth"`

	// Report schedules the daily inspection report and sets its thresholds.
	Report report.Config `yaml:"report"`

	// Replicas tunes how several replicas on one PostgreSQL database share
	// the work (with state.backend: postgres; SQLite is single-replica).
	Replicas ReplicasConfig `yaml:"replicas"`

	// path is the file the config was read from (for `stores refresh`).
	path string
}

// ReplicasConfig names this replica and times the leases by which the
// replicas of one PostgreSQL database share the stores and the jobs that
// must run once.
type ReplicasConfig struct {
	// ID names this replica in status, metrics and the leases (default:
	// $SHOPBRIDGE_REPLICA_ID, else the host name and a random suffix).
	ID string `yaml:"id"`
	// LeaseTTL is how long a replica that stops renewing keeps its leases
	// (default 10s): another replica takes its work within LeaseTTL plus a
	// third of it.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
}

// LogConfig sets the log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// StateConfig chooses the state backend.
type StateConfig struct {
	// Backend is sqlite (embedded, the default) or postgres.
	Backend string `yaml:"backend"`
	// Path is the SQLite file.
	Path string `yaml:"path"`
	// DSN (postgres://…) and an optional Schema for PostgreSQL.
	DSN    string `yaml:"dsn"`
	Schema string `yaml:"schema"`
}

// StoreConfig is one store.
type StoreConfig struct {
	ID           string `yaml:"id"`
	Platform     string `yaml:"platform"`
	ShopID       string `yaml:"shop_id"`
	Name         string `yaml:"name"`
	Site         string `yaml:"site"`
	Channel      string `yaml:"channel"`
	Proxy        string `yaml:"proxy"`
	ProxyExpires string `yaml:"proxy_expires"`
	// AccessToken and RefreshToken seed a store's tokens (operators who
	// already hold them); once the bridge refreshed them, the saved ones win.
	AccessToken  string `yaml:"access_token"`
	RefreshToken string `yaml:"refresh_token"`
}

// SetDefaults fills what the file leaves out.
func (c *Config) SetDefaults() {
	c.Log.Level = cmp.Or(c.Log.Level, "info")
	c.Log.Format = cmp.Or(c.Log.Format, "text")
	c.HTTP.SetDefaults()
	c.State.Backend = cmp.Or(c.State.Backend, "sqlite")
	c.State.Path = cmp.Or(c.State.Path, "shopbridge.db")
	if c.Chat == "" {
		switch {
		case c.Slack != nil:
			c.Chat = "slack"
		case c.Telegram != nil:
			c.Chat = "telegram"
		default:
			c.Chat = "console"
		}
	}
	if c.Slack != nil {
		c.Slack.SetDefaults()
	}
	if c.Telegram != nil {
		c.Telegram.SetDefaults()
	}
	if c.Shopee != nil {
		c.Shopee.SetDefaults()
	}
	if c.Lazada != nil {
		c.Lazada.SetDefaults()
	}
	if c.TikTok != nil {
		c.TikTok.SetDefaults()
	}
	c.Auth.SetDefaults()
	c.Report.SetDefaults()
}

// EngineConfig is the sync section, its leases timed by the replicas section.
func (c *Config) EngineConfig() engine.Config {
	e := c.Sync
	e.Lease.TTL = c.Replicas.LeaseTTL
	return e
}

// Validate returns one line per problem.
func (c *Config) Validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format: %q is not text or json", c.Log.Format)
	}
	p = append(p, c.HTTP.Validate()...)
	if t := c.Replicas.LeaseTTL; t != 0 && (t < 3*time.Second || t > 5*time.Minute) {
		add("replicas.lease_ttl: %s is outside 3s…5m (how long a dead replica's stores wait for another)", t)
	}
	switch c.State.Backend {
	case "sqlite":
	case "postgres":
		if c.State.DSN == "" {
			add("state.dsn: missing (postgres://user@host:5432/db; keep the password in ${ENV})")
		} else if u, err := url.Parse(c.State.DSN); err == nil && u.Scheme != "" && u.Scheme != "postgres" && u.Scheme != "postgresql" {
			add("state.dsn: scheme %q is not postgres://", u.Scheme)
		}
	default:
		add("state.backend: %q is not supported (sqlite or postgres)", c.State.Backend)
	}
	p = append(p, c.Sync.Validate()...)
	p = append(p, c.Auth.Validate()...)
	p = append(p, c.Report.Validate()...)

	switch c.Chat {
	case "console":
		console := c.Console
		console.SetDefaults()
		p = append(p, console.Validate()...)
	case "slack":
		if c.Slack == nil {
			add("slack: chat is slack but the slack section is missing")
		}
	case "telegram":
		if c.Telegram == nil {
			add("telegram: chat is telegram but the telegram section is missing")
		}
	default:
		add("chat: %q is not console, slack or telegram", c.Chat)
	}
	if c.Slack != nil && c.Chat == "slack" {
		p = append(p, c.Slack.Validate()...)
	}
	if c.Telegram != nil && c.Chat == "telegram" {
		p = append(p, c.Telegram.Validate()...)
	}

	if len(c.Stores) == 0 {
		add("stores: no store configured (add at least one under stores:)")
	}
	used := map[bridge.Platform]bool{}
	seen := map[string]int{}
	for i, s := range c.Stores {
		where := fmt.Sprintf("stores[%d]", i)
		if s.ID != "" {
			where = fmt.Sprintf("stores[%d] (%s)", i, s.ID)
		}
		if s.ID == "" {
			add("%s.id: missing", where)
		} else if j, dup := seen[s.ID]; dup {
			add("%s.id: %q is used by stores[%d] too", where, s.ID, j)
		} else {
			seen[s.ID] = i
		}
		// reported: the fields that already have a line, so that the
		// platform's own check does not say the same again.
		reported := map[string]bool{}
		if s.ShopID == "" {
			add("%s.shop_id: missing", where)
			reported["shop_id"] = true
		}
		if s.Name == "" {
			add("%s.name: missing", where)
		}
		m, known := marketplaceOf(s.Platform)
		switch {
		case known:
			used[m.platform] = true
			if !slices.Contains(m.sites, strings.ToUpper(s.Site)) {
				add("%s.site: %q is not a known %s site (%s)", where, s.Site, m.platform, strings.Join(m.sites, ", "))
				reported["site"] = true
			}
			for _, line := range m.validateStore(s.Store()) {
				field, msg := splitStoreLine(line, s.ID)
				if field != "" && reported[field] {
					continue
				}
				if field == "" {
					add("%s: %s", where, msg)
				} else {
					add("%s.%s: %s", where, field, msg)
				}
			}
		case s.Platform == "":
			add("%s.platform: missing (%s)", where, platformNames())
		default:
			add("%s.platform: %q is not a marketplace (%s)", where, s.Platform, platformNames())
		}
		if s.Proxy != "" {
			if u, err := url.Parse(s.Proxy); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
				add("%s.proxy: %q is not an http(s):// or socks5:// URL", where, redactURL(s.Proxy))
			}
		}
		if s.ProxyExpires != "" {
			if _, err := time.Parse("2006-01-02", s.ProxyExpires); err != nil {
				add("%s.proxy_expires: %q is not a date like 2026-12-31", where, s.ProxyExpires)
			}
		}
		if (s.AccessToken == "") != (s.RefreshToken == "") {
			add("%s: give both access_token and refresh_token, or neither (then run `shopbridge store authorize %s`)", where, s.ID)
		}
	}
	// An app section is checked only when a store uses its platform.
	for _, m := range marketplaces {
		if !used[m.platform] {
			continue
		}
		if !m.hasSection(c) {
			add("%s", m.missingSection)
			continue
		}
		p = append(p, m.validateSection(c)...)
	}
	return p
}

// splitStoreLine splits a client package's ValidateStore line
// ("stores.<id>.shop_id: must be …") into its field and message.
func splitStoreLine(line, id string) (field, msg string) {
	rest, ok := strings.CutPrefix(line, "stores."+id+".")
	if !ok {
		return "", line
	}
	field, msg, ok = strings.Cut(rest, ": ")
	if !ok {
		return "", line
	}
	return field, msg
}

// Store converts the store's config to the domain type.
func (s StoreConfig) Store() bridge.Store {
	st := bridge.Store{
		ID: bridge.StoreID(s.ID), Platform: bridge.Platform(s.Platform), ShopID: s.ShopID,
		Name: s.Name, Site: strings.ToUpper(s.Site), Channel: s.Channel, ProxyURL: s.Proxy,
	}
	if t, err := time.Parse("2006-01-02", s.ProxyExpires); err == nil {
		st.ProxyExpiry = t
	}
	return st
}

// Stores returns the configured stores.
func (c *Config) StoreList() []bridge.Store {
	out := make([]bridge.Store, 0, len(c.Stores))
	for _, s := range c.Stores {
		out = append(out, s.Store())
	}
	return out
}

// InitialTokens returns the tokens given in the config, per store.
func (c *Config) InitialTokens() map[bridge.StoreID]bridge.Tokens {
	out := map[bridge.StoreID]bridge.Tokens{}
	for _, s := range c.Stores {
		if s.AccessToken != "" {
			out[bridge.StoreID(s.ID)] = bridge.Tokens{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// redactURL hides a URL's password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
