package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
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
		{"unknown key", "chat: console\nbogus: 1\n", "bogus: unknown key (the config's sections are auth, chat, console, http, lazada, log, replicas, report, shopee, slack, state, stores, sync, telegram, tiktok) (line 2)"},
		{"bad log level", "log: {level: loud}\n", `log.level: "loud"`},
		{"bad listen", "http: {listen: nope}\n", `http.listen: "nope" is not host:port`},
		{"bad backend", "state: {backend: mongo}\n", `state.backend: "mongo"`},
		{"postgres without dsn", "state: {backend: postgres}\n", "state.dsn: missing"},
		{"bad chat", "chat: irc\n", `chat: "irc" is not console, slack or telegram`},
		{"no stores", "chat: console\n", "stores: no store configured"},
		{"store without id", "stores: [{platform: shopee, shop_id: '1', name: x, site: MY}]\n", "stores[0].id: missing"},
		{"duplicate id", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: MY}, {id: a, platform: shopee, shop_id: '2', name: y, site: SG}]\n", `stores[1] (a).id: "a" is used by stores[0] too`},
		{"unknown platform", "stores: [{id: a, platform: ebay, shop_id: '1', name: x, site: MY}]\n", `"ebay" is not a marketplace`},
		{"unknown site", "stores: [{id: a, platform: shopee, shop_id: '1', name: x, site: XX}]\n", `stores[0] (a).site: "XX" is not a known shopee site (BR, CL, CO, ID, MX, MY, PH, SG, TH, TW, VN)`},
		{"lazada site", "stores: [{id: a, platform: lazada, shop_id: '1', name: x, site: TW}]\n", `stores[0] (a).site: "TW" is not a known lazada site (ID, MY, PH, SG, TH, VN)`},
		{"tiktok site", "stores: [{id: a, platform: tiktok, shop_id: '1', name: x, site: CL}]\n", `stores[0] (a).site: "CL" is not a known tiktok site`},
		{"lazada seller id", "stores: [{id: a, platform: lazada, shop_id: 'sg-1', name: x, site: SG}]\n", "stores[0] (a).shop_id: must be Lazada's numeric seller_id"},
		{"tiktok shop id", "stores: [{id: a, platform: tiktok, shop_id: 'abc', name: x, site: MY}]\n", "stores[0] (a).shop_id: must be TikTok Shop's numeric shop ID"},
		{"lazada section missing", "stores: [{id: a, platform: lazada, shop_id: '1', name: x, site: SG}]\n", "lazada: stores use lazada but the lazada section"},
		{"tiktok section missing", "stores: [{id: a, platform: tiktok, shop_id: '1', name: x, site: MY}]\n", "tiktok: stores use tiktok but the tiktok section"},
		{"lazada section checked", "lazada: {app_key: '1'}\nstores: [{id: a, platform: lazada, shop_id: '1', name: x, site: SG}]\n", "lazada.app_secret: must be set"},
		{"tiktok section checked", "tiktok: {app_key: k}\nstores: [{id: a, platform: tiktok, shop_id: '1', name: x, site: MY}]\n", "tiktok.app_secret"},
		{"platform missing", "stores: [{id: a, shop_id: '1', name: x, site: MY}]\n", "stores[0] (a).platform: missing (shopee, lazada, tiktok)"},
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

// threePlatforms is a config with stores of all three marketplaces.
const threePlatforms = `
chat: console
shopee:
  partner_id: 2001887
  partner_key: ${SHOPEE_KEY}
lazada:
  app_key: "100123"
  app_secret: ${LAZADA_SECRET}
tiktok:
  app_key: 6abcd1234
  app_secret: ${TIKTOK_SECRET}
  service_id: "7431458374265161478"
stores:
  - {id: shopee-my, platform: shopee, shop_id: "1001", name: Main, site: MY}
  - {id: lazada-sg, platform: lazada, shop_id: "200100", name: Lion, site: sg}
  - {id: tiktok-th, platform: tiktok, shop_id: "7494049642642441621", name: Bazaar, site: TH}
`

func TestStoresOfAllThreePlatformsInOneConfig(t *testing.T) {
	cfg, err := ParseConfig("t.yaml", []byte(threePlatforms), env(map[string]string{"SHOPEE_KEY": "k", "LAZADA_SECRET": "l", "TIKTOK_SECRET": "t"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Lazada.AppSecret != "l" || cfg.Lazada.PushPath != "/push/lazada" || cfg.TikTok.AppSecret != "t" || cfg.TikTok.WebhookPath != "/webhook/tiktok" {
		t.Fatalf("sections not read or not defaulted: lazada %+v, tiktok %+v", cfg.Lazada, cfg.TikTok)
	}
	for _, p := range []bridge.Platform{bridge.PlatformShopee, bridge.PlatformLazada, bridge.PlatformTikTok} {
		if !cfg.PlatformEnabled(p) || len(cfg.StoresOf(p)) != 1 {
			t.Errorf("%s: enabled %v with %d stores, want enabled with 1", p, cfg.PlatformEnabled(p), len(cfg.StoresOf(p)))
		}
	}
	if s := cfg.StoresOf(bridge.PlatformLazada)[0]; s.Site != "SG" || s.ShopID != "200100" {
		t.Errorf("lazada store %+v, want site SG (upper-cased)", s)
	}
}

func TestUnusedSectionNeedsNoEnvironment(t *testing.T) {
	// Only a Shopee store: the lazada and tiktok sections (and the
	// telegram one of another chat surface) may keep their ${ENV}
	// references unset; the used sections may not.
	y := strings.Replace(threePlatforms, `  - {id: lazada-sg`, `  # - {id: lazada-sg`, 1)
	y = strings.Replace(y, `  - {id: tiktok-th`, `  # - {id: tiktok-th`, 1)
	y += "telegram:\n  token: ${TELEGRAM_BOT_TOKEN}\n"
	cfg, err := ParseConfig("t.yaml", []byte(y), env(map[string]string{"SHOPEE_KEY": "k"}))
	if err != nil {
		t.Fatalf("unused sections must not need their variables: %v", err)
	}
	if cfg.PlatformEnabled(bridge.PlatformLazada) || cfg.PlatformEnabled(bridge.PlatformTikTok) || !cfg.PlatformEnabled(bridge.PlatformShopee) {
		t.Errorf("an unused section without its secret must not build a client")
	}
	// The used section's variable is still required, with its line.
	_, err = ParseConfig("t.yaml", []byte(y), env(nil))
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) == 0 || !strings.Contains(ce.Problems[0], "line 5: environment variable SHOPEE_KEY is not set") {
		t.Fatalf("want the used section's variable reported, got %v", err)
	}
	for _, p := range ce.Problems {
		if strings.Contains(p, "LAZADA_SECRET") || strings.Contains(p, "TIKTOK_SECRET") || strings.Contains(p, "TELEGRAM") {
			t.Errorf("an unused section's variable is reported: %s", p)
		}
	}
	// Once a store uses Lazada, its section's variable is required.
	_, err = ParseConfig("t.yaml", []byte(threePlatforms), env(map[string]string{"SHOPEE_KEY": "k", "TIKTOK_SECRET": "t"}))
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "line 8: environment variable LAZADA_SECRET is not set") {
		t.Fatalf("want LAZADA_SECRET reported once a store uses lazada, got %v", err)
	}
}

func TestUnusedValidSectionStillBuildsItsClient(t *testing.T) {
	// A valid section without stores yet: its client is built, so that
	// `stores refresh` can add a store of it without a restart.
	y := strings.Replace(threePlatforms, `  - {id: tiktok-th`, `  # - {id: tiktok-th`, 1)
	cfg, err := ParseConfig("t.yaml", []byte(y), env(map[string]string{"SHOPEE_KEY": "k", "LAZADA_SECRET": "l", "TIKTOK_SECRET": "t"}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.PlatformEnabled(bridge.PlatformTikTok) {
		t.Error("a valid tiktok section without stores should still be enabled")
	}
}

// The example shows the Lazada and TikTok sections and stores, commented:
// uncommented (with their variables set) they make a valid three-platform
// config.
func TestInitExampleShowsAllThreePlatforms(t *testing.T) {
	uncommented := strings.NewReplacer("\n# lazada:", "\nlazada:", "#   app_key", "  app_key", "#   app_secret", "  app_secret",
		"#   service_id", "  service_id", "\n# tiktok:", "\ntiktok:", "  # - id:", "  - id:", "  #   platform", "    platform",
		"  #   shop_id", "    shop_id", "  #   name", "    name", "  #   site", "    site").Replace(exampleConfig)
	vars := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A1-2-abc", "SHOPEE_PARTNER_KEY": "key",
		"SHOPEE_MY_MAIN_ACCESS_TOKEN": "at", "SHOPEE_MY_MAIN_REFRESH_TOKEN": "rt", "LAZADA_APP_SECRET": "ls", "TIKTOK_APP_SECRET": "ts"}
	cfg, err := ParseConfig("example.yaml", []byte(uncommented), env(vars))
	if err != nil {
		t.Fatalf("the example with Lazada and TikTok uncommented: %v\n%s", err, uncommented)
	}
	for _, p := range []bridge.Platform{bridge.PlatformShopee, bridge.PlatformLazada, bridge.PlatformTikTok} {
		if len(cfg.StoresOf(p)) != 1 {
			t.Errorf("%s: %d stores in the uncommented example, want 1", p, len(cfg.StoresOf(p)))
		}
	}
}

// A typo'd key is named by its full path with the key meant; a value of
// the wrong kind by its path and the kind expected; none in Go type names.
func TestUnknownKeysAndKindsNamedByPath(t *testing.T) {
	y := `chat: console
sync:
  poll_intervall: 5s
  debounce: soon
  failure_threshold: many
stores:
  - id: a
    platfrom: shopee
slack:
  bot_tokn: x
report:
  thresholds:
    backlog_wran: 3
log: {level: info, formatt: json}
http: [1]
frobnicate: 1
`
	_, err := ParseConfig("t.yaml", []byte(y), env(nil))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ConfigError, got %v", err)
	}
	for _, want := range []string{
		"sync.poll_intervall: unknown key; did you mean sync.poll_interval? (line 3)",
		`sync.debounce: "soon" is not a duration like 90s, 5m or 1h30m (line 4)`,
		`sync.failure_threshold: "many" is not a whole number (line 5)`,
		"stores[0].platfrom: unknown key; did you mean stores[0].platform? (line 8)",
		"slack.bot_tokn: unknown key; did you mean slack.bot_token? (line 10)",
		"report.thresholds.backlog_wran: unknown key; did you mean report.thresholds.backlog_warn? (line 13)",
		"log.formatt: unknown key; did you mean log.format? (line 14)",
		"http: must be a section of key: value lines, got a list (line 15)",
		"frobnicate: unknown key (the config's sections are auth, chat, console, http, lazada, log, replicas, report, shopee, slack, state, stores, sync, telegram, tiktok) (line 16)",
	} {
		if !slices.Contains(ce.Problems, want) {
			t.Errorf("no problem line %q", want)
		}
	}
	for _, p := range ce.Problems {
		if strings.Contains(p, "main.") || strings.Contains(p, "not found in type") || strings.Contains(p, "cannot unmarshal") {
			t.Errorf("a problem in the decoder's words: %q", p)
		}
	}
	if t.Failed() {
		t.Logf("problems:\n%s", strings.Join(ce.Problems, "\n"))
	}
}

// A YAML syntax error says where (line and column) and what usually
// causes it.
func TestYAMLSyntaxErrorsHaveLineColumnAndHint(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"tab", "chat: console\nsync:\n\tpoll_interval: 5s\n",
			"line 3, column 1: YAML syntax: found character that cannot start any token; hint: a tab: YAML indents with spaces only"},
		{"colon in value", "chat: console\nslack:\n  bot_token: a: b\n",
			`line 3, column 15: YAML syntax: mapping values are not allowed in this context; hint: a value containing ": " must be quoted, like key: "a: b"`},
		{"over-indented key", "chat: console\nsync:\n  poll_interval: 5s\n   debounce: 2s\n",
			"line 4, column 4: YAML syntax: mapping values are not allowed in this context; hint: this line is indented more than the key above it: keys of one section line up"},
		{"unclosed brace", "chat: console\nstores:\n  - {id: a, platform: shopee\nhttp: {}\n",
			"line 3, column 5: YAML syntax: did not find expected ',' or '}'; hint: an inline {…} or […] opened here is not closed on its line"},
		{"unclosed quote", "chat: \"console\nhttp: {}\n",
			"line 1, column 7: YAML syntax: found unexpected end of stream; hint: a quote opened and not closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("t.yaml", []byte(tc.yaml), env(nil))
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0] != tc.want {
				t.Fatalf("got %v\nwant the one problem %q", err, tc.want)
			}
		})
	}
}

// An unused chat section's ${ENV} need not be set: a console setup with
// a slack: section left in the file starts without SLACK_BOT_TOKEN.
func TestUnusedSlackSectionNeedsNoToken(t *testing.T) {
	y := validConfig + "slack:\n  bot_token: ${SLACK_BOT_TOKEN}\n  app_token: ${SLACK_APP_TOKEN}\n  inbox_channel: C123\n"
	cfg, err := ParseConfig("t.yaml", []byte(y), env(map[string]string{"KEY": "k", "AT": "a", "RT": "r"}))
	if err != nil {
		t.Fatalf("chat: console with an unused slack section: %v", err)
	}
	if cfg.Chat != "console" {
		t.Errorf("chat = %q, want console", cfg.Chat)
	}
}

// check-config says what would run: the surface, the stores per platform,
// the state backend with the DSN's password hidden (and no SQLite path for
// PostgreSQL), the token key and the listener.
func TestCheckConfigSummarisesWhatWouldRun(t *testing.T) {
	t.Setenv("SHOPEE_KEY", "k")
	t.Setenv("LAZADA_SECRET", "l")
	t.Setenv("TIKTOK_SECRET", "t")
	cases := []struct {
		name, state, key string
		want, notWant    []string
	}{
		{"sqlite", "", "",
			[]string{
				"t.yaml: ok; it would run:\n",
				"  chat surface  console (this terminal, replying as console)\n",
				"  stores        3: shopee 1 (shopee-my); lazada 1 (lazada-sg); tiktok 1 (tiktok-th)\n",
				"  state         sqlite at shopbridge.db\n",
				"  token key     SHOPBRIDGE_SECRET_KEY not set: marketplace tokens stored unencrypted\n",
				"  http          listening on 127.0.0.1:8080",
			}, nil},
		{"postgres url", "state: {backend: postgres, dsn: 'postgres://sb:hunter2@db:5432/shopbridge?sslmode=require', schema: sb}\n", testSecretKey,
			[]string{
				"  state         postgres at postgres://sb:xxxxx@db:5432/shopbridge?sslmode=require, schema sb\n",
				"  token key     SHOPBRIDGE_SECRET_KEY set: marketplace tokens encrypted at rest\n",
			}, []string{"hunter2", "shopbridge.db"}},
		{"postgres key=value", "state: {backend: postgres, dsn: 'host=db user=sb password=hunter2 dbname=shopbridge'}\n", "",
			[]string{"  state         postgres at host=db user=sb password=xxxxx dbname=shopbridge\n"},
			[]string{"hunter2", "shopbridge.db"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SHOPBRIDGE_SECRET_KEY", tc.key)
			path := filepath.Join(t.TempDir(), "t.yaml")
			if err := os.WriteFile(path, []byte(threePlatforms+tc.state), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			if code := run([]string{"check-config", path}, nil, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			got := strings.ReplaceAll(out.String(), path, "t.yaml")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("no %q in:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("%q shown in:\n%s", w, got)
				}
			}
		})
	}
	// A malformed key is the one problem check-config cannot see in the file.
	t.Setenv("SHOPBRIDGE_SECRET_KEY", "aGVsbG8=")
	path := filepath.Join(t.TempDir(), "t.yaml")
	os.WriteFile(path, []byte(threePlatforms), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"check-config", path}, nil, &out, &errb); code != 1 || !strings.HasPrefix(errb.String(), "shopbridge: SHOPBRIDGE_SECRET_KEY: must decode to 16, 24 or 32 bytes, got 5") {
		t.Errorf("bad key: exit %d, %q", code, errb.String())
	}
}
