package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// SQLite is single-replica: while `run` holds a state file, a second bridge
// on it (`run` or `demo`) is refused at start with one line, before it has
// posted anything, and `report` still reads it. Once the first stops, the
// file is free for the next bridge.
func TestSecondBridgeOnOneSQLiteFileIsRefused(t *testing.T) {
	t.Setenv("SHOPBRIDGE_SECRET_KEY", "")
	db := filepath.Join(t.TempDir(), "shopbridge.db")
	path := stateConfig(t, db)

	startRun := func() (stop func()) {
		t.Helper()
		var stdout, stderr bridgetest.Buffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- cmdRun(ctx, []string{"--config", path}, strings.NewReader(""), &stdout, &stderr)
		}()
		waitFor(t, "the bridge started", func() bool {
			select {
			case err := <-done:
				t.Fatalf("run ended before it started: %v\n%s", err, stderr.String())
			default:
			}
			return strings.Contains(stderr.String(), `msg="bridge started"`)
		})
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v\n%s", err, stderr.String())
			}
		}
	}

	stop := startRun()
	want := "shopbridge: sqlite: " + db + " is in use by another shopbridge process (it holds " + db +
		".lock): SQLite is single-replica; to run several replicas use PostgreSQL (state.backend: postgres)"
	for _, args := range [][]string{
		{"run", "--config", path},
		{"demo", "--db", db, "--duration", "1s"},
	} {
		if line := refusedInTime(t, args...); line != want {
			t.Errorf("%s beside a running bridge:\n got %q\nwant %q", args[0], line, want)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--config", path}, nil, &out, &errb); code != 0 || out.Len() == 0 {
		t.Errorf("report beside a running bridge: exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	stop()

	// Stopped, the first bridge has let the file go.
	startRun()()
}

// refusedInTime is refusedOneLine for a command that would run until
// stopped if it were not refused: it fails the test when the command is
// still running after a while (a second bridge started).
func refusedInTime(t *testing.T, args ...string) string {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var stdout, stderr bridgetest.Buffer
		code := run(args, strings.NewReader(""), &stdout, &stderr)
		done <- result{code, stdout.String(), stderr.String()}
	}()
	select {
	case r := <-done:
		line, rest, _ := strings.Cut(r.stderr, "\n")
		if r.code != 1 || r.stdout != "" || rest != "" || line == "" {
			t.Fatalf("%s: exit %d; want 1, no output and one line on stderr\nstdout:\n%s\nstderr:\n%s",
				strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return line
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still running beside the first bridge after 20s; want it refused at start", strings.Join(args, " "))
		return ""
	}
}
