package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// Channels of the fake workspace.
const (
	chInbox  = "C0INBOX"
	chAlerts = "C0ALERTS"
	chStore  = "C0STORE"
	chSiteMY = "C0SITEMY"
	adminID  = "U0ADMIN"
	agentID  = "U0AGENT"
	secret   = "test-signing-secret"
)

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testConfig is a socket-mode config pointing at the fake, with pacing loose
// enough that ordinary tests never wait.
func testConfig(f *fakeslack.Server) Config {
	return Config{
		BotToken:      fakeslack.BotToken,
		AppToken:      fakeslack.AppToken,
		APIURL:        f.URL,
		InboxChannel:  chInbox,
		AlertsChannel: chAlerts,
		SiteChannels:  map[string]string{"MY": chSiteMY},
		Admins:        []string{adminID},
		Pacing: Pacing{
			PostPerSecond: 1000, PostBurst: 1000,
			Tier2PerMinute: 60000, Tier3PerMinute: 60000, Tier4PerMinute: 60000, MethodBurst: 1000,
		},
		// The slack-go ping timer runs on real time: keep it out of the way.
		PingInterval:    time.Hour,
		WatchdogTimeout: time.Minute,
	}
}

type fixture struct {
	t    *testing.T
	fake *fakeslack.Server
	// clock is the fake clock (nil when the fixture runs on a scaled clock).
	clock *bridgetest.Clock
	s     *Surface
	h     *bridgetest.Handler
	mux   *http.ServeMux
}

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	clock := bridgetest.NewClock(epoch)
	f := newFixtureOn(t, clock, mod)
	f.clock = clock
	return f
}

// newFixtureOn builds a fixture whose surface and fake Slack share clock.
func newFixtureOn(t *testing.T, clock bridge.Clock, mod func(*Config)) *fixture {
	t.Helper()
	fake := fakeslack.New(fakeslack.WithClock(clock.Now))
	t.Cleanup(fake.Close)
	fake.AddChannel(chInbox, chAlerts, chStore, chSiteMY)
	fake.SetUser(agentID, "Ana Agent")
	fake.SetUser(adminID, "Ada Admin")
	cfg := testConfig(fake)
	if mod != nil {
		mod(&cfg)
	}
	mux := http.NewServeMux()
	s, err := New(cfg, Deps{Clock: clock, Routes: mux, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{t: t, fake: fake, s: s, h: bridgetest.NewHandler(), mux: mux}
}

// scaledClock runs time faster than the wall clock: tests of rates run in
// realistic proportions (a request takes a few scaled milliseconds, not
// zero and not whole seconds) without lasting minutes.
type scaledClock struct {
	start time.Time
	wall  time.Time
	scale float64
}

func newScaledClock(scale float64) *scaledClock {
	return &scaledClock{start: epoch, wall: time.Now(), scale: scale}
}

func (c *scaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.wall)) * c.scale))
}

func (c *scaledClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	time.AfterFunc(time.Duration(float64(d)/c.scale), func() { ch <- c.Now() })
	return ch
}

// listen runs Listen until the test ends.
func (f *fixture) listen() {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.s.Listen(ctx, f.h) }()
	f.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				f.t.Errorf("Listen: %v", err)
			}
		case <-time.After(10 * time.Second):
			f.t.Errorf("Listen did not return after cancel")
		}
	})
}

// wait waits (real time, bounded) until cond holds. It is how tests wait for
// asynchronous outcomes; timing logic itself runs on the fake clock.
func (f *fixture) wait(what string, cond func() bool) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		hc := f.h.Changed()
		fctx, fcancel := context.WithCancel(ctx)
		go func() {
			// Re-check on any change of the fake or the handler, and every few
			// milliseconds for the surface's own state.
			select {
			case <-hc:
			case <-time.After(5 * time.Millisecond):
			case <-fctx.Done():
			}
			fcancel()
		}()
		err := f.fake.Wait(fctx, cond)
		fcancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			f.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// autoAdvance moves the fake clock to each pending timer as soon as one is
// pending, so code that waits on the clock (pacing, Retry-After) runs
// without real waiting. It stops when the test ends.
func (f *fixture) autoAdvance() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := f.clock.BlockUntil(ctx, 1); err != nil {
				return
			}
			if d, ok := f.clock.NextTimer(); ok {
				f.clock.Advance(max(d, time.Nanosecond))
			}
		}
	}()
	f.t.Cleanup(func() { cancel(); <-done })
}

// testLogger logs into a buffer that is shown when the test fails and is
// checked for secrets when it ends.
func testLogger(t *testing.T) *slog.Logger {
	lb := &bridgetest.Buffer{}
	t.Cleanup(func() {
		out := lb.String()
		for _, s := range []string{fakeslack.BotToken, fakeslack.AppToken, secret} {
			if strings.Contains(out, s) {
				t.Errorf("the log contains a secret")
			}
		}
		if t.Failed() {
			t.Log(out)
		}
	})
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var errTest = errors.New("state unavailable")

// store is a test marketplace store.
func store(id, site, channel string) bridge.Store {
	return bridge.Store{ID: bridge.StoreID(id), Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main Store", Site: site, Channel: channel}
}

func header(st bridge.Store, conv string) bridge.ThreadHeader {
	return bridge.ThreadHeader{Store: st, Conversation: bridge.ConversationID(conv), BuyerID: "b-" + conv, BuyerName: "Bea Buyer",
		Link: "https://seller.shopee.com.my/webchat/conversations/" + conv, AwaitingReply: true, Unread: 1}
}

func textMsg(id, text string) bridge.Message {
	return bridge.Message{ID: bridge.MessageID(id), Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: text, SentAt: epoch}
}
