package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// The demo runs the whole bridge (simulator over loopback HTTP, the real
// Shopee client, SQLite, the console) and counts lost and duplicated buyer
// messages by comparing the simulator with what the console received.
func TestDemoLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs for 12 seconds")
	}
	var out, errb bytes.Buffer
	code := run([]string{"demo", "--duration", "12s", "--shops", "3", "--buyers", "3", "--interval", "200ms", "--outage", "5s"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("demo exit %d\nstderr:\n%s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	summary := lines[len(lines)-1]
	re := regexp.MustCompile(`^demo: 3 stores, (\d+) buyer messages in (\d+) threads, (\d+) replies sent, .* lost 0, duplicated 0$`)
	m := re.FindStringSubmatch(summary)
	if m == nil {
		t.Fatalf("summary %q: want 3 stores, lost 0, duplicated 0\nstderr:\n%s", summary, errb.String())
	}
	if m[1] == "0" || m[2] == "0" {
		t.Fatalf("the demo should relay buyer messages into threads: %q", summary)
	}
}
