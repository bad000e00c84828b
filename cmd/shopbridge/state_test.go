package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// The configured backend is what the bridge gets: PostgreSQL when asked
// (only where SHOPBRIDGE_TEST_POSTGRES_DSN points at a server).
func TestStateBackendFromConfig(t *testing.T) {
	dsn := os.Getenv("SHOPBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SHOPBRIDGE_TEST_POSTGRES_DSN not set: skipping the PostgreSQL backend wiring test")
	}
	cfg := &Config{State: StateConfig{Backend: "postgres", DSN: dsn, Schema: "sb_cmd_test"}}
	ctx := context.Background()
	st, err := openState(ctx, cfg, newLogger(LogConfig{}, io.Discard), stateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetMeta(ctx, "wiring", "ok"); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Meta(ctx, "wiring"); err != nil || v != "ok" {
		t.Fatalf("meta round trip: %q %v", v, err)
	}
	if _, err := st.StoreState(ctx, bridge.StoreID("x")); err != nil {
		t.Fatal(err)
	}
}

// stateConfig writes a console config (logging at info level, so that any
// start-up output would show) whose SQLite state is db into a temporary
// directory, and returns its path.
func stateConfig(t *testing.T, db string) string {
	t.Helper()
	cfg := `log: {level: info}
chat: console
http: {listen: "127.0.0.1:0"}
state: {path: "` + db + `"}
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

// refusedOneLine runs the command and expects exit 1, nothing on stdout
// (the console surface never started: nothing was posted) and exactly one
// line on stderr, which it returns.
func refusedOneLine(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	line, rest, _ := strings.Cut(stderr.String(), "\n")
	if code != 1 || stdout.Len() != 0 || rest != "" || line == "" {
		t.Fatalf("%s: exit %d; want 1, no output and one line on stderr\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return line
}

func TestRunRefusesAnEmptyStateFile(t *testing.T) {
	t.Setenv("SHOPBRIDGE_SECRET_KEY", "")
	db := filepath.Join(t.TempDir(), "shopbridge.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := stateConfig(t, db)
	line := refusedOneLine(t, "run", "--config", path)
	want := "shopbridge: sqlite: " + db + " is an empty file, not a shopbridge state database; if this is a new install, delete it or start with --new-state"
	if line != want {
		t.Errorf("stderr = %q\nwant     %q", line, want)
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() != 0 {
		t.Errorf("the refused file was changed: %v", err)
	}
	// The other commands that open the state refuse it the same way.
	for _, args := range [][]string{
		{"store", "authorize", "shopee-my", "--config", path},
		{"report", "--config", path},
		{"demo", "--db", db, "--duration", "1s"},
	} {
		if line := refusedOneLine(t, args...); !strings.Contains(line, db) || !strings.Contains(line, "--new-state") {
			t.Errorf("%s: %q; want the file and --new-state named", args[0], line)
		}
	}
	// report only reads: it takes no --new-state, and creates no database.
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--config", path, "--new-state"}, nil, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "flag provided but not defined: -new-state") {
		t.Errorf("report --new-state: exit %d, %q", code, errb.String())
	}
	missing := stateConfig(t, filepath.Join(t.TempDir(), "typo.db"))
	if line := refusedOneLine(t, "report", "--config", missing); !strings.Contains(line, "typo.db does not exist") {
		t.Errorf("report of a missing database: %q", line)
	}

	// --new-state takes it as a new database: the bridge starts.
	var stdout, stderr bridgetest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- cmdRun(ctx, []string{"--config", path, "--new-state"}, strings.NewReader(""), &stdout, &stderr)
	}()
	waitFor(t, "the bridge started on the accepted file", func() bool {
		return strings.Contains(stderr.String(), `msg="bridge started"`)
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run --new-state: %v\n%s", err, stderr.String())
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("after run --new-state the file is not a shopbridge database: %v", err)
	}
	st.Close()
}

func TestRunRefusesAMissingStateDirectory(t *testing.T) {
	t.Setenv("SHOPBRIDGE_SECRET_KEY", "")
	typo := filepath.Join(t.TempDir(), "dta") // meant: data
	path := stateConfig(t, filepath.Join(typo, "shopbridge.db"))
	line := refusedOneLine(t, "run", "--config", path)
	if want := "shopbridge: sqlite: the directory " + typo + " of the state database does not exist"; line != want {
		t.Errorf("stderr = %q\nwant     %q", line, want)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("run created the missing directory: %v", err)
	}
}

func TestRunRefusesTokensItCannotDecrypt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	path := stateConfig(t, db)
	rightKey := testSecretKey
	wrongKey := strings.Repeat("ab", 32)
	c, err := state.CipherFromKey(rightKey)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), db, sqlite.WithCipher(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []bridge.StoreID{"shopee-my", "shopee-sg"} {
		if err := st.SaveTokens(context.Background(), id, bridge.Tokens{AccessToken: "ACCESS-" + string(id), RefreshToken: "REFRESH-" + string(id)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	t.Setenv("SHOPBRIDGE_SECRET_KEY", wrongKey)
	line := refusedOneLine(t, "run", "--config", path)
	if want := "shopbridge: state: SHOPBRIDGE_SECRET_KEY does not decrypt the tokens in the state database (it is not the key they were encrypted with)"; line != want {
		t.Errorf("wrong key: stderr = %q\nwant     %q", line, want)
	}
	for _, secret := range []string{wrongKey, wrongKey[:16], rightKey[:16], "ACCESS-", "REFRESH-"} {
		if strings.Contains(line, secret) {
			t.Errorf("the refusal shows key or token material %q", secret)
		}
	}

	t.Setenv("SHOPBRIDGE_SECRET_KEY", "")
	line = refusedOneLine(t, "run", "--config", path)
	if want := "shopbridge: state: the database holds encrypted marketplace tokens of 2 stores but SHOPBRIDGE_SECRET_KEY is not set"; line != want {
		t.Errorf("no key: stderr = %q\nwant     %q", line, want)
	}

	// The right key opens it.
	t.Setenv("SHOPBRIDGE_SECRET_KEY", rightKey)
	st2, err := openState(context.Background(), &Config{State: StateConfig{Backend: "sqlite", Path: db}}, newLogger(LogConfig{}, io.Discard), stateOptions{})
	if err != nil {
		t.Fatalf("openState with the right key: %v", err)
	}
	defer st2.Close()
	if tok, err := st2.LoadTokens(context.Background(), "shopee-sg"); err != nil || tok.AccessToken != "ACCESS-shopee-sg" {
		t.Errorf("LoadTokens with the right key: %q, %v", tok.AccessToken, err)
	}
}
