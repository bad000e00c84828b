package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// lineCounter is a slog handler that keeps every record, to count lines.
type lineCounter struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *lineCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *lineCounter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}
func (c *lineCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *lineCounter) WithGroup(string) slog.Handler      { return c }

func (c *lineCounter) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.records {
		line := r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != "then" {
				line += " " + a.String()
			}
			return true
		})
		out = append(out, line)
	}
	return out
}

var refusalStart = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func TestRefusalsLogTheFirstAtOnceThenACountPerInterval(t *testing.T) {
	clock := bridgetest.NewClock(refusalStart)
	logs := &lineCounter{}
	r := bridge.NewRefusals(slog.New(logs), clock, time.Minute)

	for range 2000 {
		r.Refuse("shopee_push", "bad_signature", "remote", "192.0.2.1:4000")
	}
	want := []string{`WARN request refused endpoint=shopee_push reason=bad_signature remote=192.0.2.1:4000`}
	if got := logs.lines(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("2,000 refusals within the interval logged %q, want only the first: %q", got, want)
	}
	if got := r.Total("shopee_push", "bad_signature"); got != 2000 {
		t.Fatalf("counted %d, want 2000", got)
	}

	// Another reason is another kind: its first line comes at once too.
	r.Refuse("shopee_push", "stale", "remote", "192.0.2.1:4000")
	clock.Advance(30 * time.Second)
	r.Refuse("shopee_push", "bad_signature")
	if n := len(logs.lines()); n != 2 {
		t.Fatalf("within the interval: %d lines, want 2:\n%q", n, logs.lines())
	}
	// Past the interval, the next refusal writes the count since the last line.
	clock.Advance(31 * time.Second)
	r.Refuse("shopee_push", "bad_signature")
	got := logs.lines()
	if len(got) != 3 || got[2] != "WARN requests refused endpoint=shopee_push reason=bad_signature count=2001 over=1m1s total=2002" {
		t.Fatalf("after the interval:\n%q", got)
	}
	if c := r.Counts(); fmt.Sprint(c) != "[{shopee_push bad_signature 2002} {shopee_push stale 1}]" {
		t.Fatalf("counts %v", c)
	}
}

// A flood that stops still gets its count logged: Run writes the due
// summaries every interval, and the rest when it ends.
func TestRefusalsRunLogsTheCountOfAFloodThatStopped(t *testing.T) {
	clock := bridgetest.NewClock(refusalStart)
	logs := &lineCounter{}
	r := bridge.NewRefusals(slog.New(logs), clock, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()

	for range 500 {
		r.Refuse("telegram_webhook", "bad_secret")
	}
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Settle(t, time.Minute, 1)
	bridgetest.Eventually(t, "the summary is written", func() bool { return len(logs.lines()) == 2 })
	if got := logs.lines()[1]; got != "WARN requests refused endpoint=telegram_webhook reason=bad_secret count=499 over=1m0s total=500" {
		t.Fatalf("summary %q", got)
	}
	// Nothing new: no line at the next interval.
	clock.Settle(t, time.Minute, 1)
	if n := len(logs.lines()); n != 2 {
		t.Fatalf("an interval without refusals logged %d lines, want still 2", n)
	}
	// A refusal a whole interval after the last line is written at once;
	// the one after it waits, and is written when Run ends.
	r.Refuse("telegram_webhook", "bad_secret")
	r.Refuse("telegram_webhook", "bad_secret")
	cancel()
	<-done
	got := logs.lines()
	want := []string{
		"WARN requests refused endpoint=telegram_webhook reason=bad_secret count=1 over=1m0s total=501",
		"WARN requests refused endpoint=telegram_webhook reason=bad_secret count=1 over=0s total=502",
	}
	if len(got) != 4 || fmt.Sprint(got[2:]) != fmt.Sprint(want) {
		t.Fatalf("after the pause and at stop:\n%q", got)
	}
}

// Lines stay bounded whatever the rate: at most the first line plus one per
// interval per kind, here over ten simulated minutes of refusals every 10ms.
func TestRefusalsLinesAreBoundedByTime(t *testing.T) {
	clock := bridgetest.NewClock(refusalStart)
	logs := &lineCounter{}
	r := bridge.NewRefusals(slog.New(logs), clock, time.Minute)
	for range 60000 {
		r.Refuse("slack_events", "bad_signature")
		clock.Advance(10 * time.Millisecond)
	}
	if n := len(logs.lines()); n > 1+10 {
		t.Fatalf("%d lines for 10 minutes of refusals, want at most 11", n)
	}
	if got := r.Total("slack_events", "bad_signature"); got != 60000 {
		t.Fatalf("counted %d", got)
	}
}

func TestRefusalsNilIsANoOp(t *testing.T) {
	var r *bridge.Refusals
	r.Refuse("x", "y")
	r.Flush(true)
	if r.Counts() != nil || r.Total("x", "y") != 0 {
		t.Fatal("a nil Refusals counted")
	}
}

func TestBodyRefusalTellsSlowFromLarge(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, c := range []struct {
		name   string
		err    error
		status int
		reason string
	}{
		{"over the limit", &http.MaxBytesError{Limit: 10}, http.StatusRequestEntityTooLarge, bridge.ReasonBodyTooLarge},
		{"read deadline passed", timeout, http.StatusRequestTimeout, bridge.ReasonBodyTimeout},
		{"wrapped deadline", fmt.Errorf("read body: %w", timeout), http.StatusRequestTimeout, bridge.ReasonBodyTimeout},
		{"client went away", io.ErrUnexpectedEOF, http.StatusBadRequest, bridge.ReasonBodyUnreadable},
		{"other", errors.New("boom"), http.StatusBadRequest, bridge.ReasonBodyUnreadable},
	} {
		status, reason := bridge.BodyRefusal(c.err)
		if status != c.status || reason != c.reason {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, reason, c.status, c.reason)
		}
	}
}
