package console

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultUser is the name the person at the terminal replies as.
const DefaultUser = "console"

// Config is the `console:` section of the shopbridge configuration.
type Config struct {
	// User is the name replies typed at the console are sent as (default "console").
	User string `yaml:"user"`
	// Color paints tags, statuses and alerts with ANSI colours. Off by
	// default; turn it on when the output is a terminal.
	Color bool `yaml:"color"`
	// ShowHeaders prints every thread header update (unread counts too),
	// not only the changes between awaiting reply and answered, resumed and
	// continued conversations.
	ShowHeaders bool `yaml:"show_headers"`
}

// SetDefaults fills in the defaults.
func (c *Config) SetDefaults() {
	if strings.TrimSpace(c.User) == "" {
		c.User = DefaultUser
	}
}

// Validate returns one line per problem.
func (c Config) Validate() []string {
	var probs []string
	if n := utf8.RuneCountInString(c.User); n == 0 || n > 64 || strings.IndexFunc(c.User, func(r rune) bool {
		return unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) >= 0 {
		probs = append(probs, "console.user: must be 1–64 printable characters without spaces, got "+quoteShort(c.User))
	}
	return probs
}

func quoteShort(s string) string {
	r := []rune(cleanInline(s))
	if len(r) > 40 {
		r = append(r[:39], '…')
	}
	return `"` + string(r) + `"`
}
