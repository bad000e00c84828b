package lazada

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/platforms/httpx"
)

// Config is the Lazada Open Platform app as the operator configures it
// (YAML key "lazada" in the bridge's config).
type Config struct {
	// AppKey and AppSecret are the app's credentials from the Lazada Open
	// Platform console. The secret signs every request and verifies pushes.
	AppKey    string `yaml:"app_key"`
	AppSecret string `yaml:"app_secret"`

	// GatewayURL, when set, is the API gateway of every site (a sandbox, or
	// the simulator's URL + "/rest"). Otherwise each store's site picks its
	// country gateway from Gateways, which overrides DefaultGateways per site.
	GatewayURL string            `yaml:"gateway_url"`
	Gateways   map[string]string `yaml:"gateways"`
	// AuthURL is the gateway of /auth/token/create and /auth/token/refresh.
	AuthURL string `yaml:"auth_url"`
	// AuthorizeURL is the page the shop owner opens to authorize the app.
	AuthorizeURL string `yaml:"authorize_url"`

	// PushPath is where the bridge's listener receives Lazada pushes (the
	// public URL in front of it, registered in the console's Message
	// Service tab, needs HTTPS with an OV or EV certificate).
	PushPath string `yaml:"push_path"`
	// PushDeadline bounds the handling of one push: Lazada wants the 200
	// within 500 ms, so a push that cannot be recorded in time is refused
	// (5xx) and delivered again rather than answered late.
	PushDeadline time.Duration `yaml:"push_deadline"`
	// PushMaxAge refuses a push whose envelope timestamp is older (replay
	// protection; Lazada redelivers for 6 hours). 0 takes the default; -1
	// disables the check.
	PushMaxAge time.Duration `yaml:"push_max_age"`
	// PushMaxSkew refuses a push whose timestamp is further than this in
	// the future: a signed push from "next year" is a replay kept for
	// later, not a clock difference. -1 disables the check.
	PushMaxSkew time.Duration `yaml:"push_max_skew"`
	// PushMaxBodyBytes refuses larger push bodies.
	PushMaxBodyBytes int64 `yaml:"push_max_body_bytes"`

	// MaxListCallsPerHour is a per-store safety cap on the IM list APIs
	// (/im/session/list, /im/message/list): Lazada reclaims the API
	// permission of apps that poll them. They are called only by the
	// one-off history import and explicit repairs; a call beyond the cap is
	// refused with an ERROR log line.
	MaxListCallsPerHour int `yaml:"max_list_calls_per_hour"`
	// PageSize is the page_size of both IM lists (at most 20).
	PageSize int `yaml:"page_size"`
	// MaxSessionPages bounds one history import's session listing.
	MaxSessionPages int `yaml:"max_session_pages"`

	// TokenRefreshMargin refreshes an access token this long before it
	// expires (Lazada suggests 30 minutes).
	TokenRefreshMargin time.Duration `yaml:"token_refresh_margin"`
	// RateLimitWait is the wait asked of the engine after ApiCallLimit when
	// its message names none ("this ban will last 1 seconds").
	RateLimitWait time.Duration `yaml:"rate_limit_wait"`
	// MaxTextLength refuses longer replies before sending (characters); 0
	// leaves the check to Lazada, whose limit is not documented.
	MaxTextLength int `yaml:"max_text_length"`

	// HTTP tunes timeouts, retries and the client-side rate limits (API
	// names are the paths without the leading slash, e.g. "im/message/send").
	HTTP httpx.Config `yaml:"http"`
}

// DefaultGateways are the country API gateways [DOC LZ-AUTH; SDK LZ-TS].
var DefaultGateways = map[string]string{
	"SG": "https://api.lazada.sg/rest",
	"MY": "https://api.lazada.com.my/rest",
	"TH": "https://api.lazada.co.th/rest",
	"VN": "https://api.lazada.vn/rest",
	"PH": "https://api.lazada.com.ph/rest",
	"ID": "https://api.lazada.co.id/rest",
}

// Defaults.
const (
	DefaultAuthURL             = "https://auth.lazada.com/rest"
	DefaultAuthorizeURL        = "https://auth.lazada.com/oauth/authorize"
	DefaultPushPath            = "/push/lazada"
	DefaultPushDeadline        = 400 * time.Millisecond
	DefaultPushMaxAge          = 7 * time.Hour
	DefaultPushMaxSkew         = 5 * time.Minute
	DefaultPushMaxBodyBytes    = 1 << 20
	DefaultMaxListCallsPerHour = 30
	DefaultPageSize            = MaxPageSize
	DefaultMaxSessionPages     = 150 // 3000 sessions, what Lazada copies at most
	DefaultTokenRefreshMargin  = 30 * time.Minute
	DefaultRateLimitWait       = time.Second
)

// SetDefaults fills the unset fields.
func (c *Config) SetDefaults() {
	c.AuthURL = cmp.Or(c.AuthURL, DefaultAuthURL)
	c.AuthorizeURL = cmp.Or(c.AuthorizeURL, DefaultAuthorizeURL)
	c.PushPath = cmp.Or(c.PushPath, DefaultPushPath)
	c.PushDeadline = cmp.Or(c.PushDeadline, DefaultPushDeadline)
	c.PushMaxAge = cmp.Or(c.PushMaxAge, DefaultPushMaxAge)
	c.PushMaxSkew = cmp.Or(c.PushMaxSkew, DefaultPushMaxSkew)
	c.PushMaxBodyBytes = cmp.Or(c.PushMaxBodyBytes, DefaultPushMaxBodyBytes)
	c.MaxListCallsPerHour = cmp.Or(c.MaxListCallsPerHour, DefaultMaxListCallsPerHour)
	c.PageSize = cmp.Or(c.PageSize, DefaultPageSize)
	c.MaxSessionPages = cmp.Or(c.MaxSessionPages, DefaultMaxSessionPages)
	c.TokenRefreshMargin = cmp.Or(c.TokenRefreshMargin, DefaultTokenRefreshMargin)
	c.RateLimitWait = cmp.Or(c.RateLimitWait, DefaultRateLimitWait)
	c.HTTP.SetDefaults()
}

// Validate returns one line per problem, each starting with "lazada.".
func (c Config) Validate() []string {
	var errs []string
	if strings.TrimSpace(c.AppKey) == "" {
		errs = append(errs, "lazada.app_key: must be set (the app key from the Lazada Open Platform console)")
	}
	switch {
	case c.AppSecret == "":
		errs = append(errs, "lazada.app_secret: must be set (the app secret; use ${ENV} to keep it out of the file)")
	case strings.Contains(c.AppSecret, "${"):
		errs = append(errs, "lazada.app_secret: contains an unresolved ${...} reference")
	}
	if c.GatewayURL != "" {
		if msg := httpx.CheckURL(c.GatewayURL); msg != "" {
			errs = append(errs, "lazada.gateway_url: "+msg)
		}
	}
	sites := make([]string, 0, len(c.Gateways))
	for site := range c.Gateways {
		sites = append(sites, site)
	}
	sort.Strings(sites)
	for _, site := range sites {
		if _, ok := DefaultGateways[strings.ToUpper(site)]; !ok {
			errs = append(errs, fmt.Sprintf("lazada.gateways.%s: unknown site (Lazada sites are SG, MY, TH, VN, PH, ID)", site))
		}
		if msg := httpx.CheckURL(c.Gateways[site]); msg != "" {
			errs = append(errs, fmt.Sprintf("lazada.gateways.%s: %s", site, msg))
		}
	}
	if msg := httpx.CheckURL(c.AuthURL); msg != "" {
		errs = append(errs, "lazada.auth_url: "+msg)
	}
	if msg := httpx.CheckURL(c.AuthorizeURL); msg != "" {
		errs = append(errs, "lazada.authorize_url: "+msg)
	}
	if !strings.HasPrefix(c.PushPath, "/") {
		errs = append(errs, fmt.Sprintf("lazada.push_path: %q must start with /", c.PushPath))
	}
	if c.PushDeadline <= 0 || c.PushDeadline >= 500*time.Millisecond {
		errs = append(errs, "lazada.push_deadline: must be positive and below Lazada's 500ms answer deadline")
	}
	if c.PushMaxAge < 0 && c.PushMaxAge != -1 {
		errs = append(errs, "lazada.push_max_age: must be a positive duration, or -1 to disable the replay check")
	}
	if c.PushMaxSkew < 0 && c.PushMaxSkew != -1 {
		errs = append(errs, "lazada.push_max_skew: must be a positive duration, or -1 to disable the check")
	}
	if c.PushMaxBodyBytes < 0 {
		errs = append(errs, "lazada.push_max_body_bytes: must not be negative")
	}
	if c.MaxListCallsPerHour < 0 {
		errs = append(errs, "lazada.max_list_calls_per_hour: must be a positive safety cap (Lazada reclaims the permission of apps that poll the IM lists)")
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		errs = append(errs, fmt.Sprintf("lazada.page_size: must be between 1 and %d", MaxPageSize))
	}
	if c.MaxSessionPages < 0 {
		errs = append(errs, "lazada.max_session_pages: must not be negative")
	}
	if c.TokenRefreshMargin < 0 || c.TokenRefreshMargin >= 7*24*time.Hour {
		errs = append(errs, "lazada.token_refresh_margin: must be between 0 and the 7-day access token lifetime of test apps")
	}
	if c.RateLimitWait < 0 {
		errs = append(errs, "lazada.rate_limit_wait: must not be negative")
	}
	if c.MaxTextLength < 0 {
		errs = append(errs, "lazada.max_text_length: must not be negative (0 leaves the check to Lazada)")
	}
	for _, e := range c.HTTP.Validate("http.") {
		errs = append(errs, "lazada."+e)
	}
	return errs
}

// gateway returns the API gateway of a site ("" for an unknown site).
func (c Config) gateway(site string) string {
	if c.GatewayURL != "" {
		return c.GatewayURL
	}
	site = strings.ToUpper(strings.TrimSpace(site))
	for k, v := range c.Gateways {
		if strings.ToUpper(k) == site {
			return v
		}
	}
	return DefaultGateways[site]
}
