package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

const (
	inbox   = int64(-1001000000001)
	adminID = int64(5001)
)

var (
	agent = telegramtest.User{ID: 7001, Name: "Mei"}
	admin = telegramtest.User{ID: adminID, Name: "Boss"}
)

// harness is a surface wired to a fake Bot API on a fake clock.
type harness struct {
	t     testing.TB
	clock *bridgetest.Clock
	api   *telegramtest.Server
	s     *Surface
	h     *bridgetest.Handler
	mux   *http.ServeMux
	logs  *bridgetest.Buffer
	stop  context.CancelFunc
	done  chan struct{}
}

type option func(*Config)

func newHarness(t testing.TB, opts ...option) *harness {
	t.Helper()
	return newHarnessClock(t, true, opts...)
}

// newHarnessClock is newHarness; with fire false nothing moves the clock
// until the test calls driveClock (or advances it itself).
func newHarnessClock(t testing.TB, fire bool, opts ...option) *harness {
	t.Helper()
	clock := bridgetest.NewClock(time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC))
	api := telegramtest.New(clock)
	t.Cleanup(api.Close)
	api.AddChat(telegramtest.Chat{ID: inbox, Title: "Shop inbox", Forum: true})
	cfg := Config{
		Token: telegramtest.Token, APIURL: api.URL, InboxChat: inbox, Admins: []int64{adminID},
		PollTimeout: 2 * time.Second, HealthCheckInterval: 24 * time.Hour,
	}
	for _, o := range opts {
		o(&cfg)
	}
	logs := &bridgetest.Buffer{}
	mux := http.NewServeMux()
	s, err := New(cfg, Deps{Clock: clock, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Routes: mux})
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{t: t, clock: clock, api: api, s: s, h: bridgetest.NewHandler(), mux: mux, logs: logs}
	ctx, cancel := context.WithCancel(context.Background())
	if fire {
		go clock.FireTimersWithin(ctx, 10*time.Minute)
	}
	t.Cleanup(func() {
		hs.stopListening()
		cancel()
		if strings.Contains(logs.String(), telegramtest.Token) || strings.Contains(logs.String(), strings.SplitN(telegramtest.Token, ":", 2)[1]) {
			t.Error("the bot token appeared in a log line")
		}
		if t.Failed() {
			t.Logf("surface log:\n%s", logs.String())
		}
	})
	return hs
}

// driveClock moves the fake clock to each pending timer (within 10
// minutes) while ready holds, like bridgetest's FireTimersWithin, for tests
// that know better when the code under test has handed over the work it
// is about to: the fake clock must not jump while a goroutine of the test
// is between two calls, or simulated seconds pass for work that takes
// microseconds. It re-checks ready on every API call and every
// millisecond, never to time anything.
func (hs *harness) driveClock(ready func() bool) {
	ctx, cancel := context.WithCancel(context.Background())
	hs.t.Cleanup(cancel)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if d, ok := hs.clock.NextTimer(); ok && d <= 10*time.Minute && ready() {
				hs.clock.Advance(d)
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-hs.api.Activity():
			case <-tick.C:
			}
		}
	}()
}

// laneParkedFor reports whether chat's lane waits for a slot for a job of
// priority pr.
func (s *Surface) laneParkedFor(chat int64, pr priority) bool {
	l := s.lane(chat)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.parked && l.waiting == pr
}

// listen runs Listen until the test ends and waits until it is ready.
func (hs *harness) listen() {
	hs.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hs.stop = cancel
	hs.done = make(chan struct{})
	go func() {
		defer close(hs.done)
		if err := hs.s.Listen(ctx, hs.h); err != nil {
			hs.t.Errorf("Listen: %v", err)
		}
	}()
	// Ready: updates flow and the periodic check waits on the clock.
	hs.waitFor("Listen ready", func() bool { return hs.s.active.Load() != nil && hs.clock.Waiters() > 0 })
}

func (hs *harness) stopListening() {
	if hs.stop != nil {
		hs.stop()
		<-hs.done
		hs.stop = nil
	}
}

// waitFor waits until cond holds, re-checking whenever the fake API or
// the handler sees activity (and on a short tick, for state changed by
// neither); it fails the test after 10 s.
func (hs *harness) waitFor(what string, cond func() bool) {
	hs.t.Helper()
	bridgetest.Eventually(hs.t, what, cond, hs.api.Activity, hs.h.Changed)
}

// forumThread opens a thread for testHeader in the inbox.
func (hs *harness) openThread(h bridge.ThreadHeader) (bridge.ThreadRef, threadKey) {
	hs.t.Helper()
	ref, err := hs.s.OpenThread(context.Background(), h)
	if err != nil {
		hs.t.Fatalf("OpenThread: %v", err)
	}
	k, err := parseThread(ref)
	if err != nil {
		hs.t.Fatal(err)
	}
	return ref, k
}

// lastHealth is the latest report (ok true when none yet).
func lastHealth(h *bridgetest.Handler) bridgetest.HealthReport {
	if r, ok := h.LastHealth(); ok {
		return r
	}
	return bridgetest.HealthReport{OK: true}
}

func mustAtoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func asPE(err error, pe **bridge.PlatformError) bool { return errors.As(err, pe) }
