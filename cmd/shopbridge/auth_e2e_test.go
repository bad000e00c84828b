package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// waitFor polls cond in real time (for work done by other goroutines or
// processes, never for timing logic).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	bridgetest.Eventually(t, what, cond)
}

// openInBrowser plays the shop owner: it opens the authorization link with
// the simulator's shop_id parameter (which approves at once) and follows
// the redirect back to the bridge. It returns the bridge's page.
func openInBrowser(t *testing.T, link, shopID string) (int, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("shop_id", shopID)
	u.RawQuery = q.Encode()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u.String())
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func startSimulator(t *testing.T, clock bridge.Clock, shops ...string) *simulator.Simulator {
	t.Helper()
	sim := simulator.New(simulator.Config{Clock: clock, Seed: 7})
	sites := []string{"MY", "SG"}
	for i, id := range shops {
		sim.AddShop(simulator.Shop{ShopID: id, Site: sites[i%len(sites)], Name: "Shop " + id})
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	return sim
}

// assertNotIn fails if any secret occurs in text.
func assertNotIn(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("a secret (%d chars) leaked into %s", len(s), where)
		}
	}
}

// assertEncryptedAtRest fails if a token is stored in the clear in any of
// the database's files.
func assertEncryptedAtRest(t *testing.T, dir string, tokens ...string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, tok := range tokens {
			if tok != "" && bytes.Contains(data, []byte(tok)) {
				t.Fatalf("token stored in the clear in %s", filepath.Base(f))
			}
		}
	}
}

// The whole flow over real HTTP: the real Shopee client builds the link,
// the simulator's auth_partner approves and redirects to the bridge's
// listener, the callback exchanges the code at the simulator's token
// endpoint, the refresher renews the tokens before they expire, a revoked
// authorization marks the store "needs update", and authorizing again
// clears it.
func TestAuthorizationFlowAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	clock := bridgetest.NewClock(time.Now().UTC().Truncate(time.Second))
	sim := startSimulator(t, clock, "1001", "2002")
	logs := &bridgetest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client, err := shopee.New(shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL()},
		shopee.Deps{Tokens: st, Clock: clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	store := bridge.Store{ID: "shopee-my-1001", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Shop 1001", Site: "MY"}

	cfg := &Config{HTTP: HTTPConfig{Listen: freeListen(t)}}
	cfg.SetDefaults()
	srv := NewServer(cfg.HTTP, log)
	chat := bridgetest.NewChat()
	flow := auth.New(auth.Config{PublicURL: cfg.PublicBaseURL(), RefreshMargin: 30 * time.Minute, CheckInterval: 30 * 24 * time.Hour}, auth.Deps{
		State: st, Chat: chat, Marketplaces: []bridge.Marketplace{client}, Stores: func() []bridge.Store { return []bridge.Store{store} },
		Clock: clock, Logger: log,
	})
	flow.RegisterRoutes(srv)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)

	// A forged callback is refused before any code is exchanged.
	code, _ := sim.AuthorizationCode("1001")
	resp, err := http.Get("http://" + srv.Addr() + "/auth/shopee/callback?store=shopee-my-1001&state=forged&code=" + code + "&shop_id=1001")
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged state: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	// The owner of another shop approves the link: refused.
	link, err := flow.Link(ctx, store.ID, bridge.AuthRequester{Surface: "test", UserID: "U1", UserName: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if status, page := openInBrowser(t, link.URL, "2002"); status != http.StatusBadRequest || !strings.Contains(page, "Wrong shop") {
		t.Fatalf("another shop: %d %s", status, page)
	}
	if _, err := st.LoadTokens(ctx, store.ID); !errors.Is(err, bridge.ErrNotFound) {
		t.Fatalf("tokens saved for the wrong shop: %v", err)
	}

	// The right owner approves: the code is exchanged and the tokens saved.
	link, err = flow.Link(ctx, store.ID, bridge.AuthRequester{Surface: "test", UserID: "U1", UserName: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link.URL, sim.URL()+"/api/v2/shop/auth_partner?") {
		t.Fatalf("link %s does not go to the simulator's auth_partner", link.URL)
	}
	status, page := openInBrowser(t, link.URL, "1001")
	if status != http.StatusOK || !strings.Contains(page, "Store authorized") {
		t.Fatalf("callback page: %d %s", status, page)
	}
	issued, _ := sim.Tokens("1001")
	saved, err := st.LoadTokens(ctx, store.ID)
	if err != nil || saved.AccessToken != issued.AccessToken || saved.RefreshToken != issued.RefreshToken {
		t.Fatalf("saved tokens are not the issued ones (%v)", err)
	}
	if a := chat.Alerts(); len(a) != 2 || a[1].Last().Title != "Store authorized: shopee MY Shop 1001" {
		t.Fatalf("alerts: %d", len(a))
	}

	// 3h31m later (tokens live 4h, margin 30m) the refresher renews them.
	clock.Advance(3*time.Hour + 31*time.Minute)
	if err := flow.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refresher renewed the tokens", func() bool {
		cur, _ := sim.Tokens("1001")
		got, _ := st.LoadTokens(ctx, store.ID)
		return cur.Refreshes == 1 && got.AccessToken == cur.AccessToken
	})
	if err := flow.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	refreshed, _ := sim.Tokens("1001")

	// The seller revokes the app: the next refresh is refused.
	if err := sim.RevokeTokens("1001"); err != nil {
		t.Fatal(err)
	}
	if _, err := flow.RefreshNow(ctx, store.ID); bridge.Classify(err) != bridge.KindAuth {
		t.Fatalf("refresh after revocation: %v", err)
	}
	sa, _ := bridge.StoreAuthStatus(ctx, st, store.ID)
	if !sa.NeedsUpdate {
		t.Fatalf("a refused refresh must mark the store: %+v", sa)
	}
	alerts := chat.Alerts()
	needs := alerts[len(alerts)-1]
	if needs.Last().Title != "Store needs update: shopee MY Shop 1001" {
		t.Fatalf("alert: %+v", needs.Last())
	}

	// Authorizing again clears it and resolves the alert.
	link, err = flow.Link(ctx, store.ID, bridge.AuthRequester{Surface: "test", UserID: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if status, page := openInBrowser(t, link.URL, "1001"); status != http.StatusOK {
		t.Fatalf("second authorization: %d %s", status, page)
	}
	if sa, _ := bridge.StoreAuthStatus(ctx, st, store.ID); sa.NeedsUpdate {
		t.Fatal("still needs update after authorizing again")
	}
	for _, a := range chat.Alerts() {
		if a.Ref == needs.Ref && a.Last().Severity != bridge.SeverityResolved {
			t.Fatalf("needs-update alert not resolved: %+v", a.Last())
		}
	}
	final, _ := sim.Tokens("1001")
	assertNotIn(t, "the logs", logs.String(), issued.AccessToken, issued.RefreshToken, refreshed.AccessToken,
		refreshed.RefreshToken, final.AccessToken, final.RefreshToken, sim.PartnerKey(), code)
	for _, a := range chat.Alerts() {
		for _, v := range a.Versions {
			assertNotIn(t, "the alerts", v.Text, issued.AccessToken, refreshed.RefreshToken, final.AccessToken, sim.PartnerKey())
		}
	}
}

const cliConfig = `
log: {level: info}
http: {listen: "%s"}
state: {path: "%s"}
chat: console
shopee:
  partner_id: %d
  partner_key: "%s"
  base_url: "%s"
stores:
%s`

func storeYAML(id, shop, site string) string {
	return fmt.Sprintf("  - {id: %s, platform: shopee, shop_id: \"%s\", name: Shop %s, site: %s}\n", id, shop, shop, site)
}

func writeConfig(t *testing.T, dir, listen string, sim *simulator.Simulator, stores string) string {
	t.Helper()
	path := filepath.Join(dir, "shopbridge.yaml")
	data := fmt.Sprintf(cliConfig, listen, filepath.Join(dir, "state.db"), sim.PartnerID(), sim.PartnerKey(), sim.URL(), stores)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const testSecretKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func freeListen(t *testing.T) string {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// readAudit reads the audit with the test's SHOPBRIDGE_SECRET_KEY (a
// database with encrypted tokens opens only with its key).
func readAudit(t *testing.T, dbPath string) []bridge.AuditEntry {
	t.Helper()
	var opts []sqlite.Option
	if c, err := state.CipherFromKey(os.Getenv("SHOPBRIDGE_SECRET_KEY")); err != nil {
		t.Fatal(err)
	} else if c != nil {
		opts = append(opts, sqlite.WithCipher(c))
	}
	st, err := sqlite.Open(context.Background(), dbPath, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.Audit(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var linkRE = regexp.MustCompile(`http://\S+/api/v2/shop/auth_partner\?\S+`)

// `shopbridge store authorize` without a running bridge: it prints the
// link, receives the callback itself, saves the tokens (encrypted) and
// audits the action with surface "cli".
func TestStoreAuthorizeCLI(t *testing.T) {
	t.Setenv("SHOPBRIDGE_SECRET_KEY", testSecretKey)
	sim := startSimulator(t, nil, "1001")
	dir := t.TempDir()
	path := writeConfig(t, dir, freeListen(t), sim, storeYAML("shopee-my-1001", "1001", "MY"))
	var stdout, stderr bridgetest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"store", "authorize", "shopee-my-1001", "--config", path}, strings.NewReader(""), &stdout, &stderr)
	}()
	var link string
	waitFor(t, "the CLI printed the link and listens", func() bool {
		link = linkRE.FindString(stdout.String())
		return link != "" && strings.Contains(stdout.String(), "Waiting for the callback")
	})
	if status, page := openInBrowser(t, link, "1001"); status != http.StatusOK || !strings.Contains(page, "Store authorized") {
		t.Fatalf("callback page: %d %s", status, page)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the CLI did not exit after the callback")
	}
	if !strings.Contains(stdout.String(), "Store shopee-my-1001 authorized: new tokens saved") {
		t.Fatalf("stdout:\n%s", stdout.String())
	}
	issued, _ := sim.Tokens("1001")
	assertEncryptedAtRest(t, dir, issued.AccessToken, issued.RefreshToken)
	assertNotIn(t, "the CLI's output", stdout.String()+stderr.String(), issued.AccessToken, issued.RefreshToken, sim.PartnerKey())

	audit := readAudit(t, filepath.Join(dir, "state.db"))
	if len(audit) != 2 || audit[0].Surface != "cli" || !audit[0].OK || audit[0].Command != "store authorize shopee-my-1001" ||
		!strings.HasPrefix(audit[0].Result, "authorized") || audit[1].Surface != "http" || !audit[1].OK {
		t.Fatalf("audit: %+v", audit)
	}
}

func TestStoreAuthorizeCLIErrors(t *testing.T) {
	sim := startSimulator(t, nil, "1001")
	dir := t.TempDir()
	listen := freeListen(t)
	path := writeConfig(t, dir, listen, sim, storeYAML("shopee-my-1001", "1001", "MY"))

	var stdout, stderr bytes.Buffer
	code := run([]string{"store", "authorize", "nope", "--config", path}, strings.NewReader(""), &stdout, &stderr)
	if want := "shopbridge: store authorize: " + path + ` has no store "nope"; its stores are shopee-my-1001` + "\n"; code != 1 || !strings.HasSuffix(stderr.String(), want) {
		t.Fatalf("unknown store: exit %d, stderr %q; want exit 1 and %q", code, stderr.String(), want)
	}
	audit := readAudit(t, filepath.Join(dir, "state.db"))
	if len(audit) != 1 || audit[0].Surface != "cli" || audit[0].OK || audit[0].Command != "store authorize nope" {
		t.Fatalf("audit: %+v", audit)
	}

	// The listener is taken (the bridge runs): the link is printed and the
	// running bridge is left to receive the callback.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stdout.Reset()
	stderr.Reset()
	code = run([]string{"store", "authorize", "--config", path, "shopee-my-1001"}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 || !linkRE.MatchString(stdout.String()) || !strings.Contains(stdout.String(), "is in use, presumably by the running bridge") {
		t.Fatalf("listener in use: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}

	stderr.Reset()
	if code := run([]string{"store", "frobnicate"}, strings.NewReader(""), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown subcommand "frobnicate" (the subcommand is authorize)`) {
		t.Fatalf("bad subcommand: exit %d %q", code, stderr.String())
	}
}

// The running bridge: `store update` from chat, the callback on the
// bridge's own listener, confirmation in the chat surface, and
// `stores refresh` picking up a store added to the file.
func TestBridgeStoreUpdateAndStoresRefresh(t *testing.T) {
	t.Setenv("SHOPBRIDGE_SECRET_KEY", testSecretKey)
	sim := startSimulator(t, nil, "1001", "2002")
	dir := t.TempDir()
	listen := freeListen(t)
	path := writeConfig(t, dir, listen, sim, storeYAML("shopee-my-1001", "1001", "MY"))
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, logs bridgetest.Buffer
	stdin, closeIn := io.Pipe()
	defer closeIn.Close()
	var engine *engine.Engine
	ctx := context.Background()
	log := newLogger(cfg.Log, &logs)
	st, err := openState(ctx, cfg, log, stateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	app := fx.New(bridgeOptions(cfg, log, appIO{In: stdin, Out: &out}, st), fx.Populate(&engine))
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := app.Stop(sctx); err != nil {
			t.Error(err)
		}
	}()
	cmd := func(text string, admin bool) bridge.CommandResponse {
		return engine.Command(ctx, bridge.CommandRequest{Surface: "console", UserID: "admin", UserName: "admin", Admin: admin, Text: text})
	}
	if resp := cmd("store update shopee-xx", true); resp.Text != bridge.TextNoStoreToUpdate {
		t.Fatalf("unknown store: %q", resp.Text)
	}
	resp := cmd("store update shopee-my-1001", true)
	link := linkRE.FindString(resp.Text)
	if resp.Error || link == "" || !strings.Contains(link, url.QueryEscape("http://"+listen+"/auth/shopee/callback?")) {
		t.Fatalf("store update: %+v", resp)
	}
	if status, page := openInBrowser(t, link, "1001"); status != http.StatusOK {
		t.Fatalf("callback: %d %s", status, page)
	}
	waitFor(t, "the console shows the confirmation", func() bool { return strings.Contains(out.String(), "Store authorized: shopee MY Shop 1001") })
	issued, _ := sim.Tokens("1001")
	assertEncryptedAtRest(t, dir, issued.AccessToken, issued.RefreshToken)
	if resp := cmd("stores", false); !strings.Contains(resp.Text, "shopee-my-1001") || !strings.Contains(resp.Text, "ok") {
		t.Fatalf("stores: %s", resp.Text)
	}

	// A store is added to the file; the bridge picks it up without a restart.
	writeConfig(t, dir, listen, sim, storeYAML("shopee-my-1001", "1001", "MY")+storeYAML("shopee-sg-2002", "2002", "SG"))
	if resp := cmd("stores refresh", false); resp.Text != bridge.TextNotAdmin {
		t.Fatalf("non-admin refresh: %q", resp.Text)
	}
	resp = cmd("stores refresh", true)
	if resp.Error || resp.Text != "Store list reloaded: 2 stores. added: shopee-sg-2002." {
		t.Fatalf("stores refresh: %q", resp.Text)
	}
	if resp := cmd("store update shopee-sg-2002", true); resp.Error || !linkRE.MatchString(resp.Text) {
		t.Fatalf("store update of the new store: %q", resp.Text)
	}
	// A broken file is refused; the list stays.
	if err := os.WriteFile(path, []byte("stores: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if resp := cmd("stores refresh", true); !resp.Error || len(engine.Stores()) != 2 {
		t.Fatalf("broken config: %q, %d stores", resp.Text, len(engine.Stores()))
	}
	if audit := cmd("audit 3", true); !strings.Contains(audit.Text, "stores refresh") || !strings.Contains(audit.Text, "FAILED") {
		t.Fatalf("audit:\n%s", audit.Text)
	}
	assertNotIn(t, "the logs and the console", logs.String()+out.String(), issued.AccessToken, issued.RefreshToken, sim.PartnerKey())
}

// `shopbridge store authorize` for a Lazada and a TikTok Shop store: each
// client's authorization link, the platform's page (the simulator's, which
// approves at once), the callback (TikTok's through its fixed redirect path
// on the CLI's own listener), and the new tokens saved.
func TestStoreAuthorizeCLILazadaAndTikTok(t *testing.T) {
	t.Setenv("SHOPBRIDGE_SECRET_KEY", testSecretKey)
	listen := freeListen(t)
	sim := newDemoSimulator(demoShops{lazada: 1, tiktok: 1}, "http://"+listen)
	ctx, cancel := context.WithCancel(context.Background())
	if err := sim.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); sim.Close() })
	dir := t.TempDir()
	// The simulator's store config (app sections and stores) without the
	// initial tokens: the stores are authorized from scratch.
	var stores []string
	for _, line := range strings.Split(sim.StoreConfigYAML(), "\n") {
		if !strings.Contains(line, "access_token:") && !strings.Contains(line, "refresh_token:") {
			stores = append(stores, line)
		}
	}
	path := filepath.Join(dir, "shopbridge.yaml")
	data := fmt.Sprintf("log: {level: info}\nhttp: {listen: %q}\nstate: {path: %q}\nchat: console\n%s", listen, filepath.Join(dir, "state.db"), strings.Join(stores, "\n"))
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		store, shop, param string
		link               *regexp.Regexp
	}{
		{"lazada-sg-2001", "2001", "seller_id", regexp.MustCompile(`http://\S+/oauth/authorize\?\S+`)},
		{"tiktok-th-3001", "3001", "shop_id", regexp.MustCompile(`http://\S+/open/authorize\?\S+`)},
	} {
		t.Run(c.store, func(t *testing.T) {
			before, _ := sim.Tokens(c.shop)
			var stdout, stderr bridgetest.Buffer
			done := make(chan int, 1)
			go func() {
				done <- run([]string{"store", "authorize", c.store, "--config", path}, strings.NewReader(""), &stdout, &stderr)
			}()
			var link string
			waitFor(t, "the CLI printed the link and listens", func() bool {
				link = c.link.FindString(stdout.String())
				return link != "" && strings.Contains(stdout.String(), "Waiting for the callback")
			})
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			q.Set(c.param, c.shop)
			u.RawQuery = q.Encode()
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u.String())
			if err != nil {
				t.Fatalf("browser: %v", err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Store authorized") {
				t.Fatalf("callback page: %d %s\nstderr:\n%s", resp.StatusCode, page, stderr.String())
			}
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the CLI did not exit after the callback")
			}
			if !strings.Contains(stdout.String(), "Store "+c.store+" authorized: new tokens saved") {
				t.Fatalf("stdout:\n%s", stdout.String())
			}
			issued, _ := sim.Tokens(c.shop)
			if issued.AccessToken == before.AccessToken {
				t.Error("the simulator issued no new tokens")
			}
			assertEncryptedAtRest(t, dir, issued.AccessToken, issued.RefreshToken)
			assertNotIn(t, "the CLI's output", stdout.String()+stderr.String(), issued.AccessToken, issued.RefreshToken,
				sim.LazadaConfig().AppSecret, sim.TikTok().AppSecret)
		})
	}
}
