package telegram

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

// sampleReport is a report with every checklist line and many missed
// replies, one from a buyer who tries to mention everyone.
func sampleReport(missed int) bridge.Report {
	until := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	st := bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, Name: "Main", Site: "MY"}
	r := bridge.Report{
		Title: "Daily inspection · Apr 30 08:00 → May 1 08:00 UTC", Key: "asia@2025-05-01",
		Since: until.Add(-24 * time.Hour), Until: until, GeneratedAt: until, Location: time.UTC, SLA: 15 * time.Minute,
	}
	for i, item := range bridge.CheckItems {
		r.Checks = append(r.Checks, bridge.Check{Item: item, Verdict: bridge.Verdict(i % 3), Text: "figures of " + string(item) + " <b>", Rule: "rule of " + string(item)})
	}
	r.Stores = []bridge.StoreReport{{Store: st, Checks: r.Checks}}
	for i := 0; i < missed; i++ {
		r.Missed = append(r.Missed, bridge.MissedReply{
			Store: st, Conversation: bridge.ConversationID(fmt.Sprintf("c%d", i)), BuyerName: fmt.Sprintf("Buyer %03d", i),
			Thread:        bridge.ThreadRef{Channel: "-1001000000001", ID: fmt.Sprint(100 + i)},
			Link:          "https://seller.shopee.example/chat/" + fmt.Sprint(i),
			AwaitingSince: until.Add(-time.Hour), Waiting: time.Hour,
		})
	}
	r.Missed[0].BuyerName = "@everyone Mallory"
	return r
}

func TestPostInspectionSummaryThenDetailsAsReplies(t *testing.T) {
	hs := newHarness(t)
	r := sampleReport(200)
	ref, err := hs.s.PostInspection(context.Background(), "", r)
	if err != nil {
		t.Fatal(err)
	}
	msgs := hs.api.Messages(inbox)
	if len(msgs) < 3 {
		t.Fatalf("%d messages, want the summary and several detail messages", len(msgs))
	}
	summary := msgs[0]
	if ref != (msgKey{inbox, summary.ID}).ref() {
		t.Errorf("PostInspection returned %v, want the summary %d", ref, summary.ID)
	}
	for _, want := range []string{r.Title + "\n", "✅ Network connection: figures of connectivity <b> (rule of connectivity)", "❌ Thread restoration:"} {
		if !strings.Contains(summary.Text, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary.Text)
		}
	}
	if !strings.Contains(summary.HTML, "<b>Network connection:</b> figures of connectivity &lt;b&gt; <i>(rule of connectivity)</i>") {
		t.Errorf("summary HTML = %s", summary.HTML)
	}
	var details strings.Builder
	for _, m := range msgs[1:] {
		if m.ReplyTo != summary.ID {
			t.Errorf("detail message %d replies to %d, want the summary %d", m.ID, m.ReplyTo, summary.ID)
		}
		if n := len([]rune(m.Text)); n > 4096 {
			t.Errorf("detail message %d has %d characters", m.ID, n)
		}
		details.WriteString(m.Text + "\n")
	}
	got := details.String()
	for i := 1; i < 200; i++ {
		if n := strings.Count(got, fmt.Sprintf("Buyer %03d:", i)); n != 1 {
			t.Fatalf("Buyer %03d listed %d times, want once", i, n)
		}
	}
	if strings.Contains(got, "@everyone") || !strings.Contains(got, "@\u2060everyone Mallory") {
		t.Errorf("a buyer name can mention everyone")
	}
	var linked bool
	for _, m := range msgs[1:] {
		if strings.Contains(m.HTML, `<a href="https://t.me/c/1000000001/107">open topic</a>`) {
			linked = true
		}
	}
	if !linked {
		t.Errorf("missed replies do not link to their topics")
	}
}

func TestPostInspectionToAnotherChatAndTopic(t *testing.T) {
	hs := newHarness(t)
	hs.api.AddChat(telegramtest.Chat{ID: -1002000000002, Title: "Region EU", Forum: true})
	if _, err := hs.s.PostInspection(context.Background(), "-1002000000002", sampleReport(1)); err != nil {
		t.Fatal(err)
	}
	if msgs := hs.api.Messages(-1002000000002); len(msgs) != 2 || msgs[0].Thread != 0 {
		t.Fatalf("messages in the region chat: %+v", msgs)
	}
	if c, topic, err := parseReportChannel("-1002000000002/7"); c != -1002000000002 || topic != 7 || err != nil {
		t.Errorf("parseReportChannel(chat/topic) = %d, %d, %v", c, topic, err)
	}
	if _, err := hs.s.PostInspection(context.Background(), "general", sampleReport(1)); err == nil || bridge.Classify(err) != bridge.KindPermanent {
		t.Errorf("a bad report channel gave %v, want a permanent error", err)
	}
}
