package main

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

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
