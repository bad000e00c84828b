package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

const validConfig = `
chat: console
shopee:
  partner_id: 2001887
  partner_key: ${KEY}
stores:
  - id: shopee-my
    platform: shopee
    shop_id: "1001"
    name: Main
    site: MY
    access_token: ${AT}
    refresh_token: ${RT}
`

func TestValidConfigLoads(t *testing.T) {
	cfg, err := ParseConfig("t.yaml", []byte(validConfig), env(map[string]string{"KEY": "k3y", "AT": "a", "RT": "r"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Shopee.PartnerKey != "k3y" || cfg.InitialTokens()["shopee-my"].RefreshToken != "r" {
		t.Fatalf("env not expanded: %+v", cfg.Shopee)
	}
	if cfg.HTTP.Listen == "" || cfg.State.Path == "" || cfg.Chat != "console" {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestEachMistakeHasItsOwnLine(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string
	}{
		{"unset env var", validConfig, "environment variable KEY is not set"},
		{"unknown key", "chat: console\nbogus: 1\n", "field bogus not found"},
		{"bad log level", "log: {level: loud}\n", `log.level: "loud"`},
		{"bad listen", "http: {listen: nope}\n", `http.listen: "nope" is not host:port`},
		{"bad backend", "state: {backend: mongo}\n", `state.backend: "mongo"`},
		{"postgres without dsn", "state: {backend: postgres}\n", "state.dsn: missing"},
		{"bad chat", "chat: irc\n", `chat: "irc" is not console, slack or telegram`},
		{"no stores", "chat: console\n", "stores: no store configured"},
		{"store without id", "stores: [{platform: shopee, shop_id: '1', name: x, site: MY}]\n", "stores[0].id: missing"},
		{"duplicate id", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: MY}, {id: a, platform: shopee, shop_id: '2', name: y, site: SG}]\n", `stores[1] (a).id: "a" is used by stores[0] too`},
		{"unknown platform", "stores: [{id: a, platform: ebay, shop_id: '1', name: x, site: MY}]\n", `"ebay" is not a marketplace`},
		{"unsupported platform", "stores: [{id: a, platform: lazada, shop_id: '1', name: x, site: MY}]\n", "lazada is not supported by this build yet"},
		{"unknown site", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: XX}]\n", `site: "XX" is not a known site`},
		{"bad proxy", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: MY, proxy: 'ftp://x'}]\n", "proxy"},
		{"bad proxy date", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: MY, proxy_expires: soon}]\n", `proxy_expires: "soon" is not a date`},
		{"half tokens", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: MY, access_token: t}]\n", "give both access_token and refresh_token"},
		{"shopee section missing", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: MY}]\n", "shopee: stores use shopee but the shopee section"},
		{"slack without section", "chat: slack\n", "slack: chat is slack but the slack section is missing"},
		{"too short poll", "sync: {poll_interval: 10ms}\n", "sync.poll_interval: 10ms is too short"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("t.yaml", []byte(tc.yaml), env(nil))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			found := false
			for _, p := range ce.Problems {
				if strings.Contains(p, tc.want) {
					found = true
				}
				if strings.Contains(p, "\n") {
					t.Fatalf("a problem must be one line: %q", p)
				}
			}
			if !found {
				t.Fatalf("no line says %q; got:\n%s", tc.want, strings.Join(ce.Problems, "\n"))
			}
		})
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	_, err := ParseConfig("t.yaml", []byte("log: {level: loud, format: xml}\nchat: irc\n"), env(nil))
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) < 4 {
		t.Fatalf("want at least 4 problems at once, got %v", err)
	}
}

func TestSecretsNotEchoedInProblems(t *testing.T) {
	y := "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: MY, proxy: 'ftp://user:s3cretpw@host'}]\n"
	_, err := ParseConfig("t.yaml", []byte(y), env(nil))
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("proxy password must not appear in errors: %v", err)
	}
}

func TestInitWritesAValidExample(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shopbridge.yaml")
	var out bytes.Buffer
	if code := run([]string{"init", path}, nil, &out, &out); code != 0 {
		t.Fatalf("init exit %d: %s", code, out.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A1-2-abc", "SHOPEE_PARTNER_KEY": "key",
		"SHOPEE_MY_MAIN_ACCESS_TOKEN": "at", "SHOPEE_MY_MAIN_REFRESH_TOKEN": "rt"}
	if _, err := ParseConfig(path, data, env(vars)); err != nil {
		t.Fatalf("the example config must be valid once its variables are set: %v", err)
	}
	if code := run([]string{"init", path}, nil, &out, &out); code == 0 {
		t.Fatalf("init must not overwrite an existing file")
	}
}

func TestRunWithoutConfigRefuses(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"run"}, nil, &out, &errb); code == 0 || !strings.Contains(errb.String(), "shopbridge init") || !strings.Contains(errb.String(), "demo") {
		t.Fatalf("run without --config: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"run", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, nil, &out, &errb); code == 0 || !strings.Contains(errb.String(), "shopbridge init") {
		t.Fatalf("run with a missing file: exit %d, %q", code, errb.String())
	}
}

func TestCheckConfigReportsEveryLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("log: {level: loud}\nchat: irc\n"), 0o600)
	var out, errb bytes.Buffer
	code := run([]string{"check-config", "--config", path}, nil, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "log.level") || !strings.Contains(errb.String(), "chat:") {
		t.Fatalf("check-config: exit %d, %q", code, errb.String())
	}
}
