package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/shopee"
)

// warnLines is a slog handler that keeps the warnings and errors, to count
// log lines.
type warnLines struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnLines) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnLines) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, r.Message)
	return nil
}
func (w *warnLines) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnLines) WithGroup(string) slog.Handler      { return w }

func (w *warnLines) since(n int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines[n:]...)
}

func (w *warnLines) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.lines)
}

// startBridge runs the bridge's real wiring (bridgeOptions) for cfg and
// returns its listener's address.
func startBridge(t *testing.T, cfg *Config, log *slog.Logger) string {
	t.Helper()
	cfg.SetDefaults()
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatalf("config: %v", p)
	}
	var srv *Server
	st, err := openState(context.Background(), cfg, log, stateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	app := fx.New(bridgeOptions(cfg, log, appIO{In: strings.NewReader(""), Out: io.Discard}, st), fx.Populate(&srv))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := app.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return srv.Addr()
}

// forge sends n requests built by mk and fails unless each is answered want.
func forge(t *testing.T, n, want int, mk func(i int) *http.Request) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range n {
		resp, err := client.Do(mk(i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: forged request %d answered %d, want %d", mk(i).URL.Path, i, resp.StatusCode, want)
		}
	}
}

func metricsText(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// 2,000 forged requests to each endpoint of the listener (Shopee pushes,
// Slack HTTP mode, the authorization callback, the Telegram webhook) make
// one warning per endpoint and reason, not one per request, and
// shopbridge_refused_requests_total counts every one of them.
func TestForgedRequestFloodsLogBoundedLinesAndAreCounted(t *testing.T) {
	const n = 2000
	sim := startSimulator(t, nil, "1001")
	tok, _ := sim.Tokens("1001")
	stores := []StoreConfig{{ID: "shopee-my-1001", Platform: "shopee", ShopID: "1001", Name: "Shop 1001", Site: "MY",
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}}
	post := func(url, body string, hdr map[string]string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}

	t.Run("shopee, slack HTTP mode and the authorization callback", func(t *testing.T) {
		fake := fakeslack.New()
		t.Cleanup(fake.Close)
		fake.AddChannel("C0INBOX")
		listen := freeListen(t)
		cfg := &Config{
			HTTP:  HTTPConfig{Listen: listen},
			State: StateConfig{Path: filepath.Join(t.TempDir(), "state.db")},
			Shopee: &shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL(),
				PushCallbackURL: "http://" + listen + shopee.DefaultPushPath},
			Slack: &slack.Config{Mode: slack.ModeHTTP, BotToken: fakeslack.BotToken, SigningSecret: "signing-secret",
				APIURL: fake.URL, InboxChannel: "C0INBOX"},
			Stores: stores,
		}
		logs := &warnLines{}
		addr := startBridge(t, cfg, slog.New(logs))
		base := "http://" + addr
		before := logs.count()

		forge(t, n, http.StatusUnauthorized, func(i int) *http.Request {
			return post(base+shopee.DefaultPushPath, fmt.Sprintf(`{"shop_id":1001,"code":10,"n":%d}`, i),
				map[string]string{"Authorization": strings.Repeat("0", 64)})
		})
		for _, path := range []string{slack.PathEvents, slack.PathCommands, slack.PathInteractivity} {
			forge(t, n, http.StatusUnauthorized, func(i int) *http.Request {
				return post(base+path, fmt.Sprintf(`{"n":%d}`, i), map[string]string{
					"X-Slack-Request-Timestamp": fmt.Sprint(time.Now().Unix()), "X-Slack-Signature": "v0=" + strings.Repeat("0", 64)})
			})
		}
		forge(t, n, http.StatusBadRequest, func(i int) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/auth/shopee/callback?store=shopee-my-1001&state=forged-%d&code=x", base, i), nil)
			return req
		})

		lines := logs.since(before)
		refused := 0
		for _, l := range lines {
			if l == "request refused" || l == "requests refused" {
				refused++
			}
		}
		if refused != 5 || len(lines) > 5+5 {
			t.Errorf("10,000 forged requests logged %d refusal lines (want 5, one per endpoint) and %d lines in all:\n%s",
				refused, len(lines), strings.Join(lines, "\n"))
		}
		metrics := metricsText(t, addr)
		for _, want := range []string{
			`shopbridge_refused_requests_total{endpoint="shopee_push",reason="bad_signature"} 2000`,
			`shopbridge_refused_requests_total{endpoint="slack_events",reason="bad_signature"} 2000`,
			`shopbridge_refused_requests_total{endpoint="slack_commands",reason="bad_signature"} 2000`,
			`shopbridge_refused_requests_total{endpoint="slack_interactivity",reason="bad_signature"} 2000`,
			`shopbridge_refused_requests_total{endpoint="auth_callback",reason="invalid_state"} 2000`,
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
		cfg := &Config{
			HTTP:   HTTPConfig{Listen: freeListen(t)},
			State:  StateConfig{Path: filepath.Join(t.TempDir(), "state.db")},
			Shopee: &shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL()},
			Telegram: &telegram.Config{Mode: telegram.ModeWebhook, Token: telegramtest.Token, APIURL: api.URL, InboxChat: -1001000000001,
				WebhookURL: "https://bridge.example/telegram/webhook", SecretToken: "the-secret_token"},
			Stores: stores,
		}
		logs := &warnLines{}
		addr := startBridge(t, cfg, slog.New(logs))
		before := logs.count()
		forge(t, n, http.StatusUnauthorized, func(i int) *http.Request {
			return post("http://"+addr+cfg.Telegram.WebhookPath, fmt.Sprintf(`{"update_id":%d}`, i),
				map[string]string{"X-Telegram-Bot-Api-Secret-Token": fmt.Sprintf("forged-%d", i)})
		})
		lines := logs.since(before)
		if len(lines) > 1+5 || strings.Count(strings.Join(lines, "\n"), "request refused") != 1 {
			t.Errorf("2,000 forged webhook requests logged %d lines, want one refusal:\n%s", len(lines), strings.Join(lines, "\n"))
		}
		if want := `shopbridge_refused_requests_total{endpoint="telegram_webhook",reason="bad_secret"} 2000`; !strings.Contains(metricsText(t, addr), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	})
}
