package console

import (
	"context"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

func TestMessageLines(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		msg  bridge.Message
		want string
	}{
		{"buyer text", text("m1", "where is my parcel?"),
			"[T1 shopee MY Main · Alice] buyer: where is my parcel?"},
		{"multi-line text is indented", text("m1", "line one\nline two\n"),
			"[T1 shopee MY Main · Alice] buyer: line one\n    line two"},
		{"empty text", text("m1", "  "),
			"[T1 shopee MY Main · Alice] buyer: (empty message)"},
		{"seller message from Seller Centre", bridge.Message{ID: "m1", Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "shipped today"},
			"[T1 shopee MY Main · Alice] seller (Seller Centre): shipped today"},
		{"system notice", bridge.Message{ID: "m1", Sender: bridge.SenderSystem, Kind: bridge.KindText, Text: "order confirmed"},
			"[T1 shopee MY Main · Alice] notice: order confirmed"},
		{"image", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindImage, URL: "https://img.example/a.jpg"},
			"[T1 shopee MY Main · Alice] buyer: [image] https://img.example/a.jpg"},
		{"image with caption", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindImage, URL: "https://img.example/a.jpg", Text: "broken"},
			"[T1 shopee MY Main · Alice] buyer: [image] https://img.example/a.jpg broken"},
		{"image without link", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindImage},
			"[T1 shopee MY Main · Alice] buyer: [image] (no link — open the conversation in Seller Centre)"},
		{"item card", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindItem, Card: &bridge.Card{ItemID: "123", Title: "Blue mug", Price: "RM 19.90"}},
			`[T1 shopee MY Main · Alice] buyer: [item 123 "Blue mug" RM 19.90]`},
		{"item card with its title as text", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindItem, Text: "Blue mug", Card: &bridge.Card{ItemID: "123", Title: "Blue mug"}},
			`[T1 shopee MY Main · Alice] buyer: [item 123 "Blue mug"]`},
		{"order card", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindOrder, Text: "this one", Card: &bridge.Card{OrderID: "240512ABC"}},
			"[T1 shopee MY Main · Alice] buyer: [order 240512ABC] this one"},
		{"voucher card", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindVoucher, Card: &bridge.Card{Voucher: "SAVE5", Title: "5% off"}},
			`[T1 shopee MY Main · Alice] buyer: [voucher SAVE5 "5% off"]`},
		{"card without details", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindOrder},
			"[T1 shopee MY Main · Alice] buyer: [order]"},
		{"unsupported", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindUnsupported, UnsupportedType: "bundle_message"},
			"[T1 shopee MY Main · Alice] buyer: [unsupported: bundle_message]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, out := newSurface(t, Config{})
			ref, err := s.OpenThread(ctx, header("Alice", true))
			if err != nil {
				t.Fatal(err)
			}
			before := len(out.String())
			if _, err := s.PostMessage(ctx, ref, header("Alice", true), tc.msg); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(out.String()[before:], "\n"); got != tc.want {
				t.Errorf("printed\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestThreadAndHeaderLines(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	h := header("Alice", true)
	h.Store.Name = "Main Store"
	h.Link = "https://seller.shopee.com.my/chat/c1"
	ref, _ := s.OpenThread(ctx, h)
	if ref != (bridge.ThreadRef{Channel: "console", ID: "T1"}) {
		t.Fatalf("first thread is %v, want console/T1", ref)
	}
	_ = s.UpdateThreadHeader(ctx, ref, h) // unchanged: silent
	h.Unread = 3
	_ = s.UpdateThreadHeader(ctx, ref, h) // only the unread count: silent
	h.AwaitingReply, h.Unread = false, 0
	_ = s.UpdateThreadHeader(ctx, ref, h) // answered
	_ = s.UpdateThreadHeader(ctx, ref, h) // unchanged
	h.AwaitingReply, h.Resumed = true, true
	_ = s.UpdateThreadHeader(ctx, ref, h) // resumed
	h.Resumed, h.Continued = false, true
	ref2, _ := s.OpenThread(ctx, h)
	if ref2.ID != "T2" {
		t.Fatalf("second thread is %v, want T2", ref2)
	}
	_ = s.UpdateThreadHeader(ctx, ref2, h) // continued already shown when opened
	want := []string{
		"[T1] new thread: shopee MY Main Store — buyer Alice (awaiting reply) https://seller.shopee.com.my/chat/c1",
		"[T1] shopee MY Main Store — buyer Alice: answered ✓",
		"[T1] shopee MY Main Store — buyer Alice: resumed after a quiet spell — awaiting reply",
		"[T2] new thread (continues an earlier thread): shopee MY Main Store — buyer Alice (awaiting reply) https://seller.shopee.com.my/chat/c1",
	}
	if got := out.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestShowHeadersPrintsEveryUpdate(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{ShowHeaders: true})
	h := header("Alice", true)
	ref, _ := s.OpenThread(ctx, h)
	h.Unread = 2
	_ = s.UpdateThreadHeader(ctx, ref, h)
	want := "[T1] shopee MY Main — buyer Alice: awaiting reply (2 unread)"
	if got := out.lines(); len(got) != 2 || got[1] != want {
		t.Errorf("printed %q, want the update %q", got, want)
	}
}

func TestReplyStatusLines(t *testing.T) {
	ctx := context.Background()
	th := bridge.ThreadRef{Channel: "console", ID: "T3"}
	msg := bridge.ChatMessageRef{Channel: "console", ID: "C9"}
	for _, tc := range []struct {
		name  string
		reply bridge.Reply
		want  string
	}{
		{"queued", bridge.Reply{ID: 12, Thread: th, ChatMessage: msg, AuthorName: "agent1", Status: bridge.ReplyQueued},
			"[T3] reply #12 by agent1: ⏳ queued"},
		{"queued after a transient failure", bridge.Reply{ID: 12, Thread: th, ChatMessage: msg, AuthorName: "agent1", Status: bridge.ReplyQueued, Reason: "server busy"},
			"[T3] reply #12 by agent1: ⏳ queued, will retry (server busy)"},
		{"sending", bridge.Reply{ID: 12, Thread: th, ChatMessage: msg, AuthorName: "agent1", Status: bridge.ReplySending, Attempts: 1},
			"[T3] reply #12 by agent1: ⏳ sending…"},
		{"sending again", bridge.Reply{ID: 12, Thread: th, ChatMessage: msg, AuthorName: "agent1", Status: bridge.ReplySending, Attempts: 2},
			"[T3] reply #12 by agent1: ⏳ sending… (attempt 2)"},
		{"sent", bridge.Reply{ID: 12, Thread: th, ChatMessage: msg, AuthorName: "agent1", Status: bridge.ReplySent},
			"[T3] reply #12 by agent1: sent ✓"},
		{"failed", bridge.Reply{ID: 12, Thread: th, ChatMessage: msg, AuthorID: "U1", Status: bridge.ReplyFailed, Reason: "message too long"},
			`[T3] reply #12 by U1: FAILED: message too long — type "retry 12"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, out := newSurface(t, Config{})
			if err := s.SetReplyStatus(ctx, tc.reply); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(out.String(), "\n"); got != tc.want {
				t.Errorf("printed %q, want %q", got, tc.want)
			}
			if got := s.ReplyStatuses()[msg]; got.Status != tc.reply.Status {
				t.Errorf("recorded status %q, want %q", got.Status, tc.reply.Status)
			}
		})
	}
}

func TestAlertNoticeAndReportLines(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	down := bridge.Alert{Severity: bridge.SeverityCritical, Title: "Network connection interrupted, session fetching paused",
		Text: "2 stores unreachable", Stores: []bridge.StoreID{"shopee-my", "lazada-sg"}}
	ref, err := s.PostAlert(ctx, down)
	if err != nil {
		t.Fatal(err)
	}
	failed := bridge.Alert{Severity: bridge.SeverityWarning, Title: "Network restored, but full session sync failed.",
		Actions: []bridge.Action{{ID: bridge.ActionRetrySync, Label: "Retry", Value: "shopee-my"}, {ID: bridge.ActionRetrySend, Value: "7"}, {ID: "ack", Label: "Acknowledge"}}}
	if err := s.UpdateAlert(ctx, ref, failed); err != nil {
		t.Fatal(err)
	}
	_ = s.Notify(ctx, bridge.Notice{UserID: "agent1", Text: "Template not found."})
	_ = s.Notify(ctx, bridge.Notice{Thread: bridge.ThreadRef{Channel: "console", ID: "T2"}, UserID: "agent1", Text: "Note kept internal."})
	rref, err := s.PostReport(ctx, "Daily inspection 2026-11-27", "Stores: 3\nMissed replies: 0")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ALERT [A1] critical: Network connection interrupted, session fetching paused — 2 stores unreachable",
		"ALERT [A1] (updated) warning: Network restored, but full session sync failed.",
		`    Retry: type "/sync retry shopee-my"`,
		`    type "retry 7"`,
		`    Acknowledge: type "press ack"`,
		"(to agent1) Template not found.",
		"[T2] (to agent1) Note kept internal.",
		"==================== REPORT: Daily inspection 2026-11-27 ====================",
		"Stores: 3",
		"Missed replies: 0",
		"",
	}
	want[len(want)-1] = strings.Repeat("=", len([]rune(want[len(want)-4]))) // the banner's width
	if got := out.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	alerts := s.Alerts()
	if len(alerts) != 1 || alerts[0].Ref != ref || len(alerts[0].Versions) != 2 || alerts[0].Versions[1].Title != failed.Title {
		t.Errorf("alerts recorded %+v, want one with two versions", alerts)
	}
	if rs := s.Reports(); len(rs) != 1 || rs[0].Ref != rref || rref.Channel != "console" {
		t.Errorf("reports recorded %+v", rs)
	}
}

func TestColorPaintsOnlyTheFraming(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{Color: true})
	ref, _ := s.OpenThread(ctx, header("Alice", true))
	_, _ = s.PostMessage(ctx, ref, header("Alice", true), text("m1", "hi \x1b[31mred"))
	got := out.lines()[1]
	if want := "\x1b[36m[T1 shopee MY Main · Alice]\x1b[0m \x1b[1mbuyer\x1b[0m: hi red"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// An outage's alert is one line, and each of its updates one more.
func TestAlertUpdatesAreOneLine(t *testing.T) {
	s, out := newSurface(t, Config{User: "mei"})
	ctx := context.Background()
	ref, err := s.PostAlert(ctx, bridge.Alert{Severity: bridge.SeverityCritical, Title: bridge.TextInterrupted,
		Text: "Stores: shopee MY Main\nSince: 2026-11-27 09:00:00 UTC\nError: connection refused"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAlert(ctx, ref, bridge.Alert{Severity: bridge.SeverityResolved, Title: "Network restored",
		Text: "Lasted 3m; caught up 12 messages.\nStores: shopee MY Main"}); err != nil {
		t.Fatal(err)
	}
	got := out.lines()
	want := "ALERT [A1] (updated) resolved: Network restored — Lasted 3m; caught up 12 messages."
	if len(got) != 2 || got[0] != "ALERT [A1] critical: "+bridge.TextInterrupted+" — Stores: shopee MY Main" || got[1] != want {
		t.Fatalf("printed\n%s\nwant the post in one line and the update as\n%s", strings.Join(got, "\n"), want)
	}
}
