package telegram

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

func TestClassifyAPIErrors(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		desc       string
		kind       bridge.ErrorKind
		threadGone bool
	}{
		{"rate limit", 429, "Too Many Requests: retry after 12", bridge.KindRateLimited, false},
		{"revoked token", 401, "Unauthorized", bridge.KindAuth, false},
		{"kicked", 403, "Forbidden: bot was kicked from the supergroup chat", bridge.KindAuth, false},
		{"wrong chat", 400, "Bad Request: chat not found", bridge.KindAuth, false},
		{"no rights", 400, "Bad Request: not enough rights to create a topic", bridge.KindAuth, false},
		{"deleted topic", 400, "Bad Request: message thread not found", bridge.KindPermanent, true},
		{"deleted header", 400, "Bad Request: message to be replied not found", bridge.KindPermanent, true},
		{"bad html", 400, "Bad Request: can't parse entities: unsupported start tag", bridge.KindPermanent, false},
		{"server", 502, "Bad Gateway", bridge.KindTransient, false},
		{"conflict", 409, "Conflict: terminated by other getUpdates request", bridge.KindTransient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("post message", &callRecord{status: tt.code, errorCode: tt.code, description: tt.desc, retryAfter: 12}, errors.New("library error"))
			if got := bridge.Classify(err); got != tt.kind {
				t.Errorf("kind %v, want %v (%v)", got, tt.kind, err)
			}
			if got := errors.Is(err, bridge.ErrThreadGone); got != tt.threadGone {
				t.Errorf("ErrThreadGone %v, want %v", got, tt.threadGone)
			}
			if tt.kind == bridge.KindRateLimited && bridge.RetryAfterOf(err) != 12*time.Second {
				t.Errorf("retry after %v, want 12s", bridge.RetryAfterOf(err))
			}
		})
	}
	// The library's own error type, without a record.
	err := classify("post message", nil, &bot.TooManyRequestsError{Message: "too many requests", RetryAfter: 3})
	if bridge.RetryAfterOf(err) != 3*time.Second {
		t.Errorf("TooManyRequestsError: %v", err)
	}
}

func TestNetworkErrorsNeverCarryTheToken(t *testing.T) {
	// Nothing listens on this port: the connection is refused, so the send
	// certainly never arrived and is retried (twice) before giving up.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	hs := newHarness(t, func(c *Config) { c.APIURL = "http://" + addr })
	err = hs.s.call(context.Background(), "get me", 0, func(ctx context.Context) error {
		_, err := hs.s.bot.GetMe(ctx)
		return err
	})
	var pe *bridge.PlatformError
	if !errors.As(err, &pe) || pe.Kind != bridge.KindTransient || !pe.NotDelivered {
		t.Fatalf("refused connection: %#v", err)
	}
	secret := strings.SplitN(telegramtest.Token, ":", 2)[1]
	if strings.Contains(err.Error(), secret) || strings.Contains(bridge.ReasonOf(err), secret) {
		t.Errorf("the token leaked into the error: %v", err)
	}
}

func TestNotifyAndReport(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	ctx := context.Background()
	if err := hs.s.Notify(ctx, bridge.Notice{Thread: ref, UserID: "7001", Text: "Template <promo> not found"}); err != nil {
		t.Fatal(err)
	}
	msgs := hs.api.ThreadMessages(inbox, k.id)
	n := msgs[len(msgs)-1]
	if !strings.Contains(n.Text, "Template <promo> not found") || !strings.Contains(n.HTML, `tg://user?id=7001`) {
		t.Errorf("notice = %q / %q", n.Text, n.HTML)
	}
	report := "STORE       REPLIES  FAILED\n" + strings.Repeat("shopee-my   12       0\n", 400)
	first, err := hs.s.PostReport(ctx, "Daily inspection 2025-05-01", report)
	if err != nil {
		t.Fatal(err)
	}
	var parts []telegramtest.Message
	for _, m := range hs.api.Messages(inbox) {
		if strings.Contains(m.HTML, "<pre>") {
			parts = append(parts, m)
		}
	}
	if len(parts) < 2 || first != (msgKey{inbox, parts[0].ID}).ref() || !strings.HasPrefix(parts[0].Text, "Daily inspection") {
		t.Fatalf("report in %d parts, first %v", len(parts), first)
	}
	total := 0
	for _, p := range parts {
		total += strings.Count(p.Text, "shopee-my")
	}
	if total != 400 {
		t.Errorf("report rows posted: %d of 400", total)
	}
}
