package slack

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

func httpFixture(t *testing.T, listen bool) (*fixture, *httptest.Server) {
	t.Helper()
	f := newFixture(t, func(c *Config) { c.Mode = ModeHTTP; c.AppToken = ""; c.SigningSecret = secret })
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)
	if listen {
		f.listen()
		f.wait("token checked", func() bool { return f.h.SawHealth(true, 0) })
	}
	return f, srv
}

// signedPost sends body to path signed at time at, with extra headers.
func signedPost(t *testing.T, srv *httptest.Server, path, contentType string, body []byte, at time.Time, sign func(ts int64, body []byte) string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	ts := at.Unix()
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", sign(ts, body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func goodSig(ts int64, body []byte) string { return Sign(secret, ts, body) }

func eventBody(t *testing.T, eventID string, ev map[string]any) []byte {
	b, err := json.Marshal(fakeslack.EventCallback(eventID, ev))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHTTPModeAnswers503BeforeListen(t *testing.T) {
	f, srv := httpFixture(t, false)
	body := eventBody(t, "Ev1", fakeslack.ThreadReply(chInbox, agentID, "1.1", "1.2", "hi"))
	if code, _ := signedPost(t, srv, PathEvents, "application/json", body, f.clock.Now(), goodSig, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d before Listen, want 503", code)
	}
}

func TestHTTPModeRejectsForgedRequests(t *testing.T) {
	f, srv := httpFixture(t, true)
	body := eventBody(t, "Ev1", fakeslack.ThreadReply(chInbox, agentID, "1.1", "1.2", "hi"))
	now := f.clock.Now()
	tests := []struct {
		name string
		at   time.Time
		sign func(int64, []byte) string
		path string
	}{
		{"wrong secret", now, func(ts int64, b []byte) string { return Sign("not-the-secret", ts, b) }, PathEvents},
		{"tampered body", now, func(ts int64, b []byte) string { return Sign(secret, ts, append(b, ' ')) }, PathEvents},
		{"replayed after 6 minutes", now.Add(-6 * time.Minute), goodSig, PathEvents},
		{"from the future", now.Add(6 * time.Minute), goodSig, PathEvents},
		{"no signature", now, func(int64, []byte) string { return "" }, PathEvents},
		{"forged command", now, func(ts int64, b []byte) string { return "v0=" + strings.Repeat("0", 64) }, PathCommands},
		{"forged button", now, func(ts int64, b []byte) string { return "v0=deadbeef" }, PathInteractivity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := signedPost(t, srv, tt.path, "application/json", body, tt.at, tt.sign, nil); code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", code)
			}
		})
	}
	if n := len(f.h.Replies()) + len(f.h.Commands()) + len(f.h.Actions()); n != 0 {
		t.Fatalf("forged requests reached the bridge %d times", n)
	}
	// Within the window is fine.
	if code, _ := signedPost(t, srv, PathEvents, "application/json", body, now.Add(-4*time.Minute), goodSig, nil); code != http.StatusOK {
		t.Fatalf("a 4-minute-old signed request got %d, want 200", code)
	}
}

func TestHTTPModeURLVerification(t *testing.T) {
	f, srv := httpFixture(t, true)
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	code, out := signedPost(t, srv, PathEvents, "application/json", body, f.clock.Now(), goodSig, nil)
	if code != http.StatusOK || !strings.Contains(string(out), "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") {
		t.Fatalf("url_verification: %d %s", code, out)
	}
}

func TestHTTPModeSlackRetryProcessedOnce(t *testing.T) {
	f, srv := httpFixture(t, true)
	body := eventBody(t, "Ev1", fakeslack.ThreadReply(chInbox, agentID, "1700000000.000001", "1700000001.000100", "hello"))
	for i, hdr := range []map[string]string{nil, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}, {"X-Slack-Retry-Num": "2"}} {
		if code, _ := signedPost(t, srv, PathEvents, "application/json", body, f.clock.Now(), goodSig, hdr); code != http.StatusOK {
			t.Fatalf("delivery %d: status %d, want 200", i, code)
		}
	}
	// The same message under a new event ID (Slack sometimes does that) is also dropped.
	again := eventBody(t, "Ev9", fakeslack.ThreadReply(chInbox, agentID, "1700000000.000001", "1700000001.000100", "hello"))
	signedPost(t, srv, PathEvents, "application/json", again, f.clock.Now(), goodSig, nil)
	sentinel := eventBody(t, "Ev2", fakeslack.ThreadReply(chInbox, agentID, "1700000000.000001", "1700000002.000100", "second"))
	signedPost(t, srv, PathEvents, "application/json", sentinel, f.clock.Now(), goodSig, nil)
	f.wait("the sentinel", func() bool { return len(f.h.Replies()) >= 2 })
	if replies := f.h.Replies(); len(replies) != 2 || replies[0].Text != "hello" || replies[1].Text != "second" {
		t.Fatalf("replies = %+v, want hello once, then second", replies)
	}
}

func TestHTTPModeSlashCommand(t *testing.T) {
	f, srv := httpFixture(t, true)
	post := func(user, text string) commandAnswer {
		form := url.Values{}
		for k, v := range fakeslack.SlashCommand(user, chInbox, text, f.fake.ResponseURL("h")) {
			form.Set(k, v)
		}
		code, out := signedPost(t, srv, PathCommands, "application/x-www-form-urlencoded", []byte(form.Encode()), f.clock.Now(), goodSig, nil)
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		var a commandAnswer
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatalf("answer %s: %v", out, err)
		}
		return a
	}
	if a := post(agentID, "store update shop-a"); a.ResponseType != "ephemeral" || !strings.Contains(a.Text, "Only admins") {
		t.Fatalf("non-admin answer = %+v", a)
	}
	if a := post(adminID, "store update shop-a"); a.ResponseType != "ephemeral" || a.Text != "OK: store update shop-a" {
		t.Fatalf("admin answer = %+v", a)
	}
	cmds := f.h.Commands()
	if len(cmds) != 2 || cmds[0].Admin || !cmds[1].Admin {
		t.Fatalf("commands = %+v, want non-admin then admin", cmds)
	}
}

func TestHTTPModeButtonPress(t *testing.T) {
	f, srv := httpFixture(t, true)
	payload, _ := json.Marshal(fakeslack.BlockAction(adminID, chAlerts, "1700000000.000009", "", bridge.ActionRetrySync, "shop-a", f.fake.ResponseURL("x")))
	form := url.Values{"payload": {string(payload)}}
	code, _ := signedPost(t, srv, PathInteractivity, "application/x-www-form-urlencoded", []byte(form.Encode()), f.clock.Now(), goodSig, nil)
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	f.wait("action", func() bool { return len(f.h.Actions()) == 1 })
	want := bridge.ActionEvent{ActionID: bridge.ActionRetrySync, Value: "shop-a", UserID: adminID, UserName: "user-" + adminID, Admin: true}
	if got := f.h.Actions()[0]; got != want {
		t.Fatalf("action = %+v, want %+v", got, want)
	}
}

// 2,000 forged requests to each HTTP-mode endpoint make one warning per
// endpoint and reason, not one per request, and are all counted.
func TestHTTPModeForgedFloodLogsBoundedLines(t *testing.T) {
	clock := bridgetest.NewClock(epoch)
	fake := fakeslack.New(fakeslack.WithClock(clock.Now))
	t.Cleanup(fake.Close)
	fake.AddChannel(chInbox, chAlerts)
	cfg := testConfig(fake)
	cfg.Mode, cfg.AppToken, cfg.SigningSecret = ModeHTTP, "", secret
	logs := &bridgetest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	refusals := bridge.NewRefusals(log, clock, 0)
	mux := http.NewServeMux()
	s, err := New(cfg, Deps{Clock: clock, Routes: mux, Logger: log, Refusals: refusals})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, fake: fake, clock: clock, s: s, h: bridgetest.NewHandler(), mux: mux}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.listen()
	f.wait("token checked", func() bool { return f.h.SawHealth(true, 0) })

	before := strings.Count(logs.String(), "\n")
	forged := func(ts int64, b []byte) string { return "v0=" + strings.Repeat("0", 64) }
	for _, path := range []string{PathEvents, PathCommands, PathInteractivity} {
		for i := range 2000 {
			body := []byte(`{"n":` + strconv.Itoa(i) + `}`)
			if code, _ := signedPost(t, srv, path, "application/json", body, clock.Now(), forged, nil); code != http.StatusUnauthorized {
				t.Fatalf("%s: forged request %d got %d", path, i, code)
			}
		}
	}
	if lines := strings.Count(logs.String(), "\n") - before; lines != 3 {
		t.Errorf("6,000 forged requests logged %d lines, want 3 (one per endpoint):\n%s", lines, logs.String())
	}
	for _, ep := range []string{EndpointEvents, EndpointCommands, EndpointInteractivity} {
		if n := refusals.Total(ep, "bad_signature"); n != 2000 {
			t.Errorf("%s: counted %d, want 2000", ep, n)
		}
	}
	if n := len(f.h.Replies()) + len(f.h.Commands()) + len(f.h.Actions()); n != 0 {
		t.Fatalf("forged requests reached the bridge %d times", n)
	}
}
