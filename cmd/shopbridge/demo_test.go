package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// The demo runs the whole bridge (simulator over loopback HTTP with Shopee,
// Lazada and TikTok Shop shops, the real clients, SQLite, the console), takes
// Lazada down for a while, and counts lost and duplicated buyer messages per
// platform by comparing the simulator with what the console received.
func TestDemoLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs for 15 seconds")
	}
	var out, errb bytes.Buffer
	code := run([]string{"demo", "--duration", "15s", "--shops", "2", "--lazada", "1", "--tiktok", "1", "--buyers", "3",
		"--interval", "200ms", "--outage", "5s", "--outage-platform", "lazada"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("demo exit %d\nstderr:\n%s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	summary := lines[len(lines)-1]
	if !strings.HasPrefix(summary, "demo: 4 stores, ") {
		t.Fatalf("summary %q: want 4 stores\nstderr:\n%s", summary, errb.String())
	}
	if !strings.Contains(summary, ", 1 reply failed then retried") {
		t.Errorf("summary %q: want the scripted reply failed then retried", summary)
	}
	// The outage of Lazada: its alert names the Lazada store only.
	if m := regexp.MustCompile(`lazada outage recovered \(alert named ([^;]+);`).FindStringSubmatch(summary); m == nil || m[1] != "lazada-sg-2001" {
		t.Errorf("summary %q: want the lazada outage recovered with an alert naming lazada-sg-2001 alone", summary)
	}
	for _, p := range []string{"shopee 2 stores", "lazada 1 store", "tiktok 1 store"} {
		re := regexp.MustCompile(regexp.QuoteMeta(p) + `: (\d+) buyer messages in (\d+) threads, (\d+) replies sent, [^;]*lost (\d+), duplicated (\d+)`)
		m := re.FindStringSubmatch(summary)
		if m == nil {
			t.Errorf("summary %q: no counts for %s", summary, p)
			continue
		}
		if m[1] == "0" || m[2] == "0" {
			t.Errorf("%s: the demo should relay buyer messages into threads: %q", p, m[0])
		}
		if m[4] != "0" || m[5] != "0" {
			t.Errorf("%s: lost %s, duplicated %s; want 0 and 0\nstderr:\n%s", p, m[4], m[5], errb.String())
		}
	}
	// Lazada is never polled: its IM lists are called by the history import only.
	if m := regexp.MustCompile(`lazada 1 store: [^;]*, (\d+) IM list calls \(history import only\)`).FindStringSubmatch(summary); m == nil {
		t.Errorf("summary %q: no Lazada list-call count", summary)
	} else if n, _ := strconv.Atoi(m[1]); n > 10 {
		t.Errorf("Lazada IM list calls: %d, want only the history import's few", n)
	}
}

// The scripted reply failure and its retry happen on every run, however
// short: the simulator fails the sends of that reply alone (by its text),
// so no other reply can use the failure up, and it keeps failing until it
// shows failed even when the run ends first. Ten short runs, two at a time.
func TestDemoFailsAndRetriesTheScriptedReplyEveryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("ten demo runs of a few seconds each")
	}
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("TELEGRAM_BOT_TOKEN", "")
	t.Setenv("SHOPBRIDGE_SECRET_KEY", "")
	counts := regexp.MustCompile(`(shopee 2 stores|lazada 1 store|tiktok 1 store): \d+ buyer messages in \d+ threads, \d+ replies sent, [^;]*lost (\d+), duplicated (\d+)`)
	for i := range 10 {
		t.Run(strconv.Itoa(i+1), func(t *testing.T) {
			t.Parallel()
			o := demoOptions{
				duration: 3 * time.Second, shops: demoShops{shopee: 2, lazada: 1, tiktok: 1}, buyers: 2,
				interval: 200 * time.Millisecond, outage: time.Second, every: time.Minute, outagePlatform: "lazada",
				agentEvery: 200 * time.Millisecond, replyGap: time.Second, quickSends: true,
			}
			var out, errb bridgetest.Buffer
			if err := runDemo(context.Background(), o, strings.NewReader(""), &out, &errb); err != nil {
				t.Fatalf("demo: %v\nstderr:\n%s", err, errb.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			summary := lines[len(lines)-1]
			if !strings.HasPrefix(summary, "demo: 4 stores, ") || !strings.Contains(summary, ", 1 reply failed then retried") {
				t.Errorf("summary %q: want 4 stores and 1 reply failed then retried\nstdout:\n%s", summary, out.String())
			}
			found := counts.FindAllStringSubmatch(summary, -1)
			if len(found) != 3 {
				t.Errorf("summary %q: want the counts of all three platforms", summary)
			}
			for _, m := range found {
				if m[2] != "0" || m[3] != "0" {
					t.Errorf("%s: lost %s, duplicated %s; want 0 and 0", m[1], m[2], m[3])
				}
			}
			if !strings.Contains(out.String(), "agent-ana: "+demoFailingAnswer) || !strings.Contains(out.String(), "FAILED: ") {
				t.Errorf("the console does not show the scripted reply and its failure:\n%s", out.String())
			}
		})
	}
}
