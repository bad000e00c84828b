package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/shopee"
)

// slowPost sends the headers of a POST announcing a body of size bytes and
// the first part of that body, then stalls, and returns the status the
// server answered. The 10-second read deadline is only the failure
// condition of a server that never answers.
func slowPost(t *testing.T, addr, path string, hdr map[string]string, size int) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, addr, size)
	for k, v := range hdr {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n{\"partial\":")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: no answer to a stalled body: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A client that stalls in the middle of its body is answered 408 Request
// Timeout once the listener's read timeout passes, on every endpoint that
// reads a body; only a body over the limit is answered 413. The read timeout
// is set short (200ms) as a server setting; nothing here measures time.
func TestStalledBodyIs408AndOnlyALargeBodyIs413(t *testing.T) {
	sim := startSimulator(t, nil, "1001")
	tok, _ := sim.Tokens("1001")
	stores := []StoreConfig{{ID: "shopee-my-1001", Platform: "shopee", ShopID: "1001", Name: "Shop 1001", Site: "MY",
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}}
	httpCfg := func() HTTPConfig {
		return HTTPConfig{Listen: freeListen(t), ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond}
	}
	big := strings.Repeat("x", 2<<20)
	large := func(addr, path string, hdr map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader(big))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			// The server may close the connection while the client still writes.
			return http.StatusRequestEntityTooLarge
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("shopee push and slack HTTP mode", func(t *testing.T) {
		fake := fakeslack.New()
		t.Cleanup(fake.Close)
		fake.AddChannel("C0INBOX")
		hc := httpCfg()
		cfg := &Config{
			HTTP:  hc,
			State: StateConfig{Path: filepath.Join(t.TempDir(), "state.db")},
			Shopee: &shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL(),
				PushCallbackURL: "http://" + hc.Listen + shopee.DefaultPushPath},
			Slack: &slack.Config{Mode: slack.ModeHTTP, BotToken: fakeslack.BotToken, SigningSecret: "signing-secret",
				APIURL: fake.URL, InboxChannel: "C0INBOX"},
			Stores: stores,
		}
		addr := startBridge(t, cfg, slog.New(&warnLines{}))
		waitFor(t, "the Slack surface listens", func() bool {
			return plainPostStatus(addr, slack.PathEvents) != http.StatusServiceUnavailable
		})
		for _, path := range []string{shopee.DefaultPushPath, slack.PathEvents, slack.PathCommands, slack.PathInteractivity} {
			if got := slowPost(t, addr, path, nil, 1000); got != http.StatusRequestTimeout {
				t.Errorf("%s: a stalled body got %d, want 408", path, got)
			}
			if got := large(addr, path, nil); got != http.StatusRequestEntityTooLarge {
				t.Errorf("%s: a 2 MiB body got %d, want 413", path, got)
			}
		}
		metrics := metricsText(t, addr)
		for _, want := range []string{
			`shopbridge_refused_requests_total{endpoint="shopee_push",reason="body_timeout"} 1`,
			`shopbridge_refused_requests_total{endpoint="slack_events",reason="body_timeout"} 1`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	t.Run("telegram webhook", func(t *testing.T) {
		api := telegramtest.New(bridgetest.NewClock(time.Now()))
		t.Cleanup(api.Close)
		api.AddChat(telegramtest.Chat{ID: -1001000000001, Title: "Shop inbox", Forum: true})
		const secret = "the-secret_token"
		cfg := &Config{
			HTTP:   httpCfg(),
			State:  StateConfig{Path: filepath.Join(t.TempDir(), "state.db")},
			Shopee: &shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL()},
			Telegram: &telegram.Config{Mode: telegram.ModeWebhook, Token: telegramtest.Token, APIURL: api.URL, InboxChat: -1001000000001,
				WebhookURL: "https://bridge.example/telegram/webhook", SecretToken: secret},
			Stores: stores,
		}
		addr := startBridge(t, cfg, slog.New(&warnLines{}))
		hdr := map[string]string{"X-Telegram-Bot-Api-Secret-Token": secret}
		waitFor(t, "the Telegram surface listens", func() bool { info, _ := api.Webhook(); return info.URL != "" })
		if got := slowPost(t, addr, cfg.Telegram.WebhookPath, hdr, 1000); got != http.StatusRequestTimeout {
			t.Errorf("a stalled body got %d, want 408", got)
		}
		if got := large(addr, cfg.Telegram.WebhookPath, hdr); got != http.StatusRequestEntityTooLarge {
			t.Errorf("a 2 MiB body got %d, want 413", got)
		}
	})
}

// plainPostStatus is the status of an unsigned POST of "{}": 503 until the
// route's surface listens, 401 after.
func plainPostStatus(addr, path string) int {
	resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader("{}"))
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
