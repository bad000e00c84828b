package main

import (
	"cmp"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/state"
)

// Summary says what a valid config would run, for check-config: the chat
// surface, the stores per platform, the state backend (its DSN with the
// password hidden), the token key and the listener. A problem only the
// environment can have (a malformed SHOPBRIDGE_SECRET_KEY) is an error.
func (c *Config) Summary() ([]string, error) {
	var lines []string
	add := func(what, format string, args ...any) {
		lines = append(lines, fmt.Sprintf("%-13s %s", what, fmt.Sprintf(format, args...)))
	}
	switch c.Chat {
	case "slack":
		add("chat surface", "slack (%s mode; threads in %s)", c.Slack.Mode, c.Slack.InboxChannel)
	case "telegram":
		add("chat surface", "telegram (%s; threads in chat %d)", c.Telegram.Mode, c.Telegram.InboxChat)
	default:
		add("chat surface", "console (this terminal, replying as %s)", cmp.Or(c.Console.User, console.DefaultUser))
	}
	var per []string
	for _, m := range marketplaces {
		stores := c.StoresOf(m.platform)
		if len(stores) == 0 {
			continue
		}
		ids := make([]string, len(stores))
		for i, s := range stores {
			ids[i] = string(s.ID)
		}
		per = append(per, fmt.Sprintf("%s %d (%s)", m.platform, len(stores), strings.Join(ids, ", ")))
	}
	add("stores", "%d: %s", len(c.Stores), strings.Join(per, "; "))
	switch c.State.Backend {
	case "postgres":
		schema := ""
		if c.State.Schema != "" {
			schema = ", schema " + c.State.Schema
		}
		add("state", "postgres at %s%s", redactDSN(c.State.DSN), schema)
	default:
		add("state", "sqlite at %s", c.State.Path)
	}
	switch key := os.Getenv("SHOPBRIDGE_SECRET_KEY"); {
	case key == "":
		add("token key", "SHOPBRIDGE_SECRET_KEY not set: marketplace tokens stored unencrypted")
	default:
		if _, err := state.CipherFromKey(key); err != nil {
			return nil, fmt.Errorf("SHOPBRIDGE_SECRET_KEY: %w", err)
		}
		add("token key", "SHOPBRIDGE_SECRET_KEY set: marketplace tokens encrypted at rest")
	}
	add("http", "listening on %s (/healthz, /metrics, pushes and callbacks), public URL %s", c.HTTP.Listen, c.PublicBaseURL())
	return lines, nil
}

// dsnPassword finds the password of a key=value DSN.
var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// redactDSN hides a DSN's password, URL or key=value.
func redactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		return redactURL(dsn)
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}xxxxx")
}
