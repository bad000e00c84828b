package shopee

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Config is the Shopee partner app as the operator configures it (YAML key
// "shopee" in the bridge's config).
type Config struct {
	// PartnerID and PartnerKey are the app's credentials from the Shopee
	// Open Platform console. The key signs every request and verifies pushes.
	PartnerID  int64  `yaml:"partner_id"`
	PartnerKey string `yaml:"partner_key"`
	// BaseURL is the API host: the live host by default, or the sandbox, the
	// Chinese Mainland host, or the simulator.
	BaseURL string `yaml:"base_url"`

	// PushPath is where the bridge's listener receives webchat pushes.
	PushPath string `yaml:"push_path"`
	// PushCallbackURL is the public URL registered in the Shopee console for
	// pushes (what Shopee signs). Empty disables the push endpoint.
	PushCallbackURL string `yaml:"push_callback_url"`
	// PushMaxAge refuses pushes whose timestamp is older than this (replay
	// protection); identical bodies seen within it are acknowledged and ignored.
	PushMaxAge time.Duration `yaml:"push_max_age"`
	// PushMaxSkew refuses pushes whose timestamp is further than this in the
	// future: a signed push from "next year" is not a clock difference but a
	// replay kept for later (the age check alone would accept it until then).
	PushMaxSkew time.Duration `yaml:"push_max_skew"`
	// PushMaxBodyBytes refuses larger push bodies.
	PushMaxBodyBytes int64 `yaml:"push_max_body_bytes"`
	// LostPushInterval is how often RunLostPushRecovery fetches the pushes
	// Shopee failed to deliver; -1 disables it.
	LostPushInterval time.Duration `yaml:"lost_push_interval"`

	// ConversationPageSize is the get_conversation_list page size (at most 25:
	// larger sizes return an empty list).
	ConversationPageSize int `yaml:"conversation_page_size"`
	// MessagePageSize is the get_message page size.
	MessagePageSize int `yaml:"message_page_size"`
	// MaxConversationPages and MaxMessagePages bound one listing.
	MaxConversationPages int `yaml:"max_conversation_pages"`
	MaxMessagePages      int `yaml:"max_message_pages"`
	// TokenRefreshMargin refreshes an access token this long before it expires.
	TokenRefreshMargin time.Duration `yaml:"token_refresh_margin"`
	// RateLimitWait is the wait asked of the engine after error_rate_limit
	// when Shopee gives no Retry-After.
	RateLimitWait time.Duration `yaml:"rate_limit_wait"`
	// MaxTextLength refuses longer replies before sending (in characters);
	// 0 leaves the check to Shopee, whose limit is not documented.
	MaxTextLength int `yaml:"max_text_length"`

	// HTTP tunes timeouts, retries and the client-side rate limits.
	HTTP httpx.Config `yaml:"http"`
}

// Defaults.
const (
	DefaultBaseURL              = "https://partner.shopeemobile.com"
	DefaultPushPath             = "/push/shopee"
	DefaultPushMaxAge           = 10 * time.Minute
	DefaultPushMaxSkew          = 5 * time.Minute
	DefaultPushMaxBodyBytes     = 1 << 20
	DefaultLostPushInterval     = 5 * time.Minute
	DefaultConversationPageSize = MaxConversationPageSize
	DefaultMessagePageSize      = 25
	DefaultMaxConversationPages = 20
	DefaultMaxMessagePages      = 20
	DefaultTokenRefreshMargin   = 5 * time.Minute
	DefaultRateLimitWait        = 5 * time.Second
)

// SetDefaults fills the unset fields.
func (c *Config) SetDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.PushPath = cmp.Or(c.PushPath, DefaultPushPath)
	c.PushMaxAge = cmp.Or(c.PushMaxAge, DefaultPushMaxAge)
	c.PushMaxSkew = cmp.Or(c.PushMaxSkew, DefaultPushMaxSkew)
	c.PushMaxBodyBytes = cmp.Or(c.PushMaxBodyBytes, DefaultPushMaxBodyBytes)
	c.LostPushInterval = cmp.Or(c.LostPushInterval, DefaultLostPushInterval)
	c.ConversationPageSize = cmp.Or(c.ConversationPageSize, DefaultConversationPageSize)
	c.MessagePageSize = cmp.Or(c.MessagePageSize, DefaultMessagePageSize)
	c.MaxConversationPages = cmp.Or(c.MaxConversationPages, DefaultMaxConversationPages)
	c.MaxMessagePages = cmp.Or(c.MaxMessagePages, DefaultMaxMessagePages)
	c.TokenRefreshMargin = cmp.Or(c.TokenRefreshMargin, DefaultTokenRefreshMargin)
	c.RateLimitWait = cmp.Or(c.RateLimitWait, DefaultRateLimitWait)
	c.HTTP.SetDefaults()
}

// Validate returns one line per problem, each starting with "shopee.".
func (c Config) Validate() []string {
	var errs []string
	if c.PartnerID <= 0 {
		errs = append(errs, "shopee.partner_id: must be the app's numeric partner ID from the Shopee Open Platform console")
	}
	switch {
	case c.PartnerKey == "":
		errs = append(errs, "shopee.partner_key: must be set (the app's partner key; use ${ENV} to keep it out of the file)")
	case strings.Contains(c.PartnerKey, "${"):
		errs = append(errs, "shopee.partner_key: contains an unresolved ${...} reference")
	}
	if msg := httpx.CheckURL(c.BaseURL); msg != "" {
		errs = append(errs, "shopee.base_url: "+msg)
	}
	if !strings.HasPrefix(c.PushPath, "/") {
		errs = append(errs, fmt.Sprintf("shopee.push_path: %q must start with /", c.PushPath))
	}
	if c.PushCallbackURL != "" {
		if msg := httpx.CheckURL(c.PushCallbackURL); msg != "" {
			errs = append(errs, "shopee.push_callback_url: "+msg)
		}
	}
	if c.PushMaxAge < 0 {
		errs = append(errs, "shopee.push_max_age: must not be negative")
	}
	if c.PushMaxSkew < 0 {
		errs = append(errs, "shopee.push_max_skew: must not be negative")
	}
	if c.PushMaxBodyBytes < 0 {
		errs = append(errs, "shopee.push_max_body_bytes: must not be negative")
	}
	if c.LostPushInterval < 0 && c.LostPushInterval != -1 {
		errs = append(errs, "shopee.lost_push_interval: must be a positive duration, or -1 to disable")
	}
	if c.ConversationPageSize < 0 || c.ConversationPageSize > MaxConversationPageSize {
		errs = append(errs, fmt.Sprintf("shopee.conversation_page_size: must be between 1 and %d (Shopee returns an empty list above %d)", MaxConversationPageSize, MaxConversationPageSize))
	}
	if c.MessagePageSize < 0 || c.MessagePageSize > MaxMessagePageSize {
		errs = append(errs, fmt.Sprintf("shopee.message_page_size: must be between 1 and %d", MaxMessagePageSize))
	}
	if c.MaxConversationPages < 0 || c.MaxMessagePages < 0 {
		errs = append(errs, "shopee.max_conversation_pages/max_message_pages: must not be negative")
	}
	if c.TokenRefreshMargin < 0 || c.TokenRefreshMargin >= 4*time.Hour {
		errs = append(errs, "shopee.token_refresh_margin: must be between 0 and the 4h access token lifetime")
	}
	if c.RateLimitWait < 0 {
		errs = append(errs, "shopee.rate_limit_wait: must not be negative")
	}
	if c.MaxTextLength < 0 {
		errs = append(errs, "shopee.max_text_length: must not be negative (0 leaves the check to Shopee)")
	}
	for _, e := range c.HTTP.Validate("http.") {
		errs = append(errs, "shopee."+e)
	}
	return errs
}
