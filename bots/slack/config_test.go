package slack

import (
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{BotToken: "xoxb-1", AppToken: "xapp-1", InboxChannel: "C0INBOX"}
}

func TestConfigDefaults(t *testing.T) {
	c := validConfig()
	c.SetDefaults()
	if p := c.Validate(); len(p) != 0 {
		t.Fatalf("a minimal config should be valid, got %q", p)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"mode", c.Mode, ModeSocket},
		{"api_url", c.APIURL, DefaultAPIURL},
		{"alerts_channel defaults to the inbox", c.AlertsChannel, "C0INBOX"},
		{"report_channel defaults to alerts", c.ReportChannel, "C0INBOX"},
		{"sending reaction", c.Reactions.Sending, "hourglass_flowing_sand"},
		{"sent reaction", c.Reactions.Sent, "white_check_mark"},
		{"failed reaction", c.Reactions.Failed, "x"},
		{"post rate", c.Pacing.PostPerSecond, 1.0},
		{"text limit", c.TextLimit, 3000},
		{"watchdog", c.WatchdogTimeout, 2 * time.Minute},
		{"signature window", c.SignatureMaxAge, 5 * time.Minute},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestConfigAPIURLGetsTrailingSlash(t *testing.T) {
	c := validConfig()
	c.APIURL = "https://slack-gov.com/api"
	c.SetDefaults()
	if c.APIURL != "https://slack-gov.com/api/" {
		t.Fatalf("api_url = %q, want a trailing slash", c.APIURL)
	}
}

func TestConfigValidateOneLinePerProblem(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want []string
	}{
		{"bot token prefix", func(c *Config) { c.BotToken = "xoxp-user" }, []string{`slack.bot_token: must start with "xoxb-"`}},
		{"missing bot token", func(c *Config) { c.BotToken = "" }, []string{"slack.bot_token: is required"}},
		{"app token in socket mode", func(c *Config) { c.AppToken = "" }, []string{"slack.app_token: is required in socket mode"}},
		{"app token prefix", func(c *Config) { c.AppToken = "xoxb-2" }, []string{`slack.app_token: must start with "xapp-"`}},
		{"http mode needs a signing secret", func(c *Config) { c.Mode = "http"; c.AppToken = "" }, []string{"slack.signing_secret: is required in http mode"}},
		{"unknown mode", func(c *Config) { c.Mode = "rtm" }, []string{`slack.mode: must be "socket" or "http"`}},
		{"channel name instead of ID", func(c *Config) { c.InboxChannel = "#support" }, []string{"slack.inbox_channel: must be a channel ID"}},
		{"site channel", func(c *Config) { c.SiteChannels = map[string]string{"MY": "support-my"} }, []string{"slack.site_channels.MY: must be a channel ID"}},
		{"admin ID", func(c *Config) { c.Admins = []string{"alice"} }, []string{"slack.admins[0]: must be a Slack user ID"}},
		{"user group", func(c *Config) { c.AdminUsergroup = "admins" }, []string{"slack.admin_usergroup: must be a user group ID"}},
		{"reaction with colons inside", func(c *Config) { c.Reactions.Sent = "white check" }, []string{"slack.reactions.sent: must be an emoji name"}},
		{"same reactions", func(c *Config) { c.Reactions.Sent = "x" }, []string{"slack.reactions: sending, sent and failed must be three different emoji"}},
		{"api url", func(c *Config) { c.APIURL = "slack.com/api" }, []string{"slack.api_url: must be an absolute http(s) URL"}},
		{"ack timeout", func(c *Config) { c.CommandAckTimeout = 5 * time.Second }, []string{"slack.command_ack_timeout: must be between 0 and 3s"}},
		{"several problems at once", func(c *Config) { c.BotToken = "bad"; c.InboxChannel = "" }, []string{"slack.bot_token:", "slack.inbox_channel: is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mod(&c)
			c.SetDefaults()
			got := c.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %q, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], w)
				}
				if strings.Contains(got[i], "\n") {
					t.Errorf("problem %d spans several lines: %q", i, got[i])
				}
			}
		})
	}
}

func TestConfigValidateNeverEchoesTokens(t *testing.T) {
	c := validConfig()
	c.BotToken = "xoxp-secret-value"
	c.SetDefaults()
	for _, p := range c.Validate() {
		if strings.Contains(p, "secret-value") {
			t.Fatalf("validation message leaks the token: %q", p)
		}
	}
}

func TestChannelRouting(t *testing.T) {
	c := validConfig()
	c.SiteChannels = map[string]string{"MY": "C0MY", "sg": "C0SG"}
	c.SetDefaults()
	tests := []struct{ store, site, want string }{
		{"C0OWN", "MY", "C0OWN"},
		{"", "MY", "C0MY"},
		{"", "SG", "C0SG"},
		{"", "TH", "C0INBOX"},
		{"", "", "C0INBOX"},
	}
	for _, tt := range tests {
		if got := c.channelFor(tt.store, tt.site); got != tt.want {
			t.Errorf("channelFor(%q, %q) = %q, want %q", tt.store, tt.site, got, tt.want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, err := New(Config{BotToken: "nope"}, Deps{})
	if err == nil || !strings.Contains(err.Error(), "slack.bot_token") {
		t.Fatalf("New with a bad config: err = %v, want the validation problems", err)
	}
}
