package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// runBriefly runs `shopbridge run` against a simulator with one shop of each
// platform and a scripted buyer per shop, logging at level in format, until
// the console has shown buyer messages of every platform (or 20 s passed),
// then stops it. It returns what the run logged.
func runBriefly(t *testing.T, level, format string) string {
	t.Helper()
	t.Setenv("SHOPBRIDGE_SECRET_KEY", testSecretKey)
	listen := freeListen(t)
	sim := newDemoSimulator(demoShops{shopee: 1, lazada: 1, tiktok: 1}, "http://"+listen)
	simCtx, stopSim := context.WithCancel(context.Background())
	defer stopSim()
	if err := sim.Start(simCtx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("log: {level: %s, format: %s}\nchat: console\nhttp: {listen: %q}\nstate: {path: %q}\nsync: {poll_interval: 1s}\n%s",
		level, format, listen, filepath.Join(dir, "state.db"), sim.StoreConfigYAML())
	path := filepath.Join(dir, "shopbridge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	buyers, err := sim.StartBuyers(simCtx, simulator.BuyerScript{BuyersPerShop: 1, Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer buyers.Stop()

	var stdout, stderr bridgetest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmdRun(ctx, []string{"--config", path}, strings.NewReader(""), &stdout, &stderr) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out := stdout.String()
		if strings.Contains(out, "] buyer:") && strings.Contains(out, " shopee ") && strings.Contains(out, " lazada ") && strings.Contains(out, " tiktok ") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "] buyer:") {
		t.Fatalf("the run showed no buyer message; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	return stderr.String()
}

// At info level a run prints the bridge's own lines: none of the
// dependency-injection framework's wiring (provided, supplied, hooks run,
// with their stack traces).
func TestRunAtInfoPrintsNoFrameworkLines(t *testing.T) {
	logs := runBriefly(t, "info", "text")
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		for _, framework := range []string{"component=fx", "OnStart hook", "OnStop hook", "stacktrace", "msg=provided", "msg=supplied", "msg=invoked"} {
			if strings.Contains(line, framework) {
				t.Errorf("a framework line at info level (%q):\n%s", framework, line)
			}
		}
	}
	if !strings.Contains(logs, `msg="bridge started"`) {
		t.Errorf("the bridge's own start line is missing:\n%s", logs)
	}
}

// No log line carries an attribute twice (platform=shopee platform=shopee
// came from a logger that named its platform on top of one that did).
func TestRunLogsNoAttributeTwice(t *testing.T) {
	logs := runBriefly(t, "debug", "json")
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		n++
		if dup := repeatedKey(t, line); dup != "" {
			t.Errorf("attribute %q appears twice in:\n%s", dup, line)
		}
	}
	if n < 10 {
		t.Errorf("only %d log lines at debug level; the check saw too little:\n%s", n, logs)
	}
}

// repeatedKey returns a key that appears twice in one JSON object (at any
// depth), or "".
func repeatedKey(t *testing.T, line string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	var walk func() string
	walk = func() string {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("not a JSON log line: %v\n%s", err, line)
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					t.Fatalf("not a JSON log line: %v\n%s", err, line)
				}
				key := k.(string)
				if seen[key] {
					return key
				}
				seen[key] = true
				if dup := walk(); dup != "" {
					return dup
				}
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if dup := walk(); dup != "" {
					return dup
				}
			}
			_, _ = dec.Token()
		}
		return ""
	}
	return walk()
}

// warnConfig writes a console config logging at warn level (so that the
// only line of a refused start is its error) with listen as the listener.
func warnConfig(t *testing.T, listen string) string {
	t.Helper()
	cfg := `log: {level: warn}
chat: console
http: {listen: "` + listen + `"}
state: {path: "` + filepath.Join(t.TempDir(), "state.db") + `"}
shopee: {partner_id: 2001887, partner_key: key, base_url: "http://127.0.0.1:9"}
stores:
  - {id: shopee-my, platform: shopee, shop_id: "1001", name: Main, site: MY, access_token: at, refresh_token: rt}
`
	path := filepath.Join(t.TempDir(), "shopbridge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A refused start is one line that starts with what to fix, whichever
// layer refused it.
func TestStartupErrorsAreOneLineNamingWhatToFix(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name, key, listen, want string
	}{
		{"key of 5 bytes", "aGVsbG8=", "127.0.0.1:0",
			"shopbridge: SHOPBRIDGE_SECRET_KEY: must decode to 16, 24 or 32 bytes, got 5 (hex or base64, e.g. the output of `openssl rand -hex 32`)"},
		{"key neither hex nor base64", "not a key!", "127.0.0.1:0",
			"shopbridge: SHOPBRIDGE_SECRET_KEY: must be 16, 24 or 32 bytes (32 recommended) as hex or base64, e.g. the output of `openssl rand -hex 32`; it is neither hex nor base64"},
		{"listener in use", testSecretKey, busy.Addr().String(),
			"shopbridge: http.listen: " + busy.Addr().String() + " is in use by another process (another shopbridge?): choose another address or stop it: listen tcp " + busy.Addr().String() + ": bind: address already in use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SHOPBRIDGE_SECRET_KEY", tc.key)
			if got := refusedOneLine(t, "run", "--config", warnConfig(t, tc.listen)); got != tc.want {
				t.Errorf("start-up error\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// An error a constructor returns deep in the wiring is told as itself, not
// as the framework's chain of the functions that needed it.
func TestStartErrorIsTheRootCause(t *testing.T) {
	type engine struct{}
	type reporter struct{}
	cause := errors.New("report.timezone: unknown time zone Mars/Olympus")
	app := fx.New(fx.NopLogger,
		fx.Provide(func() (*engine, error) { return nil, fmt.Errorf("%w", cause) }),
		fx.Provide(func(*engine) *reporter { return &reporter{} }),
		fx.Invoke(func(*reporter) {}),
	)
	err := runApp(context.Background(), app, time.Second)
	if err == nil || err.Error() != cause.Error() {
		t.Fatalf("start error = %v; want the constructor's own %q", err, cause)
	}
	if !errors.Is(err, cause) {
		t.Errorf("the start error does not wrap the cause any more: %v", err)
	}
}
