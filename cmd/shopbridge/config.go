package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/lease"
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
	Sync     SyncConfig       `yaml:"sync"`
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
	Auth   AuthSection    `yaml:"auth"`

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

// HTTPConfig is the bridge's one HTTP listener.
type HTTPConfig struct {
	Listen string `yaml:"listen"`
	// PublicURL is how the outside reaches the listener (authorization
	// callbacks); optional.
	PublicURL string `yaml:"public_url"`
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the
	// whole request with its body: a client slower than that gets 408 (or
	// the connection closed), never 413, which is only for a body over
	// MaxBodyBytes. WriteTimeout bounds writing the answer; IdleTimeout
	// closes an idle keep-alive connection.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`
	// RefusalLogInterval is how often, at most, a kind of refused request
	// (forged signature, wrong secret, invalid state…) is summarised in the
	// log with its count; the first of a kind is logged at once.
	RefusalLogInterval time.Duration `yaml:"refusal_log_interval"`
}

// Defaults of the HTTP listener.
const (
	DefaultReadHeaderTimeout  = 5 * time.Second
	DefaultReadTimeout        = 15 * time.Second
	DefaultWriteTimeout       = 15 * time.Second
	DefaultIdleTimeout        = 60 * time.Second
	DefaultMaxBodyBytes       = 1 << 20
	DefaultRefusalLogInterval = bridge.DefaultRefusalLogInterval
)

// SetDefaults fills the listener's unset fields.
func (c *HTTPConfig) SetDefaults() {
	c.Listen = cmp.Or(c.Listen, "127.0.0.1:8080")
	c.ReadHeaderTimeout = cmp.Or(c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, DefaultReadTimeout)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, DefaultWriteTimeout)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, DefaultIdleTimeout)
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.RefusalLogInterval = cmp.Or(c.RefusalLogInterval, DefaultRefusalLogInterval)
}

// Validate returns one line per problem.
func (c HTTPConfig) Validate() []string {
	var p []string
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p = append(p, fmt.Sprintf("http.listen: %q is not host:port", c.Listen))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
			p = append(p, fmt.Sprintf("http.public_url: %q is not an absolute URL", c.PublicURL))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout}, {"read_timeout", c.ReadTimeout},
		{"write_timeout", c.WriteTimeout}, {"idle_timeout", c.IdleTimeout},
		{"refusal_log_interval", c.RefusalLogInterval},
	} {
		if d.v < 0 {
			p = append(p, fmt.Sprintf("http.%s: must be a positive duration, got %s", d.name, d.v))
		}
	}
	if c.ReadTimeout > 0 && c.ReadHeaderTimeout > c.ReadTimeout {
		p = append(p, fmt.Sprintf("http.read_header_timeout: %s is longer than read_timeout %s, which covers the headers too", c.ReadHeaderTimeout, c.ReadTimeout))
	}
	if c.MaxBodyBytes < 0 {
		p = append(p, fmt.Sprintf("http.max_body_bytes: must be positive, got %d", c.MaxBodyBytes))
	}
	return p
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

// SyncConfig holds the engine's timings.
type SyncConfig struct {
	PollInterval     time.Duration `yaml:"poll_interval"`
	FailureThreshold int           `yaml:"failure_threshold"`
	Debounce         time.Duration `yaml:"debounce"`
	ProbeInterval    time.Duration `yaml:"probe_interval"`
	ProbeFastFor     time.Duration `yaml:"probe_fast_for"`
	ProbeBackoffMax  time.Duration `yaml:"probe_backoff_max"`
	ProbeTimeout     time.Duration `yaml:"probe_timeout"`
	AuthRetry        time.Duration `yaml:"auth_retry"`
	ImportWindow     time.Duration `yaml:"import_window"`
	HistoryLimit     int           `yaml:"history_limit"`
	Concurrency      int           `yaml:"concurrency"`
	SyncTimeout      time.Duration `yaml:"sync_timeout"`
	NotePrefix       string        `yaml:"note_prefix"`
	SendAttempts     int           `yaml:"send_attempts"`
	SendBackoff      time.Duration `yaml:"send_backoff"`
	SendBackoffMax   time.Duration `yaml:"send_backoff_max"`
	ShutdownGrace    time.Duration `yaml:"shutdown_grace"`
	// Push-driven stores (Lazada): the health check's interval, the delay
	// of the one-off history import after a store is added or authorized,
	// and how long replies may go without any push before the store is
	// flagged.
	HealthInterval time.Duration `yaml:"health_interval"`
	ImportDelay    time.Duration `yaml:"import_delay"`
	PushSilence    time.Duration `yaml:"push_silence"`
	// SendTimeout is each send attempt's deadline; ReconcileMargin how long
	// after it a marketplace may still apply the request.
	SendTimeout     time.Duration `yaml:"send_timeout"`
	ReconcileMargin time.Duration `yaml:"reconcile_margin"`
	// Posting from the inbound queue into the chat.
	PostConcurrency int           `yaml:"post_concurrency"`
	PostBatch       int           `yaml:"post_batch"`
	PostBackoff     time.Duration `yaml:"post_backoff"`
	PostBackoffMax  time.Duration `yaml:"post_backoff_max"`
	BacklogRescan   time.Duration `yaml:"backlog_rescan"`
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

// marketplace is what the config knows of one platform: its sites, its
// own store checks, and whether the config has its app section.
type marketplace struct {
	platform bridge.Platform
	// sites are the platform's site codes a store may name.
	sites []string
	// validateStore is the client package's ValidateStore.
	validateStore func(bridge.Store) []string
	// section is the app section's YAML key; hasSection and
	// validateSection read it from a config.
	section         string
	hasSection      func(*Config) bool
	validateSection func(*Config) []string
	// missingSection is the line for a used platform without its section.
	missingSection string
}

// marketplaces are the platforms a store may be on, in the order the
// config and its problems name them.
var marketplaces = []marketplace{
	{
		platform:        bridge.PlatformShopee,
		sites:           []string{"BR", "CL", "CO", "ID", "MX", "MY", "PH", "SG", "TH", "TW", "VN"},
		validateStore:   shopee.ValidateStore,
		section:         "shopee",
		hasSection:      func(c *Config) bool { return c.Shopee != nil },
		validateSection: func(c *Config) []string { return c.Shopee.Validate() },
		missingSection:  "shopee: stores use shopee but the shopee section (partner_id, partner_key) is missing",
	},
	{
		platform:        bridge.PlatformLazada,
		sites:           sortedKeys(lazada.DefaultGateways),
		validateStore:   lazada.ValidateStore,
		section:         "lazada",
		hasSection:      func(c *Config) bool { return c.Lazada != nil },
		validateSection: func(c *Config) []string { return c.Lazada.Validate() },
		missingSection:  "lazada: stores use lazada but the lazada section (app_key, app_secret) is missing",
	},
	{
		platform: bridge.PlatformTikTok,
		// TikTok Shop's markets (seller_base_region); the client does not
		// depend on the site, which only labels the store.
		sites:           []string{"BR", "DE", "ES", "FR", "GB", "ID", "IE", "IT", "JP", "MX", "MY", "PH", "SG", "TH", "US", "VN"},
		validateStore:   tiktok.ValidateStore,
		section:         "tiktok",
		hasSection:      func(c *Config) bool { return c.TikTok != nil },
		validateSection: func(c *Config) []string { return c.TikTok.Validate() },
		missingSection:  "tiktok: stores use tiktok but the tiktok section (app_key, app_secret, service_id) is missing",
	},
}

// marketplaceOf returns what the config knows of platform p.
func marketplaceOf(p string) (marketplace, bool) {
	for _, m := range marketplaces {
		if string(m.platform) == p {
			return m, true
		}
	}
	return marketplace{}, false
}

// platformNames lists the known platforms: "shopee, lazada, tiktok".
func platformNames() string {
	names := make([]string, len(marketplaces))
	for i, m := range marketplaces {
		names[i] = string(m.platform)
	}
	return strings.Join(names, ", ")
}

// UsesPlatform reports whether a configured store is on platform p.
func (c *Config) UsesPlatform(p bridge.Platform) bool {
	for _, s := range c.Stores {
		if s.Platform == string(p) {
			return true
		}
	}
	return false
}

// PlatformEnabled reports whether the bridge builds platform p's client:
// a store uses it, or its section is present and valid (so that `stores
// refresh` can add a store of it later). A section nobody uses whose
// ${ENV} secrets are not set is left out quietly.
func (c *Config) PlatformEnabled(p bridge.Platform) bool {
	m, ok := marketplaceOf(string(p))
	if !ok || !m.hasSection(c) {
		return false
	}
	return c.UsesPlatform(p) || len(m.validateSection(c)) == 0
}

// StoresOf returns the configured stores of platform p.
func (c *Config) StoresOf(p bridge.Platform) []bridge.Store {
	var out []bridge.Store
	for _, s := range c.Stores {
		if s.Platform == string(p) {
			out = append(out, s.Store())
		}
	}
	return out
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

// EngineConfig maps the sync section onto the engine's settings.
func (c *Config) EngineConfig() engine.Config {
	s := c.Sync
	return engine.Config{
		PollInterval: s.PollInterval, FailureThreshold: s.FailureThreshold, Debounce: s.Debounce,
		ProbeInterval: s.ProbeInterval, ProbeFastFor: s.ProbeFastFor, ProbeBackoffMax: s.ProbeBackoffMax, ProbeTimeout: s.ProbeTimeout, AuthRetry: s.AuthRetry,
		ImportWindow: s.ImportWindow, HistoryLimit: s.HistoryLimit,
		SyncConcurrency: s.Concurrency, SyncTimeout: s.SyncTimeout, NotePrefix: s.NotePrefix,
		SendAttempts: s.SendAttempts, SendBackoff: s.SendBackoff, SendBackoffMax: s.SendBackoffMax,
		ShutdownGrace: s.ShutdownGrace, SendTimeout: s.SendTimeout, ReconcileMargin: s.ReconcileMargin,
		PostConcurrency: s.PostConcurrency, PostBatch: s.PostBatch, PostBackoff: s.PostBackoff, PostBackoffMax: s.PostBackoffMax,
		BacklogRescan: s.BacklogRescan, HealthInterval: s.HealthInterval, ImportDelay: s.ImportDelay, PushSilence: s.PushSilence,
		Lease: lease.Config{TTL: c.Replicas.LeaseTTL},
	}
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
	for name, d := range map[string]time.Duration{
		"sync.poll_interval": c.Sync.PollInterval, "sync.debounce": c.Sync.Debounce,
		"sync.import_window": c.Sync.ImportWindow, "sync.send_backoff": c.Sync.SendBackoff,
		"sync.probe_backoff_max": c.Sync.ProbeBackoffMax, "sync.sync_timeout": c.Sync.SyncTimeout,
		"sync.probe_interval": c.Sync.ProbeInterval, "sync.probe_fast_for": c.Sync.ProbeFastFor,
		"sync.probe_timeout": c.Sync.ProbeTimeout, "sync.post_backoff": c.Sync.PostBackoff,
		"sync.post_backoff_max": c.Sync.PostBackoffMax, "sync.backlog_rescan": c.Sync.BacklogRescan,
		"sync.send_timeout": c.Sync.SendTimeout, "sync.reconcile_margin": c.Sync.ReconcileMargin,
		"sync.auth_retry": c.Sync.AuthRetry, "sync.health_interval": c.Sync.HealthInterval,
		"sync.import_delay": c.Sync.ImportDelay, "sync.push_silence": c.Sync.PushSilence,
	} {
		if d < 0 {
			add("%s: must not be negative, got %s", name, d)
		}
	}
	if c.Sync.PollInterval > 0 && c.Sync.PollInterval < time.Second {
		add("sync.poll_interval: %s is too short (at least 1s, to respect the marketplaces' limits)", c.Sync.PollInterval)
	}
	if c.Sync.FailureThreshold < 0 {
		add("sync.failure_threshold: must be at least 1, got %d", c.Sync.FailureThreshold)
	}
	if c.Sync.PostConcurrency < 0 || c.Sync.PostConcurrency > 32 {
		add("sync.post_concurrency: must be between 1 and 32, got %d", c.Sync.PostConcurrency)
	}
	if c.Sync.PostBatch < 0 || c.Sync.PostBatch > 200 {
		add("sync.post_batch: must be between 1 and 200, got %d", c.Sync.PostBatch)
	}
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

// decodeErrorLine finds the line of one of the decoder's problems.
var decodeErrorLine = regexp.MustCompile(`^line (\d+): `)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// unsetEnv is a ${NAME} reference to a variable the environment lacks.
type unsetEnv struct {
	line int // 1-based
	name string
}

// expandEnv replaces ${NAME} with the environment's value and returns the
// references to unset variables, in file order.
func expandEnv(data []byte, lookup func(string) (string, bool)) ([]byte, []unsetEnv) {
	var unset []unsetEnv
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '#' {
			continue // comments may mention ${VARS} freely
		}
		lines[i] = envRef.ReplaceAllFunc(line, func(m []byte) []byte {
			name := string(m[2 : len(m)-1])
			v, ok := lookup(name)
			if !ok {
				unset = append(unset, unsetEnv{line: i + 1, name: name})
			}
			// Quote-safe: the value is inserted as is, so secrets with
			// YAML-special characters should be quoted in the file.
			return []byte(v)
		})
	}
	return bytes.Join(lines, []byte("\n")), unset
}

// unusedSections finds, in the file as written (before ${ENV} expansion),
// the line ranges of the optional sections the config does not use: a
// marketplace app no store is on, a chat surface that is not the chosen
// one. An unset variable referenced only there is not a problem. When the
// file cannot be read that way, nothing is excused (the real decode
// reports why).
func unusedSections(data []byte) [][2]int {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var head struct {
		Chat   string `yaml:"chat"`
		Stores []struct {
			Platform string `yaml:"platform"`
		} `yaml:"stores"`
	}
	// A value that only parses once expanded leaves the head partial:
	// then fewer sections are excused, never more.
	_ = root.Decode(&head)
	doc := root.Content[0]
	keys := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		keys[doc.Content[i].Value] = true
	}
	used := map[string]bool{}
	for _, s := range head.Stores {
		used[s.Platform] = true
	}
	chat := head.Chat
	if chat == "" {
		switch {
		case keys["slack"]:
			chat = "slack"
		case keys["telegram"]:
			chat = "telegram"
		}
	}
	optional := map[string]bool{"slack": chat != "slack", "telegram": chat != "telegram"}
	for _, m := range marketplaces {
		optional[m.section] = !used[string(m.platform)]
	}
	var out [][2]int
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key := doc.Content[i]
		if !optional[key.Value] {
			continue
		}
		end := int(^uint(0) >> 1)
		if i+2 < len(doc.Content) {
			end = doc.Content[i+2].Line - 1
		}
		out = append(out, [2]int{key.Line, end})
	}
	return out
}

// envProblems is one line per unset variable, at its first reference
// outside the unused sections.
func envProblems(unset []unsetEnv, unused [][2]int) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range unset {
		excused := false
		for _, r := range unused {
			excused = excused || (u.line >= r[0] && u.line <= r[1])
		}
		if excused || seen[u.name] {
			continue
		}
		seen[u.name] = true
		out = append(out, fmt.Sprintf("line %d: environment variable %s is not set", u.line, u.name))
	}
	return out
}

// ConfigError lists every problem found in a configuration.
type ConfigError struct {
	Path     string
	Problems []string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", e.Path, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p)
	}
	return b.String()
}

// LoadConfig reads, expands, decodes, defaults and validates a config file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s not found: run `shopbridge init %s` to write an example, or `shopbridge demo` to try the bridge without one", path, path)
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data, os.LookupEnv)
}

// ParseConfig is LoadConfig on bytes.
func ParseConfig(path string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	expanded, unset := expandEnv(data, lookup)
	problems := envProblems(unset, unusedSections(data))
	var root yaml.Node
	if err := yaml.Unmarshal(expanded, &root); err != nil {
		problems = append(problems, syntaxProblem(err, expanded))
		return nil, &ConfigError{Path: path, Problems: problems}
	}
	// Unknown keys and values of the wrong kind, by their path; the
	// decoder's own lines for them (in Go type names) are left out.
	told := map[int]bool{}
	for _, kp := range checkKeys(&root) {
		problems = append(problems, fmt.Sprintf("%s (line %d)", kp.text, kp.line))
		told[kp.line] = true
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			problems = append(problems, syntaxProblem(err, expanded))
			return nil, &ConfigError{Path: path, Problems: problems}
		}
		for _, line := range te.Errors {
			if m := decodeErrorLine.FindStringSubmatch(line); m != nil {
				if n, _ := strconv.Atoi(m[1]); told[n] {
					continue
				}
			}
			problems = append(problems, line)
		}
	}
	cfg.SetDefaults()
	problems = append(problems, cfg.Validate()...)
	if len(problems) > 0 {
		return nil, &ConfigError{Path: path, Problems: problems}
	}
	cfg.path = path
	return &cfg, nil
}
