package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/platforms/shopee"
)

// silentAPI is a chat API that accepts every request and never answers
// (a blackholed Slack or Telegram), recording the paths it was asked.
type silentAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newSilentAPI(t *testing.T) *silentAPI {
	a := &silentAPI{}
	stop := make(chan struct{})
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen = append(a.seen, r.URL.Path)
		a.mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); a.srv.Close() })
	return a
}

func (a *silentAPI) asked(suffix string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.seen {
		if strings.HasSuffix(p, suffix) {
			return true
		}
	}
	return false
}

// refusedURL is the URL of a port nothing listens on.
func refusedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}

// `run` stops within the shutdown grace (plus the margin to close the
// listener and the database) when the chat surface is unreachable: one
// that accepts connections and never answers, and one that refuses them,
// for Slack (Socket Mode) and Telegram (long polling), with buyer messages
// being posted when the stop comes. The chat calls would each take the
// surface's 30s request timeout; the stop's own deadline (grace 1s + 5s)
// is the failure condition, nothing measures how fast it went.
func TestRunStopsWithinTheGraceWhenTheChatIsUnreachable(t *testing.T) {
	for _, surface := range []string{"slack", "telegram"} {
		for _, fault := range []string{"silent", "refused"} {
			t.Run(surface+" "+fault, func(t *testing.T) {
				sim := startSimulator(t, nil, "1001")
				tok, _ := sim.Tokens("1001")
				if _, err := sim.BuyerSays("1001", "555", "is this in stock?"); err != nil {
					t.Fatal(err)
				}
				var api *silentAPI
				url := refusedURL(t)
				if fault == "silent" {
					api = newSilentAPI(t)
					url = api.srv.URL + "/"
				}
				cfg := &Config{
					HTTP:   HTTPConfig{Listen: freeListen(t)},
					State:  StateConfig{Path: filepath.Join(t.TempDir(), "state.db")},
					Sync:   engine.Config{ShutdownGrace: time.Second},
					Shopee: &shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL()},
					Stores: []StoreConfig{{ID: "shopee-my-1001", Platform: "shopee", ShopID: "1001", Name: "Shop 1001", Site: "MY",
						AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}},
				}
				postPath := "/chat.postMessage"
				switch surface {
				case "slack":
					cfg.Slack = &slack.Config{BotToken: "xoxb-1", AppToken: "xapp-1", APIURL: url, InboxChannel: "C0123456789"}
				case "telegram":
					cfg.Telegram = &telegram.Config{Token: "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789", APIURL: strings.TrimSuffix(url, "/"), InboxChat: -1001000000001}
					postPath = "/getChat"
				}
				cfg.SetDefaults()
				if p := cfg.Validate(); len(p) > 0 {
					t.Fatalf("config: %v", p)
				}
				logs := &warnLines{}
				st, err := openState(context.Background(), cfg, slog.New(logs), stateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				app := fx.New(bridgeOptions(cfg, slog.New(logs), appIO{In: strings.NewReader(""), Out: io.Discard}, st))
				ctx, stop := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- runApp(ctx, app, stopTimeout(cfg)) }()

				// A buyer message is being posted: the silent API holds the
				// post; the refused one made it fail and be retried.
				waitFor(t, "the bridge is posting into the chat", func() bool {
					if api != nil {
						return api.asked(postPath)
					}
					for _, l := range logs.since(0) {
						if strings.Contains(l, "could not post into the chat") {
							return true
						}
					}
					return false
				})
				stop()
				// The stop's own deadline is the failure condition; this
				// timer only keeps a hung stop from hanging the test.
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("run did not stop within its shutdown grace: %v", err)
					}
				case <-time.After(stopTimeout(cfg) + 10*time.Second):
					t.Fatal("run never returned")
				}
			})
		}
	}
}

// `demo --duration` exits after its duration and shutdown grace when
// Slack, configured through the environment, does not answer.
func TestDemoExitsWhenSlackDoesNotAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs for a few seconds")
	}
	api := newSilentAPI(t)
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-1")
	t.Setenv("SLACK_APP_TOKEN", "xapp-1")
	t.Setenv("SLACK_CHANNEL", "C0123456789")
	t.Setenv("SLACK_API_URL", api.srv.URL+"/")
	var out, errb bridgetest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"demo", "--duration", "2s", "--shops", "1", "--buyers", "1"}, strings.NewReader(""), &out, &errb)
	}()
	select {
	case code := <-done:
		if code != 0 || strings.Contains(errb.String(), "deadline exceeded") {
			t.Fatalf("demo exit %d\nstderr:\n%s", code, errb.String())
		}
	case <-time.After(2*time.Second + 20*time.Second + stopTimeout(&Config{Sync: engine.Config{ShutdownGrace: 5 * time.Second}})):
		t.Fatalf("demo did not exit\nstderr:\n%s", errb.String())
	}
	if !api.asked("/chat.postMessage") {
		t.Errorf("the demo never posted to Slack; the test did not test a stop with posts in flight")
	}
}
