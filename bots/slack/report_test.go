package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
)

// sampleReport is a report with every checklist line and missed many
// replies, one of them from a buyer who tries to ping the channel.
func sampleReport(missed int) bridge.Report {
	until := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	st := bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, Name: "Main", Site: "MY"}
	r := bridge.Report{
		Title: "Daily inspection · Mar 9 09:00 → Mar 10 09:00 CET", Key: "eu@2026-03-10",
		Since: until.Add(-24 * time.Hour), Until: until, GeneratedAt: until, Location: time.UTC, SLA: 15 * time.Minute,
	}
	for i, item := range bridge.CheckItems {
		c := bridge.Check{Item: item, Verdict: bridge.Verdict(i % 3), Text: "figures of " + string(item), Rule: "rule of " + string(item)}
		r.Checks = append(r.Checks, c)
	}
	r.Stores = []bridge.StoreReport{{Store: st, Checks: r.Checks}}
	for i := 0; i < missed; i++ {
		r.Missed = append(r.Missed, bridge.MissedReply{
			Store: st, Conversation: bridge.ConversationID(fmt.Sprintf("c%d", i)), BuyerName: fmt.Sprintf("Buyer %03d", i),
			Thread:        bridge.ThreadRef{Channel: chInbox, ID: fmt.Sprintf("1700000000.%06d", i)},
			AwaitingSince: until.Add(-time.Hour), Waiting: time.Hour,
		})
	}
	if missed > 0 {
		r.Missed[0].BuyerName = "<!channel> Mallory"
	}
	return r
}

func TestPostInspectionSummaryThenThreadedDetails(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ReportChannel = chStore; c.TextLimit = 500; c.MaxBlocks = 5 })
	r := sampleReport(120)
	ref, err := f.s.PostInspection(context.Background(), "", r)
	if err != nil || ref.Channel != chStore || ref.ID == "" {
		t.Fatalf("PostInspection = %v, %v", ref, err)
	}
	summary, _ := f.fake.Message(chStore, ref.ID)
	text := blockText(summary.Blocks)
	for _, want := range []string{r.Title, "✅ *Network connection*: figures of connectivity _(rule of connectivity)_", "⚠️ *Session sync*", "❌ *Thread restoration*"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if summary.Metadata == nil || summary.Metadata.EventType != metaReport || summary.Metadata.EventPayload["key"] != r.Key {
		t.Errorf("summary metadata = %+v, want the report key", summary.Metadata)
	}
	if roots := f.fake.Roots(chStore); len(roots) != 1 {
		t.Errorf("%d top-level messages in the report channel, want 1 (details go in the thread)", len(roots))
	}
	details := f.fake.Thread(chStore, ref.ID)
	if len(details) < 2 {
		t.Fatalf("%d detail messages, want the details split over several", len(details))
	}
	var all strings.Builder
	for i, m := range details {
		var blocks []map[string]any
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			t.Fatal(err)
		}
		if len(blocks) > 5 {
			t.Errorf("detail message %d has %d blocks, want at most 5", i, len(blocks))
		}
		for _, b := range blocks {
			if n := len([]rune(blockText(mustJSON(t, b)))); n > 500 {
				t.Errorf("a block of detail message %d has %d characters, want at most 500", i, n)
			}
		}
		all.WriteString(blockText(m.Blocks) + "\n")
	}
	got := all.String()
	for i := 1; i < 120; i++ {
		if n := strings.Count(got, fmt.Sprintf("*Buyer %03d*", i)); n != 1 {
			t.Fatalf("Buyer %03d listed %d times, want once", i, n)
		}
	}
	if strings.Contains(got, "<!channel>") || !strings.Contains(got, "&lt;!channel&gt; Mallory") {
		t.Errorf("a buyer name can ping the channel:\n%s", got)
	}
	if !strings.Contains(got, "<https://fake.slack.test/archives/"+chInbox+"/p1700000000000007|open thread>") {
		t.Errorf("missed replies do not link to their threads")
	}
}

// historyProxy serves conversations.history from the fake's messages (the
// fake does not implement it) and passes every other call through.
func historyProxy(t *testing.T, fake *fakeslack.Server) string {
	target, _ := url.Parse(strings.TrimSuffix(fake.URL, "/api/"))
	proxy := httputil.NewSingleHostReverseProxy(target)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/conversations.history", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		oldest, _ := strconv.ParseFloat(r.Form.Get("oldest"), 64)
		var msgs []map[string]any
		for _, m := range fake.Roots(r.Form.Get("channel")) {
			ts, _ := strconv.ParseFloat(m.TS, 64)
			if ts < oldest {
				continue
			}
			msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
			if m.Metadata != nil && r.Form.Get("include_all_metadata") != "" {
				msg["metadata"] = m.Metadata
			}
			msgs = append(msgs, msg)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": msgs, "has_more": false})
	})
	mux.Handle("/", proxy)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

func TestFindInspectionByKey(t *testing.T) {
	f := newFixture(t, nil)
	api := historyProxy(t, f.fake)
	s, err := New(func() Config { c := testConfig(f.fake); c.APIURL = api; c.ReportChannel = chStore; return c }(), Deps{Clock: f.clock, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	since := time.Unix(1699999000, 0) // the fake's timestamps start at 1700000000
	if _, found, err := s.FindInspection(ctx, "", "eu@2026-03-10", since); err != nil || found {
		t.Fatalf("FindInspection before posting = %v, %v", found, err)
	}
	r := sampleReport(1)
	ref, err := s.PostInspection(ctx, "", r)
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := s.FindInspection(ctx, "", "eu@2026-03-10", since)
	if err != nil || !found || got != ref {
		t.Fatalf("FindInspection = %v, %v, %v; want %v", got, found, err, ref)
	}
	if _, found, _ := s.FindInspection(ctx, "", "eu@2026-03-11", since); found {
		t.Errorf("another day's report was found")
	}
	if _, found, _ := s.FindInspection(ctx, "", "eu@2026-03-10", time.Unix(1700000001, 0)); found {
		t.Errorf("a report older than since was found")
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
