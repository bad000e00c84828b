package simulator

// The simulator's choices where shared/reference/marketplace-apis.md marks
// TikTok Shop behaviour UNVERIFIED or does not say. They mirror
// platforms/tiktok/unverified.go; when the live API is checked, change both.

import (
	"net/http"
	"time"

	"gopkg.in/yaml.v3"
)

// Page limits [DOC]: page_size at most 20 (conversations) and 10
// (messages), required. What TikTok answers above them is not documented:
// the simulator answers 45101001 "Invalid parameter" (the send-message
// spec's wording for 45101001).
const (
	tiktokMaxConversationPage = 20
	tiktokMaxMessagePage      = 10
)

// The refresh token's lifetime is not documented; the simulator gives it
// 30 days and spends it on use (a refresh returns a new one, the old one
// is refused), the strictest reading.
const tiktokRefreshTokenLifetime = 30 * 24 * time.Hour

// tiktokCodeBadGrant is the code the auth host answers for an unknown,
// used or expired auth_code or refresh_token, or a wrong grant_type: the
// real code is not documented.
const tiktokCodeBadGrant = 36004004

// tiktokErrorStatus is the HTTP status sent with an error code: which
// statuses TikTok uses is not documented beyond "36009002 comes with HTTP
// 429" [DOC]; clients must read the body whatever the status, and the
// simulator varies them to keep clients honest.
func tiktokErrorStatus(code int) int {
	switch code {
	case 36009002:
		return http.StatusTooManyRequests
	case 36009003, 45101001:
		return http.StatusOK
	case 36009004, 105002, 106001, 101000:
		return http.StatusUnauthorized
	case 36009009:
		return http.StatusNotFound
	}
	return http.StatusOK
}

// Conversation order: not documented; the simulator lists newest activity
// first (the order the client relies on). page_token is opaque to clients;
// the simulator uses the previous page's last activity time.

// Message order and index: index is a decimal string, larger for newer
// messages and not consecutive; the simulator derives it from the time of
// storage. sort_field=create_time and index give the same order here.

// The daily quota counts every customer-service call that passes
// verification (refused ones do not count), per shop, and resets at 00:00
// UTC+QuotaResetUTCOffset (UTC by default): neither detail is documented.

// Webhooks: the timestamp of a redelivery is the original event's; only a
// 200 counts as delivered; the retry waits are counted from the previous
// attempt. TEXT length is counted in characters (runes).

// EMOTICONS content: {"emoticon_id","url"} (not documented).

// The authorization page (/open/authorize) has no login: with the
// simulator-only query parameter shop_id it redirects at once to
// TikTokConfig.RedirectURL with ?code=…&state=…; without, it lists the
// TikTok shops as links.

// TikTokAppYAML renders the tiktok: section of a bridge config that points
// at the simulator (the stores come from StoreConfigYAML).
func (s *Simulator) TikTokAppYAML() string {
	var doc struct {
		TikTok tiktokAppSection `yaml:"tiktok"`
	}
	doc.TikTok = s.tiktokAppSection()
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "# cannot render: " + err.Error() + "\n"
	}
	return "# the TikTok Shop app of the marketplace simulator at " + s.URL() + "\n" + string(b)
}

// tiktokAppSection is the tiktok: section of a bridge config that points
// at the simulator's TikTok dialect.
type tiktokAppSection struct {
	AppKey       string `yaml:"app_key"`
	AppSecret    string `yaml:"app_secret"`
	BaseURL      string `yaml:"base_url"`
	AuthURL      string `yaml:"auth_url"`
	AuthorizeURL string `yaml:"authorize_url"`
	ServiceID    string `yaml:"service_id"`
}

func (s *Simulator) tiktokAppSection() tiktokAppSection {
	c := s.TikTok()
	return tiktokAppSection{AppKey: c.AppKey, AppSecret: c.AppSecret, ServiceID: c.ServiceID,
		BaseURL: s.URL(), AuthURL: s.URL(), AuthorizeURL: s.URL() + "/open/authorize"}
}
