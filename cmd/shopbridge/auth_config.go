package main

import (
	"cmp"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge/auth"
)

// AuthSection configures store authorization and the upkeep of the stores'
// marketplace tokens (the `auth:` key).
type AuthSection struct {
	// RefreshMargin refreshes an access token this long before it expires.
	RefreshMargin time.Duration `yaml:"refresh_margin"`
	// LinkTTL is how long an authorization link is accepted back.
	LinkTTL time.Duration `yaml:"link_ttl"`
	// ExpiryWarning alerts this long before a store's authorization ends.
	ExpiryWarning time.Duration `yaml:"expiry_warning"`
	// CheckInterval is the longest wait between two looks at the tokens.
	CheckInterval time.Duration `yaml:"check_interval"`
	// RetryInterval is the first wait after a refresh failed on the network.
	RetryInterval time.Duration `yaml:"retry_interval"`
}

// SetDefaults fills what the file leaves out.
func (a *AuthSection) SetDefaults() {
	d := auth.DefaultConfig()
	a.RefreshMargin = cmp.Or(a.RefreshMargin, d.RefreshMargin)
	a.LinkTTL = cmp.Or(a.LinkTTL, d.LinkTTL)
	a.ExpiryWarning = cmp.Or(a.ExpiryWarning, d.ExpiryWarning)
	a.CheckInterval = cmp.Or(a.CheckInterval, d.CheckInterval)
	a.RetryInterval = cmp.Or(a.RetryInterval, d.RetryInterval)
}

// Validate returns one line per problem.
func (a AuthSection) Validate() []string {
	var p []string
	between := func(name string, v, lo, hi time.Duration, why string) {
		if v < lo || v > hi {
			p = append(p, fmt.Sprintf("auth.%s: %s is outside %s…%s (%s)", name, v, lo, hi, why))
		}
	}
	// Shopee access tokens live 4 hours: a margin of more than 3 hours
	// would refresh almost continuously.
	between("refresh_margin", a.RefreshMargin, time.Minute, 3*time.Hour, "access tokens live 4h")
	// Shopee's authorization codes last 10 minutes; a link older than an
	// hour is a stale link.
	between("link_ttl", a.LinkTTL, time.Minute, time.Hour, "the shop owner opens the link soon after it is sent")
	between("expiry_warning", a.ExpiryWarning, time.Hour, 90*24*time.Hour, "e.g. 168h for a week")
	between("check_interval", a.CheckInterval, 10*time.Second, 24*time.Hour, "how often the tokens are looked at")
	between("retry_interval", a.RetryInterval, time.Second, time.Hour, "first wait after a failed refresh")
	return p
}

// PublicBaseURL is where the shop owner's browser reaches the bridge:
// http.public_url, else the listener's own address (enough when the owner
// authorizes from the bridge's machine, and for the simulator).
func (c *Config) PublicBaseURL() string {
	if c.HTTP.PublicURL != "" {
		return strings.TrimRight(c.HTTP.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.HTTP.Listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// AuthConfig maps the auth section onto the bridge's settings.
func (c *Config) AuthConfig() auth.Config {
	a := c.Auth
	return auth.Config{
		PublicURL: c.PublicBaseURL(), LinkTTL: a.LinkTTL, RefreshMargin: a.RefreshMargin,
		RetryInterval: a.RetryInterval, CheckInterval: a.CheckInterval, ExpiryWarning: a.ExpiryWarning,
	}
}
