package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/platforms/httpx"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

// demoOptions are the knobs of `shopbridge demo`.
type demoOptions struct {
	duration time.Duration
	shops    demoShops
	buyers   int
	interval time.Duration
	dbPath   string
	newState bool
	verbose  bool
	outage   time.Duration
	every    time.Duration
	// outagePlatform is the marketplace the (first) outage takes down.
	outagePlatform string
	// agentEvery is how often the scripted agents look for a thread to
	// answer (one reply each time), replyGap how long they leave a thread
	// they answered; tests shorten them (default 1.5 s and 6 s).
	agentEvery, replyGap time.Duration
	// quickSends shortens the bridge's waits around a failed send (its
	// backoff, and how long it waits before it looks whether a send of
	// unknown outcome arrived) from seconds to a fraction, for tests.
	quickSends bool
}

// demoShops is how many shops of each platform the demo runs.
type demoShops struct{ shopee, lazada, tiktok int }

func (n demoShops) total() int { return n.shopee + n.lazada + n.tiktok }

// platforms lists the platforms with shops, in the config's order.
func (n demoShops) platforms() []bridge.Platform {
	var out []bridge.Platform
	for _, p := range []struct {
		p bridge.Platform
		n int
	}{{bridge.PlatformShopee, n.shopee}, {bridge.PlatformLazada, n.lazada}, {bridge.PlatformTikTok, n.tiktok}} {
		if p.n > 0 {
			out = append(out, p.p)
		}
	}
	return out
}

const demoSynopsis = `  shopbridge demo [--duration 30s] [--outage-platform shopee|lazada|tiktok]
      run a whole bridge on this machine: a built-in marketplace simulator,
      the real clients, SQLite state and the console (or Slack/Telegram
      with their tokens in the environment)
`

// cmdDemo runs a whole bridge on this machine: the marketplace simulator
// over loopback HTTP with Shopee, Lazada and TikTok Shop shops side by side
// and scripted buyers, the real clients (Shopee polled, Lazada push-first,
// TikTok by webhook with its safety-net poll), SQLite state, and the
// console surface (or Slack/Telegram when their tokens are in the
// environment), with scripted agents answering and an outage of one
// marketplace at a time.
func cmdDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("demo", demoSynopsis)
	var o demoOptions
	fs.DurationVar(&o.duration, "duration", 0, "run this long, then print a summary and exit (0: until interrupted)")
	fs.IntVar(&o.shops.shopee, "shops", 2, "how many Shopee shops")
	fs.IntVar(&o.shops.lazada, "lazada", 1, "how many Lazada shops (push-first)")
	fs.IntVar(&o.shops.tiktok, "tiktok", 1, "how many TikTok Shop shops")
	fs.StringVar(&o.outagePlatform, "outage-platform", "lazada", "the marketplace the outage takes down (shopee, lazada or tiktok); without --duration the outages rotate through the platforms in use")
	fs.IntVar(&o.buyers, "buyers", 4, "scripted buyers per shop")
	fs.DurationVar(&o.interval, "interval", 400*time.Millisecond, "wait between two buyer messages")
	fs.StringVar(&o.dbPath, "db", "", "state database (default: a fresh one in a temporary folder)")
	fs.BoolVar(&o.newState, "new-state", false, "with --db: take an empty file as a new state database")
	fs.BoolVar(&o.verbose, "verbose", false, "log at info level (default: warnings only)")
	fs.DurationVar(&o.outage, "outage", 0, "length of each simulated marketplace outage (default: a quarter of --duration, at most 8s)")
	fs.DurationVar(&o.every, "outage-every", 60*time.Second, "time between outages when running without --duration")
	if _, err := fs.parse(args, stdout, 0, 0); err != nil {
		return err
	}
	return runDemo(ctx, o, stdin, stdout, stderr)
}

// runDemo is the demo with its options parsed.
func runDemo(ctx context.Context, o demoOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	o.agentEvery = cmp.Or(o.agentEvery, 1500*time.Millisecond)
	o.replyGap = cmp.Or(o.replyGap, 6*time.Second)
	// The console surface and the demo's own lines share the terminal.
	stdout = &lockedWriter{w: stdout}
	if o.shops.shopee < 0 || o.shops.lazada < 0 || o.shops.tiktok < 0 || o.shops.total() < 1 || o.buyers < 1 {
		return usagef("demo", "--shops, --lazada and --tiktok must not be negative, with at least one shop in all, and --buyers must be at least 1")
	}
	switch bridge.Platform(o.outagePlatform) {
	case bridge.PlatformShopee, bridge.PlatformLazada, bridge.PlatformTikTok:
	default:
		return usagef("demo", "--outage-platform %q is not shopee, lazada or tiktok", o.outagePlatform)
	}
	if !slices.Contains(o.shops.platforms(), bridge.Platform(o.outagePlatform)) {
		o.outagePlatform = string(o.shops.platforms()[0])
	}
	if o.outage == 0 {
		o.outage = 8 * time.Second
		if o.duration > 0 {
			o.outage = min(o.outage, o.duration/4)
		}
	}
	if o.dbPath == "" {
		dir, err := os.MkdirTemp("", "shopbridge-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.dbPath = filepath.Join(dir, "demo.db")
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	listen, err := freeAddr()
	if err != nil {
		return err
	}
	bridgeURL := "http://" + listen
	sim := newDemoSimulator(o.shops, bridgeURL)
	simCtx, stopSim := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSim()
	if err := sim.Start(simCtx, "127.0.0.1:0"); err != nil {
		return fmt.Errorf("demo: start simulator: %w", err)
	}
	defer sim.Close()

	cfg := demoConfig(sim, listen, o.dbPath)
	if o.quickSends {
		cfg.Sync.SendBackoff, cfg.Sync.SendBackoffMax = 100*time.Millisecond, 400*time.Millisecond
		cfg.Sync.SendTimeout, cfg.Sync.ReconcileMargin = time.Second, 200*time.Millisecond
	}
	cfg.SetDefaults()
	if problems := cfg.Validate(); len(problems) > 0 {
		return &ConfigError{Path: "demo", Problems: problems}
	}
	state, err := openState(ctx, cfg, log, stateOptions{newState: o.newState, daemon: true})
	if err != nil {
		return err
	}
	defer state.Close()
	var (
		engine  *engine.Engine
		surface *console.Surface
	)
	populate := []any{&engine}
	if cfg.Chat == "console" {
		populate = append(populate, &surface)
	}
	app := fx.New(bridgeOptions(cfg, log, appIO{In: stdin, Out: stdout}, state), fx.Populate(populate...))
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return startError(err)
	}
	fmt.Fprintf(stdout, "demo: %d Shopee, %d Lazada and %d TikTok Shop shops on the simulator at %s, chat surface %s, state %s\n",
		o.shops.shopee, o.shops.lazada, o.shops.tiktok, sim.URL(), cfg.Chat, o.dbPath)
	if surface != nil {
		fmt.Fprintln(stdout, `demo: type "reply T1 your text", "retry <id>", "/status" or "/help"; scripted agents answer too`)
	}

	runCtx := ctx
	if o.duration > 0 {
		var c context.CancelFunc
		runCtx, c = context.WithTimeout(ctx, o.duration)
		defer c()
	}
	buyers, err := sim.StartBuyers(runCtx, simulator.BuyerScript{BuyersPerShop: o.buyers, Interval: o.interval, NonText: 0.1})
	if err != nil {
		return err
	}
	d := &demoRun{sim: sim, engine: engine, surface: surface, out: stdout, log: log,
		replied: map[bridge.ThreadRef]time.Time{}, retried: map[bridge.ChatMessageRef]bool{},
		replyPlatform: map[bridge.ChatMessageRef]bridge.Platform{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); d.outages(runCtx, o) }()
	go func() { defer wg.Done(); d.agents(runCtx, o) }()
	<-runCtx.Done()
	buyers.Stop()
	wg.Wait()

	// Settle: pushes and webhooks still being delivered (Lazada delivers a
	// failed push again, every 2 s on the demo's simulator), a last sync of
	// every store, replies in flight, and the posting of what is recorded.
	settleCtx, cancelSettle := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelSettle()
	sim.ClearFaults()
	d.keepFailing()
	d.ensureFailing(settleCtx, o)
	d.waitDeliveries(settleCtx)
	for _, s := range engine.Stores() {
		if _, err := engine.SyncNow(settleCtx, s.ID); err != nil {
			log.Warn("final sync failed", "store", s.ID, "err", err)
		}
	}
	d.waitReplies(settleCtx)
	d.waitPosted(settleCtx)
	d.waitRecovered(settleCtx, state)
	summary := d.summary(settleCtx, state)
	stopCtx, cancelStop := context.WithTimeout(context.Background(), stopTimeout(cfg))
	defer cancelStop()
	if err := app.Stop(stopCtx); err != nil {
		log.Warn("demo: stop", "err", err)
	}
	fmt.Fprintln(stdout, summary)
	return nil
}

// freeAddr finds a free loopback port for the bridge's listener, so the
// simulator knows where to push before the bridge starts.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// demoConfig points a bridge at the simulator, with timings short enough to
// show an outage, its alert and the catch-up within a minute.
func demoConfig(sim *simulator.Simulator, listen, dbPath string) *Config {
	base := "http://" + listen
	cfg := &Config{
		Log:   LogConfig{Level: "warn"},
		HTTP:  HTTPConfig{Listen: listen},
		State: StateConfig{Backend: "sqlite", Path: dbPath},
		Sync: engine.Config{
			PollInterval: 2 * time.Second, FailureThreshold: 2, Debounce: 3 * time.Second,
			ProbeBackoffMax: 3 * time.Second, SendBackoff: time.Second, SendBackoffMax: 4 * time.Second, SendAttempts: demoSendAttempts,
			SyncTimeout: 20 * time.Second, ShutdownGrace: 5 * time.Second,
			// A reply whose outcome is unknown (cut off by an outage, a 5xx)
			// is looked for after 4 s, not 50.
			SendTimeout: 3 * time.Second, ReconcileMargin: time.Second,
			// Lazada: a health check every 2 s (1 min in production) and the
			// history import 5 s after the start (12 min).
			HealthInterval: 2 * time.Second, ImportDelay: 5 * time.Second,
		},
	}
	used := map[bridge.Platform]bool{}
	for _, s := range sim.StoreConfigs() {
		used[s.Platform] = true
		cfg.Stores = append(cfg.Stores, StoreConfig{
			ID: string(s.ID), Platform: string(s.Platform), ShopID: s.ShopID, Name: s.Name, Site: s.Site,
			AccessToken: s.AccessToken, RefreshToken: s.RefreshToken,
		})
	}
	// The demo's outages last seconds: one quick retry of a read, so that
	// two failed syncs in a row (the alert) fit in them.
	demoHTTP := httpx.Config{Timeout: 5 * time.Second, RetryMax: 1, RetryWaitMin: 200 * time.Millisecond, RetryWaitMax: time.Second}
	if used[bridge.PlatformShopee] {
		cfg.Shopee = &shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL(),
			PushCallbackURL: base + shopee.DefaultPushPath, HTTP: demoHTTP}
	}
	if used[bridge.PlatformLazada] {
		lc := sim.LazadaConfig()
		cfg.Lazada = &lazada.Config{AppKey: lc.AppKey, AppSecret: lc.AppSecret, GatewayURL: sim.URL() + "/rest",
			AuthURL: sim.URL() + "/rest", AuthorizeURL: sim.URL() + "/oauth/authorize", HTTP: demoHTTP}
	}
	if used[bridge.PlatformTikTok] {
		tc := sim.TikTok()
		cfg.TikTok = &tiktok.Config{AppKey: tc.AppKey, AppSecret: tc.AppSecret, BaseURL: sim.URL(), AuthURL: sim.URL(),
			AuthorizeURL: sim.URL() + "/open/authorize", ServiceID: tc.ServiceID, HTTP: demoHTTP,
			// The safety-net poll at its shortest (5 min in production).
			PollInterval: tiktok.MinPollInterval}
	}
	// Slack or Telegram when their tokens are in the environment.
	switch {
	case os.Getenv("SLACK_BOT_TOKEN") != "" && os.Getenv("SLACK_APP_TOKEN") != "":
		cfg.Chat = "slack"
		cfg.Slack = &slack.Config{BotToken: os.Getenv("SLACK_BOT_TOKEN"), AppToken: os.Getenv("SLACK_APP_TOKEN"),
			InboxChannel: os.Getenv("SLACK_CHANNEL"), APIURL: os.Getenv("SLACK_API_URL")}
		if admins := os.Getenv("SLACK_ADMINS"); admins != "" {
			cfg.Slack.Admins = splitList(admins)
		}
	case os.Getenv("TELEGRAM_BOT_TOKEN") != "":
		chat, _ := strconv.ParseInt(os.Getenv("TELEGRAM_CHAT_ID"), 10, 64)
		cfg.Chat = "telegram"
		cfg.Telegram = &telegram.Config{Token: os.Getenv("TELEGRAM_BOT_TOKEN"), InboxChat: chat, APIURL: os.Getenv("TELEGRAM_API_URL")}
		for _, a := range splitList(os.Getenv("TELEGRAM_ADMINS")) {
			if id, err := strconv.ParseInt(a, 10, 64); err == nil {
				cfg.Telegram.Admins = append(cfg.Telegram.Admins, id)
			}
		}
	default:
		cfg.Chat = "console"
	}
	return cfg
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// demoSendAttempts is how many times the demo's bridge tries a reply
// before showing it failed.
const demoSendAttempts = 3
