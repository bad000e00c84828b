package telegram

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Mode is how updates reach the bridge.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"
)

// Config is the `telegram:` section of the bridge's configuration.
type Config struct {
	// Token is the bot token from BotFather ("123456789:AA…"). Never logged.
	Token string `yaml:"token"`
	// APIURL is the Bot API base URL: the public one, a self-hosted Bot API
	// server, or a local fake in tests.
	APIURL string `yaml:"api_url"`
	// Mode is "polling" (getUpdates, the default) or "webhook".
	Mode string `yaml:"mode"`
	// WebhookURL is the public HTTPS URL Telegram posts updates to; it must
	// reach WebhookPath on the bridge's HTTP listener.
	WebhookURL string `yaml:"webhook_url"`
	// WebhookPath is where the webhook handler is registered (default
	// /telegram/webhook).
	WebhookPath string `yaml:"webhook_path"`
	// SecretToken is echoed by Telegram in X-Telegram-Bot-Api-Secret-Token
	// (1–256 characters of A-Z a-z 0-9 _ -); required in webhook mode.
	SecretToken string `yaml:"secret_token"`
	// WebhookMaxConnections caps Telegram's parallel webhook requests
	// (default 1, which keeps agent replies in order).
	WebhookMaxConnections int `yaml:"webhook_max_connections"`

	// InboxChat is the supergroup where conversations get their topics
	// (chat id, -100…). A group without topics gets reply chains instead.
	InboxChat int64 `yaml:"inbox_chat"`
	// SiteChats routes a marketplace site (MY, SG, …) to its own chat; a
	// store's own channel wins over it, the inbox chat is the fallback.
	SiteChats map[string]int64 `yaml:"site_chats"`
	// AlertsChat receives connectivity alerts (default: the inbox chat);
	// AlertsTopic optionally puts them in one forum topic of it.
	AlertsChat  int64 `yaml:"alerts_chat"`
	AlertsTopic int   `yaml:"alerts_topic"`
	// ReportChat receives the daily inspection report (default: the alerts
	// chat); ReportTopic optionally puts it in one forum topic.
	ReportChat  int64 `yaml:"report_chat"`
	ReportTopic int   `yaml:"report_topic"`
	// Admins are the Telegram user IDs allowed to run changing commands.
	Admins []int64 `yaml:"admins"`

	// Reactions show a reply's status; only the Bot API's emoji list is allowed.
	Reactions Reactions `yaml:"reactions"`
	// PinHeader gives each topic a separate header card, pinned (default
	// false). Off, a new topic costs two calls of the group's budget (the
	// topic, whose name carries platform, site, store and buyer, and one
	// post carrying the header and the buyer's messages); on, it costs two
	// more (the card and its pin) and the card is edited as the
	// conversation goes on. In a group without topics the header card is
	// the thread either way.
	PinHeader *bool `yaml:"pin_header"`
	// NotifyEdits answers an edited agent message with "Edits are not sent
	// to the buyer." (default true).
	NotifyEdits *bool `yaml:"notify_edits"`
	// TimeZone is used for the times shown in combined posts (default UTC).
	TimeZone string `yaml:"time_zone"`

	// Pacing keeps sends under Telegram's limits.
	Pacing Pacing `yaml:"pacing"`
	// PollTimeout is the getUpdates long-poll timeout (default 50s).
	PollTimeout time.Duration `yaml:"poll_timeout"`
	// RequestTimeout bounds every other API call (default 30s).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// HealthCheckInterval is how often a missing permission, a removed bot
	// or the webhook's delivery status is checked again (default 1m).
	HealthCheckInterval time.Duration `yaml:"health_check_interval"`
}

// Pacing holds the send limits. Telegram does not publish exact numbers; the
// defaults follow its guidance: 1 message/s per chat, 20/min per group,
// 30/s overall. The group figure is where learning starts (see allowance):
// groups differ, and a 429 says what one accepts.
type Pacing struct {
	// PerChatInterval is the minimum gap between two calls that post into
	// one chat.
	PerChatInterval time.Duration `yaml:"per_chat_interval"`
	// GroupPerMinute is the number of calls that post into one group per
	// GroupWindow the pacer starts from (and keeps, when Adaptive is off).
	GroupPerMinute int           `yaml:"group_per_minute"`
	GroupWindow    time.Duration `yaml:"group_window"`
	// GroupMaxPerMinute caps what the pacer learns a group allows, per
	// GroupWindow (0: as many as PerChatInterval lets in). Set it to
	// GroupPerMinute for a fixed rate that 429s can still lower.
	GroupMaxPerMinute int `yaml:"group_max_per_minute"`
	// Adaptive learns each group's allowance from 429s and probes upward
	// under sustained demand (default true); off, GroupPerMinute is fixed.
	Adaptive *bool `yaml:"adaptive"`
	// GlobalPerSecond caps messages per second across all chats.
	GlobalPerSecond int `yaml:"global_per_second"`
	// MaxRetryAfter is the longest 429 wait taken inside one call; a longer
	// one is returned to the bridge as a rate-limited error (the message stays
	// queued there).
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
	// Combine merges queued buyer messages of one conversation into one post
	// (default true).
	Combine *bool `yaml:"combine"`
}

// Defaults.
const (
	DefaultAPIURL      = "https://api.telegram.org"
	DefaultWebhookPath = "/telegram/webhook"
)

// SetDefaults fills unset fields.
func (c *Config) SetDefaults() {
	c.APIURL = cmp.Or(c.APIURL, DefaultAPIURL)
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	c.Mode = cmp.Or(c.Mode, ModePolling)
	c.WebhookPath = cmp.Or(c.WebhookPath, DefaultWebhookPath)
	c.WebhookMaxConnections = cmp.Or(c.WebhookMaxConnections, 1)
	c.AlertsChat = cmp.Or(c.AlertsChat, c.InboxChat)
	if c.ReportChat == 0 {
		c.ReportChat = c.AlertsChat
		c.ReportTopic = cmp.Or(c.ReportTopic, c.AlertsTopic)
	}
	c.Reactions.Sending = cmp.Or(c.Reactions.Sending, "✍")
	c.Reactions.Sent = cmp.Or(c.Reactions.Sent, "👌")
	c.Reactions.Failed = cmp.Or(c.Reactions.Failed, "💔")
	c.Reactions.Sending = normalizeEmoji(c.Reactions.Sending)
	c.Reactions.Sent = normalizeEmoji(c.Reactions.Sent)
	c.Reactions.Failed = normalizeEmoji(c.Reactions.Failed)
	c.PinHeader = cmp.Or(c.PinHeader, boolPtr(false))
	c.NotifyEdits = cmp.Or(c.NotifyEdits, boolPtr(true))
	c.TimeZone = cmp.Or(c.TimeZone, "UTC")
	if len(c.SiteChats) > 0 {
		sites := make(map[string]int64, len(c.SiteChats))
		for k, v := range c.SiteChats {
			sites[normalizeSite(k)] = v
		}
		c.SiteChats = sites
	}
	p := &c.Pacing
	p.PerChatInterval = cmp.Or(p.PerChatInterval, time.Second)
	p.GroupPerMinute = cmp.Or(p.GroupPerMinute, 20)
	p.GroupWindow = cmp.Or(p.GroupWindow, time.Minute)
	p.GlobalPerSecond = cmp.Or(p.GlobalPerSecond, 30)
	p.MaxRetryAfter = cmp.Or(p.MaxRetryAfter, 5*time.Minute)
	p.Combine = cmp.Or(p.Combine, boolPtr(true))
	p.Adaptive = cmp.Or(p.Adaptive, boolPtr(true))
	c.PollTimeout = cmp.Or(c.PollTimeout, 50*time.Second)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, 30*time.Second)
	c.HealthCheckInterval = cmp.Or(c.HealthCheckInterval, time.Minute)
}

func boolPtr(b bool) *bool { return &b }

var (
	tokenPattern  = regexp.MustCompile(`^[0-9]{3,}:[A-Za-z0-9_-]{20,}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Validate returns one line per problem; none means the section is usable.
// It expects SetDefaults to have run.
func (c Config) Validate() []string {
	var probs []string
	add := func(field, format string, args ...any) {
		probs = append(probs, "telegram."+field+": "+fmt.Sprintf(format, args...))
	}
	switch {
	case c.Token == "":
		add("token", "required: the bot token from BotFather (\"123456789:AA…\")")
	case !tokenPattern.MatchString(c.Token):
		add("token", "does not look like a bot token (digits, a colon, then the secret part)")
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("api_url", "must be an http(s) URL, got %q", c.APIURL)
	}
	switch c.Mode {
	case ModePolling:
	case ModeWebhook:
		if u, err := url.Parse(c.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			add("webhook_url", "webhook mode needs the public https URL Telegram posts to, got %q", c.WebhookURL)
		}
		if !strings.HasPrefix(c.WebhookPath, "/") {
			add("webhook_path", "must start with \"/\", got %q", c.WebhookPath)
		}
		if !secretPattern.MatchString(c.SecretToken) {
			add("secret_token", "webhook mode needs 1–256 characters of A-Z a-z 0-9 _ -")
		}
		if c.WebhookMaxConnections < 1 || c.WebhookMaxConnections > 100 {
			add("webhook_max_connections", "must be 1–100, got %d", c.WebhookMaxConnections)
		}
	default:
		add("mode", "must be \"polling\" or \"webhook\", got %q", c.Mode)
	}
	if c.SecretToken != "" && !secretPattern.MatchString(c.SecretToken) {
		if c.Mode != ModeWebhook {
			add("secret_token", "must be 1–256 characters of A-Z a-z 0-9 _ -")
		}
	}
	if c.InboxChat == 0 {
		add("inbox_chat", "required: the id of the supergroup for conversations (-100…)")
	}
	sites := make([]string, 0, len(c.SiteChats))
	for s := range c.SiteChats {
		sites = append(sites, s)
	}
	sort.Strings(sites)
	for _, s := range sites {
		if s == "" {
			add("site_chats", "has an empty site name")
		}
		if c.SiteChats[s] == 0 {
			add("site_chats."+s, "chat id must not be 0")
		}
	}
	for i, a := range c.Admins {
		if a <= 0 {
			add(fmt.Sprintf("admins[%d]", i), "must be a Telegram user id (a positive number), got %d", a)
		}
	}
	for _, r := range []struct{ field, emoji string }{
		{"reactions.sending", c.Reactions.Sending},
		{"reactions.sent", c.Reactions.Sent},
		{"reactions.failed", c.Reactions.Failed},
	} {
		if !validReaction(r.emoji) {
			add(r.field, "%q is not a reaction a bot may set (allowed e.g. ✍ 👀 👌 👍 💔 👎 🤔 🙏 🔥)", r.emoji)
		}
	}
	if c.Reactions.Sent != "" && (c.Reactions.Sent == c.Reactions.Sending || c.Reactions.Sent == c.Reactions.Failed) ||
		c.Reactions.Sending != "" && c.Reactions.Sending == c.Reactions.Failed {
		add("reactions", "sending, sent and failed must be three different emoji")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		add("time_zone", "unknown time zone %q", c.TimeZone)
	}
	p := c.Pacing
	if p.PerChatInterval < 0 {
		add("pacing.per_chat_interval", "must not be negative")
	}
	if p.GroupPerMinute < 1 {
		add("pacing.group_per_minute", "must be at least 1")
	}
	if p.GroupWindow <= 0 {
		add("pacing.group_window", "must be positive")
	}
	if p.GroupMaxPerMinute < 0 {
		add("pacing.group_max_per_minute", "must not be negative (0: no cap)")
	}
	if p.GlobalPerSecond < 1 {
		add("pacing.global_per_second", "must be at least 1")
	}
	if p.MaxRetryAfter < time.Second {
		add("pacing.max_retry_after", "must be at least 1s")
	}
	if c.PollTimeout < 2*time.Second {
		add("poll_timeout", "must be at least 2s")
	}
	if c.RequestTimeout <= 0 {
		add("request_timeout", "must be positive")
	}
	if c.HealthCheckInterval <= 0 {
		add("health_check_interval", "must be positive")
	}
	return probs
}
