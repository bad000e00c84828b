package tiktok

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Config is the TikTok Shop app as the operator configures it (YAML key
// "tiktok" in the bridge's config).
type Config struct {
	// AppKey and AppSecret are the app's credentials from TikTok Shop
	// Partner Center. The secret signs every API request, authenticates the
	// token calls and verifies webhooks.
	AppKey    string `yaml:"app_key"`
	AppSecret string `yaml:"app_secret"`
	// BaseURL is the API host (open-api.tiktokglobalshop.com by default; a
	// sandbox or the simulator in tests).
	BaseURL string `yaml:"base_url"`
	// AuthURL is the host of the token endpoints (auth.tiktok-shops.com).
	AuthURL string `yaml:"auth_url"`
	// AuthorizeURL and ServiceID make the shop owner's authorization link:
	// AuthorizeURL?service_id=ServiceID&state=… (the link Partner Center's
	// "Copy authorization link" gives; services.tiktokshops.us for US apps).
	// Without ServiceID the bridge cannot build authorization links.
	AuthorizeURL string `yaml:"authorize_url"`
	ServiceID    string `yaml:"service_id"`
	// AuthRedirectPath is where TikTok sends the shop owner back after
	// authorizing: register PublicURL+AuthRedirectPath as the app's Redirect
	// URL in Partner Center. It forwards to the bridge's callback.
	AuthRedirectPath string `yaml:"auth_redirect_path"`

	// WebhookPath is where the bridge's listener receives TikTok webhooks
	// (register https://<domain><webhook_path> in Partner Center: HTTPS, a
	// domain name, no port).
	WebhookPath string `yaml:"webhook_path"`
	// WebhookDeadline bounds the work on one webhook: TikTok wants the 200
	// within 3 s and retries at 2 min, 30 min, 3 h and 12 h, so a webhook
	// that cannot be recorded in time is refused with 503 instead.
	WebhookDeadline time.Duration `yaml:"webhook_deadline"`
	// WebhookMaxAge ignores (acknowledges without acting on) webhooks whose
	// timestamp is older than this: replay protection, longer than TikTok's
	// last retry (about 15.5 h after the first delivery).
	WebhookMaxAge time.Duration `yaml:"webhook_max_age"`
	// WebhookMaxBodyBytes refuses larger webhook bodies.
	WebhookMaxBodyBytes int64 `yaml:"webhook_max_body_bytes"`

	// PollInterval is how often the engine polls each TikTok store as a
	// safety net beside the webhooks (bridge.PollPolicy). See PollInterval
	// for the daily quota arithmetic.
	PollInterval time.Duration `yaml:"poll_interval"`
	// ConversationPageSize (at most 20) and MessagePageSize (at most 10) are
	// the documented page limits.
	ConversationPageSize int `yaml:"conversation_page_size"`
	MessagePageSize      int `yaml:"message_page_size"`
	// MaxConversationPages and MaxMessagePages bound one listing.
	MaxConversationPages int `yaml:"max_conversation_pages"`
	MaxMessagePages      int `yaml:"max_message_pages"`
	// LookupPages bounds the conversation-list pages read to find one
	// conversation that is not cached (its can_send_message before a reply,
	// its buyer for a webhook about a new conversation).
	LookupPages int `yaml:"lookup_pages"`
	// CanSendRecheck: a cached can_send_message=false older than this is
	// checked again before a reply is refused.
	CanSendRecheck time.Duration `yaml:"can_send_recheck"`
	// Locale is the language of system messages (en by default).
	Locale string `yaml:"locale"`

	// TokenRefreshMargin refreshes an access token this long before it expires.
	TokenRefreshMargin time.Duration `yaml:"token_refresh_margin"`
	// RateLimitWait is the wait asked of the engine after a rate limit
	// (36009002) that carries no Retry-After.
	RateLimitWait time.Duration `yaml:"rate_limit_wait"`
	// DailyQuota is TikTok's customer-service call quota per shop and day
	// (10,000 [DOC]); it only sizes the poll interval check and log lines.
	DailyQuota int `yaml:"daily_quota"`
	// QuotaResetUTCOffset is the UTC offset of the midnight at which the
	// daily quota resets: 0 (00:00 UTC) by default, UNVERIFIED (see
	// unverified.go).
	QuotaResetUTCOffset time.Duration `yaml:"quota_reset_utc_offset"`
	// MaxTextLength refuses longer replies before sending them (TikTok
	// allows 2,000 characters per TEXT message).
	MaxTextLength int `yaml:"max_text_length"`

	// HTTP tunes timeouts, retries and the client-side rate limits.
	HTTP httpx.Config `yaml:"http"`
}

// Defaults.
const (
	DefaultBaseURL              = "https://open-api.tiktokglobalshop.com"
	DefaultAuthURL              = "https://auth.tiktok-shops.com"
	DefaultAuthorizeURL         = "https://services.tiktokshop.com/open/authorize"
	DefaultAuthRedirectPath     = "/auth/tiktok/redirect"
	DefaultWebhookPath          = "/webhook/tiktok"
	DefaultWebhookDeadline      = 2500 * time.Millisecond
	DefaultWebhookMaxAge        = 24 * time.Hour
	DefaultWebhookMaxBodyBytes  = 1 << 20
	DefaultPollInterval         = 5 * time.Minute
	DefaultConversationPageSize = MaxConversationPageSize
	DefaultMessagePageSize      = MaxMessagePageSize
	DefaultMaxConversationPages = 10
	DefaultMaxMessagePages      = 20
	DefaultLookupPages          = 3
	DefaultCanSendRecheck       = time.Minute
	DefaultLocale               = "en"
	DefaultTokenRefreshMargin   = 30 * time.Minute
	DefaultRateLimitWait        = 5 * time.Second
	DefaultDailyQuota           = 10000
	DefaultMaxTextLength        = MaxTextLength

	// MaxConversationPageSize and MaxMessagePageSize are the documented
	// maxima of page_size [DOC TT-CS].
	MaxConversationPageSize = 20
	MaxMessagePageSize      = 10
	// MaxTextLength is the documented limit of a TEXT message [DOC TT-CS].
	MaxTextLength = 2000
	// MinPollInterval keeps the safety-net poll well inside the daily quota.
	MinPollInterval = 30 * time.Second
)

// SetDefaults fills the unset fields.
func (c *Config) SetDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.BaseURL, DefaultBaseURL)
	def(&c.AuthURL, DefaultAuthURL)
	def(&c.AuthorizeURL, DefaultAuthorizeURL)
	def(&c.AuthRedirectPath, DefaultAuthRedirectPath)
	def(&c.WebhookPath, DefaultWebhookPath)
	def(&c.Locale, DefaultLocale)
	dur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	dur(&c.WebhookDeadline, DefaultWebhookDeadline)
	dur(&c.WebhookMaxAge, DefaultWebhookMaxAge)
	dur(&c.PollInterval, DefaultPollInterval)
	dur(&c.CanSendRecheck, DefaultCanSendRecheck)
	dur(&c.TokenRefreshMargin, DefaultTokenRefreshMargin)
	dur(&c.RateLimitWait, DefaultRateLimitWait)
	num := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	num(&c.ConversationPageSize, DefaultConversationPageSize)
	num(&c.MessagePageSize, DefaultMessagePageSize)
	num(&c.MaxConversationPages, DefaultMaxConversationPages)
	num(&c.MaxMessagePages, DefaultMaxMessagePages)
	num(&c.LookupPages, DefaultLookupPages)
	num(&c.DailyQuota, DefaultDailyQuota)
	num(&c.MaxTextLength, DefaultMaxTextLength)
	c.WebhookMaxBodyBytes = cmp.Or(c.WebhookMaxBodyBytes, DefaultWebhookMaxBodyBytes)
	c.HTTP.SetDefaults()
}

// Validate returns one line per problem, each starting with "tiktok.".
func (c Config) Validate() []string {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, "tiktok."+fmt.Sprintf(format, a...)) }
	switch {
	case c.AppKey == "":
		add("app_key: must be set (the app key from TikTok Shop Partner Center)")
	case strings.Contains(c.AppKey, "${"):
		add("app_key: contains an unresolved ${...} reference")
	}
	switch {
	case c.AppSecret == "":
		add("app_secret: must be set (the app secret; use ${ENV} to keep it out of the file)")
	case strings.Contains(c.AppSecret, "${"):
		add("app_secret: contains an unresolved ${...} reference")
	}
	for _, u := range []struct{ name, v string }{{"base_url", c.BaseURL}, {"auth_url", c.AuthURL}, {"authorize_url", c.AuthorizeURL}} {
		if msg := httpx.CheckURL(u.v); msg != "" {
			add("%s: %s", u.name, msg)
		}
	}
	if strings.Contains(c.ServiceID, "${") {
		add("service_id: contains an unresolved ${...} reference")
	}
	for _, p := range []struct{ name, v string }{{"webhook_path", c.WebhookPath}, {"auth_redirect_path", c.AuthRedirectPath}} {
		if !strings.HasPrefix(p.v, "/") {
			add("%s: %q must start with /", p.name, p.v)
		}
	}
	if c.WebhookPath == c.AuthRedirectPath {
		add("webhook_path: must differ from auth_redirect_path")
	}
	if c.WebhookDeadline <= 0 || c.WebhookDeadline >= 3*time.Second {
		add("webhook_deadline: must be positive and under TikTok's 3s answer deadline")
	}
	if c.WebhookMaxAge < 0 {
		add("webhook_max_age: must not be negative")
	}
	if c.WebhookMaxBodyBytes < 0 {
		add("webhook_max_body_bytes: must not be negative")
	}
	if c.DailyQuota < 0 {
		add("daily_quota: must not be negative")
	}
	if c.PollInterval < MinPollInterval {
		add("poll_interval: %s is too short: at least %s (an idle store costs one call per poll, from a quota of %d calls per shop and day)",
			c.PollInterval, MinPollInterval, c.DailyQuota)
	} else if c.DailyQuota > 0 && idleCallsPerDay(c.PollInterval) > c.DailyQuota/2 {
		add("poll_interval: %s spends %d of the %d daily customer-service calls on idle polls alone; use a longer interval",
			c.PollInterval, idleCallsPerDay(c.PollInterval), c.DailyQuota)
	}
	if c.ConversationPageSize < 0 || c.ConversationPageSize > MaxConversationPageSize {
		add("conversation_page_size: must be between 1 and %d (TikTok's maximum)", MaxConversationPageSize)
	}
	if c.MessagePageSize < 0 || c.MessagePageSize > MaxMessagePageSize {
		add("message_page_size: must be between 1 and %d (TikTok's maximum)", MaxMessagePageSize)
	}
	if c.MaxConversationPages < 0 || c.MaxMessagePages < 0 || c.LookupPages < 0 {
		add("max_conversation_pages/max_message_pages/lookup_pages: must not be negative")
	}
	if c.CanSendRecheck < 0 {
		add("can_send_recheck: must not be negative")
	}
	if c.TokenRefreshMargin < 0 || c.TokenRefreshMargin >= 7*24*time.Hour {
		add("token_refresh_margin: must be between 0 and the 7-day access token lifetime")
	}
	if c.RateLimitWait < 0 {
		add("rate_limit_wait: must not be negative")
	}
	if c.QuotaResetUTCOffset < -14*time.Hour || c.QuotaResetUTCOffset > 14*time.Hour || c.QuotaResetUTCOffset%time.Minute != 0 {
		add("quota_reset_utc_offset: must be a UTC offset between -14h and 14h in whole minutes")
	}
	if c.MaxTextLength < 0 || c.MaxTextLength > MaxTextLength {
		add("max_text_length: must be between 1 and %d (TikTok refuses longer TEXT messages)", MaxTextLength)
	}
	for _, e := range c.HTTP.Validate("http.") {
		errs = append(errs, "tiktok."+e)
	}
	return errs
}

// idleCallsPerDay is what polling an idle store costs per day: one
// conversation-list call per poll.
func idleCallsPerDay(every time.Duration) int {
	if every <= 0 {
		return 0
	}
	return int((24 * time.Hour) / every)
}
