package slack

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Connection modes.
const (
	// ModeSocket connects out to Slack over a Socket Mode WebSocket: no public
	// URL needed. It is the default.
	ModeSocket = "socket"
	// ModeHTTP receives the Events API, slash commands and interactivity as
	// signed HTTP requests on the bridge's listener.
	ModeHTTP = "http"
)

// DefaultAPIURL is Slack's Web API base URL.
const DefaultAPIURL = "https://slack.com/api/"

// Config is the `slack:` section of the shopbridge configuration.
type Config struct {
	// BotToken is the bot user OAuth token (xoxb-…).
	BotToken string `yaml:"bot_token"`
	// AppToken is the app-level token (xapp-…) with connections:write, for Socket Mode.
	AppToken string `yaml:"app_token"`
	// Mode is "socket" (default) or "http".
	Mode string `yaml:"mode"`
	// SigningSecret verifies HTTP-mode requests.
	SigningSecret string `yaml:"signing_secret"`
	// APIURL is the Web API base URL (a GovSlack-style endpoint, or a fake in tests).
	APIURL string `yaml:"api_url"`

	// InboxChannel receives the threads of stores without their own routing.
	InboxChannel string `yaml:"inbox_channel"`
	// AlertsChannel receives connectivity alerts; defaults to the inbox.
	AlertsChannel string `yaml:"alerts_channel"`
	// ReportChannel receives the daily inspection report; defaults to the alerts channel.
	ReportChannel string `yaml:"report_channel"`
	// SiteChannels routes threads by marketplace site (MY, SG, …) when the
	// store has no channel of its own.
	SiteChannels map[string]string `yaml:"site_channels"`

	// Admins are the Slack user IDs allowed to run changing commands.
	Admins []string `yaml:"admins"`
	// AdminUsergroup is an optional user group ID (S…) whose members are admins too.
	AdminUsergroup string `yaml:"admin_usergroup"`
	// AdminCacheTTL is how long the user group's member list is reused.
	AdminCacheTTL time.Duration `yaml:"admin_cache_ttl"`

	// Reactions name the emoji of a reply's status (without colons).
	Reactions Reactions `yaml:"reactions"`
	// Pacing bounds the request rates towards Slack.
	Pacing Pacing `yaml:"pacing"`

	// WatchdogTimeout reconnects a Socket Mode connection on which nothing
	// (not even a ping) arrived for this long.
	WatchdogTimeout time.Duration `yaml:"watchdog_timeout"`
	// PingInterval is the slack-go client's own dead-man timer for Slack's pings.
	PingInterval time.Duration `yaml:"ping_interval"`
	// ReconnectBackoff is the first wait after a failed connection; it doubles
	// up to ReconnectBackoffMax.
	ReconnectBackoff    time.Duration `yaml:"reconnect_backoff"`
	ReconnectBackoffMax time.Duration `yaml:"reconnect_backoff_max"`

	// CommandAckTimeout is how long a slash command may run before Slack gets
	// an interim answer (Slack wants one within 3 s); the result follows via
	// the command's response_url.
	CommandAckTimeout time.Duration `yaml:"command_ack_timeout"`
	// DedupWindow is how long event IDs and message timestamps are
	// remembered to drop Slack's redeliveries.
	DedupWindow time.Duration `yaml:"dedup_window"`
	// SignatureMaxAge is the replay window of signed HTTP requests.
	SignatureMaxAge time.Duration `yaml:"signature_max_age"`
	// RequestTimeout bounds one Web API request.
	RequestTimeout time.Duration `yaml:"request_timeout"`

	// TextLimit is the longest text of one block (Slack allows 3000 characters).
	TextLimit int `yaml:"text_limit"`
	// MaxBlocks is how many blocks one post carries: a conversation's pending
	// messages are combined up to it, and a long buyer message continues in
	// a second post beyond it (Slack allows 50).
	MaxBlocks int `yaml:"max_blocks"`
	// ImagesAsLinks shows buyer images as links instead of image blocks.
	ImagesAsLinks bool `yaml:"images_as_links"`
}

// Reactions are the emoji names shown on an agent's reply.
type Reactions struct {
	// Sending is shown while a reply is queued or being sent.
	Sending string `yaml:"sending"`
	Sent    string `yaml:"sent"`
	Failed  string `yaml:"failed"`
}

// Pacing holds the client-side rate limits. Slack documents about one
// chat.postMessage per second per channel with short bursts, and tiers for
// the other methods (Tier 2 ≈ 20/min, Tier 3 ≈ 50/min, Tier 4 ≈ 100/min),
// but the real allowance differs by workspace: the surface starts from these
// rates and learns the real ones from Slack's 429s (see README.md).
type Pacing struct {
	// PostPerSecond is the per-channel rate of chat.postMessage the surface
	// starts from before it has learned the channel's real allowance.
	PostPerSecond float64 `yaml:"post_per_second"`
	// PostBurst is how many posts a quiet channel takes at once.
	PostBurst int `yaml:"post_burst"`
	// PostMaxPerSecond caps the learned per-channel rate (0: no cap, learn
	// from Slack). Setting it equal to PostPerSecond gives a fixed pace,
	// still lowered by 429s.
	PostMaxPerSecond float64 `yaml:"post_max_per_second"`
	// Tier2PerMinute, Tier3PerMinute and Tier4PerMinute are the starting
	// rates of tiered methods.
	Tier2PerMinute float64 `yaml:"tier2_per_minute"`
	Tier3PerMinute float64 `yaml:"tier3_per_minute"`
	Tier4PerMinute float64 `yaml:"tier4_per_minute"`
	// MethodBurst is the burst of the tiered methods.
	MethodBurst int `yaml:"method_burst"`
	// MethodMaxPerMinute caps the learned rate of every tiered method (0: no cap).
	MethodMaxPerMinute float64 `yaml:"method_max_per_minute"`
	// MaxRateLimitWait bounds how long one call keeps waiting out 429s before
	// it returns a rate-limited error (the core keeps the message queued).
	MaxRateLimitWait time.Duration `yaml:"max_rate_limit_wait"`
	// TransientRetries is how often an idempotent call is retried on a
	// network error or 5xx before the error is returned.
	TransientRetries int `yaml:"transient_retries"`
	// RetryBackoff is the first wait of those retries.
	RetryBackoff time.Duration `yaml:"retry_backoff"`
}

// SetDefaults fills unset fields.
func (c *Config) SetDefaults() {
	c.Mode = cmp.Or(c.Mode, ModeSocket)
	c.Mode = strings.ToLower(strings.TrimSpace(c.Mode))
	c.APIURL = cmp.Or(c.APIURL, DefaultAPIURL)
	if !strings.HasSuffix(c.APIURL, "/") {
		// slack-go appends method names to the base URL.
		c.APIURL += "/"
	}
	c.AlertsChannel = cmp.Or(c.AlertsChannel, c.InboxChannel)
	c.ReportChannel = cmp.Or(c.ReportChannel, c.AlertsChannel)
	if c.AdminCacheTTL <= 0 {
		c.AdminCacheTTL = 5 * time.Minute
	}
	c.Reactions.Sending = cmp.Or(c.Reactions.Sending, "hourglass_flowing_sand")
	c.Reactions.Sent = cmp.Or(c.Reactions.Sent, "white_check_mark")
	c.Reactions.Failed = cmp.Or(c.Reactions.Failed, "x")
	c.Reactions.Sending = strings.Trim(c.Reactions.Sending, ":")
	c.Reactions.Sent = strings.Trim(c.Reactions.Sent, ":")
	c.Reactions.Failed = strings.Trim(c.Reactions.Failed, ":")
	p := &c.Pacing
	p.PostPerSecond = cmp.Or(p.PostPerSecond, 1)
	p.PostBurst = cmp.Or(p.PostBurst, 3)
	p.Tier2PerMinute = cmp.Or(p.Tier2PerMinute, 20)
	p.Tier3PerMinute = cmp.Or(p.Tier3PerMinute, 50)
	p.Tier4PerMinute = cmp.Or(p.Tier4PerMinute, 100)
	p.MethodBurst = cmp.Or(p.MethodBurst, 5)
	p.MaxRateLimitWait = cmp.Or(p.MaxRateLimitWait, 10*time.Minute)
	p.TransientRetries = cmp.Or(p.TransientRetries, 2)
	p.RetryBackoff = cmp.Or(p.RetryBackoff, time.Second)
	c.WatchdogTimeout = cmp.Or(c.WatchdogTimeout, 2*time.Minute)
	c.PingInterval = cmp.Or(c.PingInterval, 30*time.Second)
	c.ReconnectBackoff = cmp.Or(c.ReconnectBackoff, 2*time.Second)
	c.ReconnectBackoffMax = cmp.Or(c.ReconnectBackoffMax, 5*time.Minute)
	c.CommandAckTimeout = cmp.Or(c.CommandAckTimeout, 2500*time.Millisecond)
	c.DedupWindow = cmp.Or(c.DedupWindow, 30*time.Minute)
	c.SignatureMaxAge = cmp.Or(c.SignatureMaxAge, 5*time.Minute)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, 30*time.Second)
	c.TextLimit = cmp.Or(c.TextLimit, 3000)
	c.MaxBlocks = cmp.Or(c.MaxBlocks, 50)
}

var (
	channelIDPattern   = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	userIDPattern      = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	usergroupIDPattern = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	reactionPattern    = regexp.MustCompile(`^[a-z0-9_+\-']+$`)
)

// Validate returns one line per problem; none means the config is usable.
// Call SetDefaults first.
func (c Config) Validate() []string {
	var out []string
	bad := func(field, format string, args ...any) {
		out = append(out, "slack."+field+": "+fmt.Sprintf(format, args...))
	}
	switch {
	case c.BotToken == "":
		bad("bot_token", `is required (the bot user OAuth token, "xoxb-…")`)
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		bad("bot_token", `must start with "xoxb-"`)
	}
	switch c.Mode {
	case ModeSocket:
		switch {
		case c.AppToken == "":
			bad("app_token", `is required in socket mode (an app-level token "xapp-…" with connections:write)`)
		case !strings.HasPrefix(c.AppToken, "xapp-"):
			bad("app_token", `must start with "xapp-"`)
		}
	case ModeHTTP:
		if c.SigningSecret == "" {
			bad("signing_secret", "is required in http mode")
		}
	default:
		bad("mode", "must be %q or %q, not %q", ModeSocket, ModeHTTP, c.Mode)
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("api_url", "must be an absolute http(s) URL like %s", DefaultAPIURL)
	}
	checkChannel := func(field, id string, required bool) {
		switch {
		case id == "" && required:
			bad(field, "is required (a channel ID like C0123456789)")
		case id != "" && !channelIDPattern.MatchString(id):
			bad(field, "must be a channel ID like C0123456789 (not a name), got %q", id)
		}
	}
	checkChannel("inbox_channel", c.InboxChannel, true)
	// Defaults copy the inbox into alerts and alerts into report: report a
	// bad value once, where it was written.
	if c.AlertsChannel != c.InboxChannel {
		checkChannel("alerts_channel", c.AlertsChannel, false)
	}
	if c.ReportChannel != c.AlertsChannel {
		checkChannel("report_channel", c.ReportChannel, false)
	}
	sites := make([]string, 0, len(c.SiteChannels))
	for site := range c.SiteChannels {
		sites = append(sites, site)
	}
	sort.Strings(sites)
	for _, site := range sites {
		if strings.TrimSpace(site) == "" {
			bad("site_channels", "has an empty site code")
			continue
		}
		checkChannel("site_channels."+site, c.SiteChannels[site], true)
	}
	for i, id := range c.Admins {
		if !userIDPattern.MatchString(id) {
			bad(fmt.Sprintf("admins[%d]", i), "must be a Slack user ID like U0123456789, got %q", id)
		}
	}
	if c.AdminUsergroup != "" && !usergroupIDPattern.MatchString(c.AdminUsergroup) {
		bad("admin_usergroup", "must be a user group ID like S0123456789, got %q", c.AdminUsergroup)
	}
	for _, r := range []struct{ field, name string }{
		{"reactions.sending", c.Reactions.Sending},
		{"reactions.sent", c.Reactions.Sent},
		{"reactions.failed", c.Reactions.Failed},
	} {
		if !reactionPattern.MatchString(r.name) {
			bad(r.field, "must be an emoji name without colons, like white_check_mark, got %q", r.name)
		}
	}
	if c.Reactions.Sending == c.Reactions.Sent || c.Reactions.Sent == c.Reactions.Failed || c.Reactions.Sending == c.Reactions.Failed {
		bad("reactions", "sending, sent and failed must be three different emoji")
	}
	p := c.Pacing
	positive := func(field string, v float64) {
		if v <= 0 {
			bad(field, "must be positive")
		}
	}
	positive("pacing.post_per_second", p.PostPerSecond)
	positive("pacing.post_burst", float64(p.PostBurst))
	positive("pacing.tier2_per_minute", p.Tier2PerMinute)
	positive("pacing.tier3_per_minute", p.Tier3PerMinute)
	positive("pacing.tier4_per_minute", p.Tier4PerMinute)
	positive("pacing.method_burst", float64(p.MethodBurst))
	if p.PostMaxPerSecond < 0 {
		bad("pacing.post_max_per_second", "must not be negative (0 learns the rate from Slack)")
	}
	if p.MethodMaxPerMinute < 0 {
		bad("pacing.method_max_per_minute", "must not be negative (0 learns the rate from Slack)")
	}
	positive("pacing.max_rate_limit_wait", float64(p.MaxRateLimitWait))
	positive("pacing.retry_backoff", float64(p.RetryBackoff))
	if p.TransientRetries < 0 {
		bad("pacing.transient_retries", "must not be negative")
	}
	positive("watchdog_timeout", float64(c.WatchdogTimeout))
	positive("ping_interval", float64(c.PingInterval))
	positive("reconnect_backoff", float64(c.ReconnectBackoff))
	if c.ReconnectBackoffMax < c.ReconnectBackoff {
		bad("reconnect_backoff_max", "must not be shorter than reconnect_backoff")
	}
	if c.CommandAckTimeout <= 0 || c.CommandAckTimeout >= 3*time.Second {
		bad("command_ack_timeout", "must be between 0 and 3s (Slack retries or fails commands not answered within 3 s)")
	}
	positive("dedup_window", float64(c.DedupWindow))
	positive("signature_max_age", float64(c.SignatureMaxAge))
	positive("request_timeout", float64(c.RequestTimeout))
	if c.TextLimit < 100 || c.TextLimit > 3000 {
		bad("text_limit", "must be between 100 and 3000 (Slack's limit for a block's text)")
	}
	if c.MaxBlocks < 2 || c.MaxBlocks > 50 {
		bad("max_blocks", "must be between 2 and 50 (Slack's limit per message)")
	}
	return out
}

// channelFor routes a store's thread: the store's own channel, else its
// site's channel, else the inbox.
func (c Config) channelFor(store, site string) string {
	if store != "" {
		return store
	}
	if ch, ok := c.SiteChannels[site]; ok && site != "" {
		return ch
	}
	for s, ch := range c.SiteChannels {
		if site != "" && strings.EqualFold(s, site) {
			return ch
		}
	}
	return c.InboxChannel
}
