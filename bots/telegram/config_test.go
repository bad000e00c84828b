package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
)

func validConfig() Config {
	return Config{Token: telegramtest.Token, InboxChat: -1001234567890}
}

func TestConfigDefaults(t *testing.T) {
	c := validConfig()
	c.SiteChats = map[string]int64{" my ": -100222}
	c.Reactions.Sending = "✍️" // with a variation selector, as people paste it
	c.SetDefaults()
	if probs := c.Validate(); len(probs) > 0 {
		t.Fatalf("valid config refused: %v", probs)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"api_url", c.APIURL, "https://api.telegram.org"},
		{"mode", c.Mode, ModePolling},
		{"webhook_path", c.WebhookPath, "/telegram/webhook"},
		{"alerts_chat", c.AlertsChat, c.InboxChat},
		{"report_chat", c.ReportChat, c.InboxChat},
		{"reactions.sending", c.Reactions.Sending, "✍"},
		{"reactions.sent", c.Reactions.Sent, "👌"},
		{"reactions.failed", c.Reactions.Failed, "💔"},
		{"site_chats", c.SiteChats["MY"], int64(-100222)},
		{"per_chat_interval", c.Pacing.PerChatInterval, time.Second},
		{"group_per_minute", c.Pacing.GroupPerMinute, 20},
		{"global_per_second", c.Pacing.GlobalPerSecond, 30},
		{"pin_header", *c.PinHeader, false},
		{"adaptive", *c.Pacing.Adaptive, true},
		{"combine", *c.Pacing.Combine, true},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // substrings, one per expected problem line
	}{
		{"missing token and chat", func(c *Config) { c.Token, c.InboxChat = "", 0 }, []string{"telegram.token: required", "telegram.inbox_chat: required"}},
		{"malformed token", func(c *Config) { c.Token = "xoxb-not-telegram" }, []string{"telegram.token: does not look like a bot token"}},
		{"bad api url", func(c *Config) { c.APIURL = "ftp://x" }, []string{"telegram.api_url"}},
		{"unknown mode", func(c *Config) { c.Mode = "socket" }, []string{"telegram.mode"}},
		{"webhook without url and secret", func(c *Config) { c.Mode = ModeWebhook }, []string{"telegram.webhook_url", "telegram.secret_token"}},
		{"webhook secret with a bad character", func(c *Config) {
			c.Mode, c.WebhookURL, c.SecretToken = ModeWebhook, "https://bridge.example/telegram/webhook", "no spaces allowed"
		}, []string{"telegram.secret_token"}},
		{"reaction not on the list", func(c *Config) { c.Reactions.Sent = "✅" }, []string{`telegram.reactions.sent: "✅" is not a reaction a bot may set`}},
		{"two invalid reactions", func(c *Config) { c.Reactions.Sending, c.Reactions.Failed = "⏳", "❌" }, []string{"telegram.reactions.sending", "telegram.reactions.failed"}},
		{"same reaction twice", func(c *Config) { c.Reactions.Sent = "💔" }, []string{"telegram.reactions: sending, sent and failed must be three different"}},
		{"bad admin and site chat", func(c *Config) { c.Admins = []int64{42, -5}; c.SiteChats = map[string]int64{"SG": 0} }, []string{"telegram.site_chats.SG", "telegram.admins[1]"}},
		{"bad time zone", func(c *Config) { c.TimeZone = "Mars/Olympus" }, []string{"telegram.time_zone"}},
		{"bad pacing", func(c *Config) { c.Pacing.GroupPerMinute = -1; c.Pacing.GlobalPerSecond = -3 }, []string{"telegram.pacing.group_per_minute", "telegram.pacing.global_per_second"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			c.SetDefaults()
			probs := c.Validate()
			if len(probs) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(probs), len(tt.want), strings.Join(probs, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(probs[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i], w)
				}
			}
		})
	}
}

func TestNewRefusesInvalidReactionAtStart(t *testing.T) {
	c := validConfig()
	c.Reactions.Sending = "⏳"
	_, err := New(c, Deps{})
	if err == nil {
		t.Fatal("New accepted ⏳, which Telegram refuses as a reaction")
	}
	if !strings.Contains(err.Error(), "telegram.reactions.sending") {
		t.Errorf("error %q does not name the field", err)
	}
	if strings.Contains(err.Error(), telegramtest.Token) {
		t.Error("the error contains the token")
	}
}
