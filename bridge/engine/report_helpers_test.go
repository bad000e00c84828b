package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/report"
)

// reportChat is a chat surface that posts inspection reports (and can look
// for them, when finder is set), recording each post.
type reportChat struct {
	*bridgetest.Chat
	mu      sync.Mutex
	posts   []postedReport
	failing int
	// onPost runs after a report was posted, before PostInspection returns
	// (a test "crashes" the bridge here).
	onPost func(r bridge.Report)
	seq    int
	finder bool
	looked int
	posted chan struct{}
}

type postedReport struct {
	Channel string
	Report  bridge.Report
	Ref     bridge.ChatMessageRef
	At      time.Time
}

func newReportChat(finder bool) *reportChat {
	return &reportChat{Chat: bridgetest.NewChat(), finder: finder, posted: make(chan struct{}, 100)}
}

func (c *reportChat) PostInspection(ctx context.Context, channel string, r bridge.Report) (bridge.ChatMessageRef, error) {
	c.mu.Lock()
	if c.failing > 0 {
		c.failing--
		c.mu.Unlock()
		return bridge.ChatMessageRef{}, bridge.Transient("fake", "post report", errors.New("503 service unavailable"))
	}
	c.seq++
	ref := bridge.ChatMessageRef{Channel: channel, ID: "report-" + strconv.Itoa(c.seq)}
	c.posts = append(c.posts, postedReport{Channel: channel, Report: r, Ref: ref, At: r.GeneratedAt})
	hook := c.onPost
	c.mu.Unlock()
	c.posted <- struct{}{}
	if hook != nil {
		hook(r)
	}
	return ref, nil
}

// findingChat is a reportChat that is also a bridge.InspectionFinder.
type findingChat struct{ *reportChat }

func (c findingChat) FindInspection(ctx context.Context, channel, key string, since time.Time) (bridge.ChatMessageRef, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.looked++
	for _, p := range c.posts {
		if p.Channel == channel && p.Report.Key == key {
			return p.Ref, true, nil
		}
	}
	return bridge.ChatMessageRef{}, false, nil
}

func (c *reportChat) Posts() []postedReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]postedReport(nil), c.posts...)
}

// openReportState opens the in-memory state named path whose own clock
// (thread events) is the fake clock; opened again, it has the same records.
func openReportState(t testing.TB, path string, clock *bridgetest.Clock) bridge.State {
	t.Helper()
	st := openMem(path, clock)
	t.Cleanup(func() { st.Close() })
	return st
}

func reportDB(t testing.TB) string { return filepath.Join(t.TempDir(), "report.db") }

func reportMust(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// reportAdvanceUntil steps the fake clock from timer to timer (in real time
// bounded by a deadline) until cond holds.
func reportAdvanceUntil(t *testing.T, clock *bridgetest.Clock, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !cond() {
		if err := clock.BlockUntil(ctx, 1); err != nil {
			t.Fatalf("nothing waits on the clock and the condition does not hold: %v", err)
		}
		if d, ok := clock.NextTimer(); ok {
			clock.Advance(d)
		}
	}
}

// newReporter builds a reporter on the engine's state, surface, stores and
// clock, and registers its command with the engine, as cmd does.
func newReporter(eng *engine.Engine, st bridge.State, chat bridge.Chat, clock bridge.Clock, cfg report.Config) (*report.Reporter, error) {
	rep, err := report.New(cfg, report.Deps{State: st, Chat: chat, Stores: eng.Stores, Clock: clock})
	if err != nil {
		return nil, err
	}
	return rep, eng.Register(rep)
}
