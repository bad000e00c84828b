package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// cliRun runs the command in an empty working directory and returns its
// exit code, output and the files it left there.
func cliRun(t *testing.T, args ...string) (code int, stdout, stderr string, files []string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files = append(files, e.Name())
	}
	return code, out.String(), errb.String(), files
}

// -h and --help on every command print its usage to standard output and
// exit 0, doing nothing else (init --help once wrote a file named --help).
func TestHelpOnEveryCommandPrintsUsageAndDoesNothing(t *testing.T) {
	commands := [][]string{
		{"run"}, {"demo"}, {"init"}, {"check-config"}, {"report"}, {"simulate"},
		{"store"}, {"store", "authorize"}, {"healthcheck"}, {"version"},
	}
	for _, cmd := range commands {
		for _, help := range []string{"-h", "--help"} {
			args := append(append([]string{}, cmd...), help)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr, files := cliRun(t, args...)
				if code != 0 || stderr != "" || len(files) != 0 {
					t.Fatalf("exit %d, stderr %q, files left %q; want exit 0, nothing on stderr, no file", code, stderr, files)
				}
				if want := "Usage:\n  shopbridge " + strings.Join(cmd, " "); !strings.HasPrefix(stdout, want) {
					t.Errorf("usage does not start with %q:\n%s", want, stdout)
				}
			})
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		code, stdout, stderr, _ := cliRun(t, args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "shopbridge run --config") {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, stderr, stdout)
		}
	}
	code, stdout, _, _ := cliRun(t, "help", "init")
	if code != 0 || !strings.HasPrefix(stdout, "Usage:\n  shopbridge init") {
		t.Errorf("help init: exit %d, stdout %q; want init's usage", code, stdout)
	}
}

// A usage mistake is one line on standard error and exit code 2, and
// nothing happens.
func TestUsageMistakesExit2WithOneLine(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `shopbridge: unknown command "frobnicate" (see ` + "`shopbridge -h`)"},
		{[]string{"run", "--bogus"}, "shopbridge run: flag provided but not defined: -bogus (see `shopbridge run -h`)"},
		{[]string{"run"}, "shopbridge run: --config is required: write one with `shopbridge init shopbridge.yaml`, or try `shopbridge demo` first (see `shopbridge run -h`)"},
		{[]string{"run", "--config", "x.yaml", "extra"}, `shopbridge run: takes no arguments, got "extra" (see ` + "`shopbridge run -h`)"},
		{[]string{"init", "--force"}, "shopbridge init: flag provided but not defined: -force (see `shopbridge init -h`)"},
		{[]string{"init", "a.yaml", "b.yaml"}, `shopbridge init: too many arguments: "a.yaml b.yaml" (see ` + "`shopbridge init -h`)"},
		{[]string{"check-config", "--bogus"}, "shopbridge check-config: flag provided but not defined: -bogus (see `shopbridge check-config -h`)"},
		{[]string{"demo", "--duration", "soon"}, `shopbridge demo: invalid value "soon" for flag -duration: parse error (see ` + "`shopbridge demo -h`)"},
		{[]string{"demo", "--outage-platform", "ebay"}, `shopbridge demo: --outage-platform "ebay" is not shopee, lazada or tiktok (see ` + "`shopbridge demo -h`)"},
		{[]string{"report", "yesterday"}, `shopbridge report: takes no arguments, got "yesterday" (see ` + "`shopbridge report -h`)"},
		{[]string{"simulate", "--shops", "-1"}, "shopbridge simulate: --shops, --lazada and --tiktok must not be negative, with at least one shop in all (see `shopbridge simulate -h`)"},
		{[]string{"store"}, "shopbridge store: missing the subcommand (authorize) (see `shopbridge store -h`)"},
		{[]string{"store", "frobnicate"}, `shopbridge store: unknown subcommand "frobnicate" (the subcommand is authorize) (see ` + "`shopbridge store -h`)"},
		{[]string{"store", "authorize"}, "shopbridge store authorize: missing <store> (see `shopbridge store authorize -h`)"},
		{[]string{"store", "authorize", "a", "b"}, `shopbridge store authorize: too many arguments: "a b" (see ` + "`shopbridge store authorize -h`)"},
		{[]string{"healthcheck", "--bogus"}, "shopbridge healthcheck: flag provided but not defined: -bogus (see `shopbridge healthcheck -h`)"},
		{[]string{"version", "now"}, `shopbridge version: takes no arguments, got "now" (see ` + "`shopbridge version -h`)"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr, files := cliRun(t, tc.args...)
			if code != 2 || stdout != "" || len(files) != 0 {
				t.Fatalf("exit %d, stdout %q, files left %q; want exit 2, no output, no file", code, stdout, files)
			}
			if stderr != tc.want+"\n" {
				t.Errorf("stderr\n got: %q\nwant: %q", stderr, tc.want+"\n")
			}
		})
	}
}

// Without arguments the commands are listed on standard error: exit 2.
func TestNoArgumentsListsCommands(t *testing.T) {
	code, stdout, stderr, _ := cliRun(t)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "shopbridge healthcheck") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestInitWritesTheExampleOnce(t *testing.T) {
	code, stdout, stderr, files := cliRun(t, "init", "my.yaml")
	if code != 0 || stderr != "" || len(files) != 1 || files[0] != "my.yaml" || !strings.Contains(stdout, "wrote my.yaml") {
		t.Fatalf("init my.yaml: exit %d, stdout %q, stderr %q, files %q", code, stdout, stderr, files)
	}
}

// healthcheck exits 0 when /healthz answers 200, and 1 with the answer
// when it does not (or nothing listens).
func TestHealthcheck(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if !healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("chat surface down: socket closed\n"))
			return
		}
		w.Write([]byte("ok\n"))
	}))
	defer srv.Close()

	code, stdout, stderr, _ := cliRun(t, "healthcheck", "--url", srv.URL+"/healthz")
	if code != 0 || stdout != "ok\n" || stderr != "" {
		t.Errorf("healthy: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	healthy = false
	code, stdout, stderr, _ = cliRun(t, "healthcheck", "--url", srv.URL+"/healthz")
	if want := "shopbridge: unhealthy: " + srv.URL + "/healthz answered 503 Service Unavailable: chat surface down: socket closed\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("unhealthy: exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
	}

	// With a config: its listener, a wildcard host reached on the loopback.
	healthy = true
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := strings.Cut(addr, ":")
	path := warnConfig(t, "0.0.0.0:"+port)
	code, stdout, stderr, _ = cliRun(t, "healthcheck", "--config", path)
	if code != 0 || stdout != "ok\n" {
		t.Errorf("with --config: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	srv.Close()
	code, _, stderr, _ = cliRun(t, "healthcheck", "--config", path)
	if code != 1 || !strings.Contains(stderr, "did not answer") {
		t.Errorf("nothing listening: exit %d, stderr %q", code, stderr)
	}
}
