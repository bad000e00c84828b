package main

import (
	"net"
	"strings"

	"github.com/shopbridge/shopbridge/bridge/auth"
)

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

// AuthConfig is the auth section, with the public URL the listener has.
func (c *Config) AuthConfig() auth.Config {
	a := c.Auth
	a.PublicURL = c.PublicBaseURL()
	return a
}
