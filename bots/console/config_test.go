package console

import (
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults are valid", Config{}, ""},
		{"a name", Config{User: "mei.lin"}, ""},
		{"spaces", Config{User: "mei lin"}, `console.user: must be 1–64 printable characters without spaces, got "mei lin"`},
		{"control characters", Config{User: "mei\x1b[31m"}, `console.user: must be 1–64 printable characters without spaces, got "mei"`},
		{"too long", Config{User: strings.Repeat("a", 65)}, "console.user: must be 1–64 printable characters without spaces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SetDefaults()
			probs := tc.cfg.Validate()
			if tc.want == "" {
				if len(probs) != 0 {
					t.Fatalf("problems %q, want none", probs)
				}
				return
			}
			if len(probs) != 1 || !strings.HasPrefix(probs[0], tc.want) {
				t.Fatalf("problems %q, want one starting %q", probs, tc.want)
			}
			if _, err := New(tc.cfg, Deps{}); err == nil {
				t.Fatalf("New accepted a bad config")
			}
		})
	}
	var c Config
	c.SetDefaults()
	if c.User != "console" {
		t.Errorf("default user %q, want console", c.User)
	}
}
