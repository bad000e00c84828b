package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		kind  bridge.ErrorKind
		code  string
		after time.Duration
	}{
		{"429 with Retry-After", &slack.RateLimitedError{RetryAfter: 7 * time.Second}, bridge.KindRateLimited, "ratelimited", 7 * time.Second},
		{"429 without Retry-After", slack.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, bridge.KindRateLimited, "Too Many Requests", time.Second},
		{"503", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, bridge.KindTransient, "Service Unavailable", 0},
		{"invalid_auth", slack.SlackErrorResponse{Err: "invalid_auth"}, bridge.KindAuth, "invalid_auth", 0},
		{"token_revoked", slack.SlackErrorResponse{Err: "token_revoked"}, bridge.KindAuth, "token_revoked", 0},
		{"account_inactive", slack.SlackErrorResponse{Err: "account_inactive"}, bridge.KindAuth, "account_inactive", 0},
		{"is_archived", slack.SlackErrorResponse{Err: "is_archived"}, bridge.KindPermanent, "is_archived", 0},
		{"not_in_channel", slack.SlackErrorResponse{Err: "not_in_channel"}, bridge.KindPermanent, "not_in_channel", 0},
		{"channel_not_found", slack.SlackErrorResponse{Err: "channel_not_found"}, bridge.KindPermanent, "channel_not_found", 0},
		{"internal_error", slack.SlackErrorResponse{Err: "internal_error"}, bridge.KindTransient, "internal_error", 0},
		{"ratelimited body", slack.SlackErrorResponse{Err: "ratelimited"}, bridge.KindRateLimited, "ratelimited", time.Second},
		{"invalid_blocks", slack.SlackErrorResponse{Err: "invalid_blocks"}, bridge.KindPermanent, "invalid_blocks", 0},
		{"timeout", context.DeadlineExceeded, bridge.KindTransient, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := classify("post message", tt.err)
			if pe.Kind != tt.kind || pe.Code != tt.code || pe.RetryAfter != tt.after || pe.Platform != "slack" {
				t.Fatalf("classify = kind %v code %q after %v, want %v %q %v", pe.Kind, pe.Code, pe.RetryAfter, tt.kind, tt.code, tt.after)
			}
		})
	}
	refused := &url.Error{Op: "Post", URL: "https://hooks.slack.com/commands/T1/secret-path", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	pe := classify("answer", refused)
	if !pe.NotDelivered || pe.Kind != bridge.KindTransient || strings.Contains(pe.Error(), "secret-path") {
		t.Fatalf("dial failure: %+v (%q), want transient, not delivered, no URL", pe, pe.Error())
	}
}

func TestRateLimitedPostWaitsRetryAfterAndPostsOnce(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	fault := f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: http.StatusTooManyRequests, RetryAfter: 3, Times: 2})
	f.autoAdvance()
	start := f.clock.Now()
	if _, err := f.s.PostMessage(context.Background(), ref, h, textMsg("m-1", "hello")); err != nil {
		t.Fatalf("PostMessage under 429: %v", err)
	}
	if f.fake.Fired(fault) != 2 {
		t.Fatalf("fault fired %d times, want 2", f.fake.Fired(fault))
	}
	if waited := f.clock.Now().Sub(start); waited < 6*time.Second {
		t.Fatalf("waited %v on the clock, want at least 2×Retry-After (6s)", waited)
	}
	if n := len(f.fake.Thread(ref.Channel, ref.ID)); n != 1 {
		t.Fatalf("%d messages posted, want exactly 1", n)
	}
}

func TestRateLimitWaitIsBoundedByContext(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: http.StatusTooManyRequests, RetryAfter: 30})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := f.s.PostMessage(ctx, ref, h, textMsg("m-1", "hello"))
		errc <- err
	}()
	if err := f.clock.BlockUntil(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	err := <-errc
	if bridge.Classify(err) != bridge.KindRateLimited || bridge.RetryAfterOf(err) != 30*time.Second {
		t.Fatalf("err = %v, want rate-limited with RetryAfter 30s (the core keeps the message queued)", err)
	}
}

// TestBacklogUnder429StormLosesNothing drains a 200-message backlog from 40
// conversations synced at once into one channel while Slack enforces 1
// post/s per channel and also throws extra 429s; an alert and a reaction
// requested mid-way are not stuck behind the backlog (in arrival order the
// alert would wait for the ~39 posts already queued). Time runs 100× faster
// than the wall clock, so the drain (about 300 s of Slack time) takes 3 s.
func TestBacklogUnder429StormLosesNothing(t *testing.T) {
	f := newFixtureOn(t, newScaledClock(100), func(c *Config) {
		c.AlertsChannel = chInbox // the worst case: alerts share the busy channel
		c.Pacing.PostPerSecond, c.Pacing.PostBurst = 1, 3
	})
	f.fake.LimitPosts(1, 3)
	storm := f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: http.StatusTooManyRequests, RetryAfter: 2, Every: 7})
	ctx := context.Background()

	const convs, per = 40, 5
	threads := make([]bridge.ThreadRef, convs)
	headers := make([]bridge.ThreadHeader, convs)
	for i := range threads {
		threads[i], headers[i] = openThread(t, f, fmt.Sprintf("conv-%d", i))
	}
	agent := agentReply(f, threads[0], 1, "on it")

	var wg sync.WaitGroup
	errs := make(chan error, convs)
	for i := range convs {
		wg.Go(func() {
			for j := range per {
				id := fmt.Sprintf("c%d-m%03d", i, j)
				if _, err := f.s.PostMessage(ctx, threads[i], headers[i], textMsg(id, "message "+id+" <!channel>")); err != nil {
					errs <- fmt.Errorf("%s: %w", id, err)
					return
				}
			}
		})
	}

	// Mid-way, an alert and a status reaction are requested.
	f.wait("a quarter of the backlog", func() bool { return len(f.fake.Calls("chat.postMessage")) >= 50 })
	okPosts := func() []fakeslack.Call {
		var out []fakeslack.Call
		for _, c := range f.fake.Calls("chat.postMessage") {
			if c.Status == http.StatusOK && c.Error == "" {
				out = append(out, c)
			}
		}
		return out
	}
	before := len(okPosts())
	alert, err := f.s.PostAlert(ctx, bridge.Alert{Severity: bridge.SeverityCritical, Title: "Network connection interrupted"})
	if err != nil {
		t.Fatalf("PostAlert during the backlog: %v", err)
	}
	agent.Status = bridge.ReplySending
	if err := f.s.SetReplyStatus(ctx, agent); err != nil {
		t.Fatalf("SetReplyStatus during the backlog: %v", err)
	}
	alertAt := -1
	for i, c := range okPosts() {
		if c.Values.Get("thread_ts") == "" && strings.Contains(c.Values.Get("text"), "Network connection interrupted") {
			alertAt = i
		}
	}
	if alertAt < 0 || alertAt-before > 8 {
		t.Fatalf("the alert went out as post %d, %d posts after it was requested: starved by the backlog", alertAt, alertAt-before)
	}
	t.Logf("the alert went out %d posts after it was requested", alertAt-before)
	if alert.Channel != chInbox {
		t.Fatalf("alert channel %s", alert.Channel)
	}

	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("backlog post failed: %v", err)
	}
	seen := map[string]int{}
	for _, m := range f.fake.Messages(chInbox) {
		if m.Metadata != nil && m.Metadata.EventType == metaMessage {
			for _, id := range m.MarketplaceIDs() {
				seen[id]++
			}
			if strings.Contains(blockText(m.Blocks), "<!channel>") {
				t.Fatalf("messages %v not escaped", m.MarketplaceIDs())
			}
		}
	}
	for i := range convs {
		for j := range per {
			id := fmt.Sprintf("c%d-m%03d", i, j)
			if seen[id] != 1 {
				t.Errorf("message %s posted %d times, want exactly once", id, seen[id])
			}
		}
	}
	if len(seen) != convs*per {
		t.Errorf("%d distinct messages posted, want %d", len(seen), convs*per)
	}
	t.Logf("429 storm: %d injected, %d from the per-channel limit; %d posts, all %d messages exactly once",
		f.fake.Fired(storm), f.fake.RateLimited(), len(f.fake.Calls("chat.postMessage")), len(seen))
}

func TestChannelArchivedKeepsMessagesQueuedAndAlertsAdmins(t *testing.T) {
	f := newFixture(t, nil)
	f.listen()
	f.wait("connected", func() bool { return f.h.SawHealth(true, 0) })
	ctx := context.Background()
	ref, h := openThread(t, f, "c1")
	f.fake.ArchiveChannel(chInbox, true)

	_, err := f.s.PostMessage(ctx, ref, h, textMsg("m-1", "hello"))
	pe := asPlatform(err)
	if pe == nil || pe.Kind != bridge.KindPermanent || pe.Code != "is_archived" || errors.Is(err, bridge.ErrThreadGone) {
		t.Fatalf("err = %v, want a permanent is_archived error (not thread gone)", err)
	}
	f.wait("surface reported down", func() bool { return f.h.SawHealth(false, bridge.KindPermanent) })
	f.wait("admins alerted", func() bool {
		for _, m := range f.fake.Roots(chAlerts) {
			if strings.Contains(blockText(m.Blocks), chInbox) && strings.Contains(blockText(m.Blocks), "archived") {
				return true
			}
		}
		return false
	})

	f.fake.ArchiveChannel(chInbox, false)
	if _, err := f.s.PostMessage(ctx, ref, h, textMsg("m-1", "hello")); err != nil {
		t.Fatalf("after unarchiving: %v", err)
	}
	f.wait("surface reported up again", func() bool {
		last, ok := f.h.LastHealth()
		return ok && last.OK
	})
	f.wait("alert resolved", func() bool {
		roots := f.fake.Roots(chAlerts)
		return len(roots) == 1 && roots[0].Updates == 1 && strings.Contains(blockText(roots[0].Blocks), "works again")
	})
}

func TestBrokenAlertsChannelDoesNotLoop(t *testing.T) {
	f := newFixture(t, nil)
	f.listen()
	f.wait("connected", func() bool { return f.h.SawHealth(true, 0) })
	f.fake.RemoveBot(chAlerts, true)
	_, err := f.s.PostAlert(context.Background(), bridge.Alert{Severity: bridge.SeverityCritical, Title: "x"})
	if codeOf(err) != "not_in_channel" {
		t.Fatalf("err = %v, want not_in_channel", err)
	}
	f.wait("surface reported down", func() bool { return f.h.SawHealth(false, bridge.KindPermanent) })
	if n := len(f.fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts, want only the failed alert (no alert about the alerts channel)", n)
	}
}

func TestRevokedTokenReportsSurfaceDown(t *testing.T) {
	f := newFixture(t, nil)
	f.listen()
	f.wait("connected", func() bool { return f.h.SawHealth(true, 0) })
	f.fake.RevokeTokens(true)
	_, err := f.s.OpenThread(context.Background(), header(store("shop-a", "TH", ""), "c1"))
	if bridge.Classify(err) != bridge.KindAuth {
		t.Fatalf("err = %v, want an auth error", err)
	}
	f.wait("surface reported down with an auth error", func() bool { return f.h.SawHealth(false, bridge.KindAuth) })
}

func TestTransientErrorsRetryIdempotentCallsOnly(t *testing.T) {
	f := newFixture(t, nil)
	f.autoAdvance()
	ctx := context.Background()
	thread, h := openThread(t, f, "c1")
	r := agentReply(f, thread, 1, "hi")
	r.Status = bridge.ReplySending
	f.fake.Inject(fakeslack.Fault{Method: "reactions.add", Status: http.StatusInternalServerError, Times: 1})
	if err := f.s.SetReplyStatus(ctx, r); err != nil {
		t.Fatalf("a reaction after one 500 should be retried: %v", err)
	}
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: http.StatusInternalServerError, Times: 1})
	_, err := f.s.PostMessage(ctx, thread, h, textMsg("m-1", "hello"))
	if bridge.Classify(err) != bridge.KindTransient {
		t.Fatalf("a post answered 500 may have gone through: err = %v, want transient returned to the core", err)
	}
	if n := len(f.fake.Calls("chat.postMessage")); n != 2 {
		t.Fatalf("%d post calls, want the root and one attempt (no blind retry)", n)
	}
}

func TestEphemeralInForeignChannelDoesNotMarkItBroken(t *testing.T) {
	f := newFixture(t, nil)
	f.listen()
	f.wait("connected", func() bool { return f.h.SawHealth(true, 0) })
	f.fake.RemoveBot(chStore, true)
	if err := f.s.Notify(context.Background(), bridge.Notice{Channel: chStore, UserID: agentID, Text: "hi"}); codeOf(err) != "not_in_channel" {
		t.Fatalf("err = %v", err)
	}
	// A following successful post proves nothing was reported down.
	if _, err := f.s.PostAlert(context.Background(), bridge.Alert{Title: "ping"}); err != nil {
		t.Fatal(err)
	}
	if f.h.SawHealth(false, bridge.KindPermanent) {
		t.Fatalf("an ephemeral answer in a channel without the bot marked the surface down")
	}
	if n := len(f.fake.Roots(chAlerts)); n != 1 {
		t.Fatalf("%d alerts, want only the test's own", n)
	}
}
