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
		Sync: SyncConfig{
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

// demoRun holds what the scripted parts of the demo share.
type demoRun struct {
	sim     *simulator.Simulator
	engine  *engine.Engine
	surface *console.Surface
	out     io.Writer
	log     *slog.Logger

	mu      sync.Mutex
	replied map[bridge.ThreadRef]time.Time
	replies []bridge.ChatMessageRef
	retried map[bridge.ChatMessageRef]bool
	// replyPlatform is the platform of each scripted reply's thread.
	replyPlatform map[bridge.ChatMessageRef]bridge.Platform
	// failRef is the scripted failing reply (zero until it is made) and
	// failFault the simulator fault that fails its sends, cleared when it
	// shows failed, before the agent presses Retry.
	failRef   bridge.ChatMessageRef
	failFault simulator.FaultID
	failSet   bool
}

// outages takes one marketplace down at a time: once at 30% of a timed
// run (--outage-platform), or every --outage-every, rotating through the
// platforms in use. Its API refuses connections and its pushes and
// webhooks are not delivered (Lazada delivers them again later, TikTok's
// are caught by the poll); the other marketplaces keep working.
func (d *demoRun) outages(ctx context.Context, o demoOptions) {
	first := o.every / 2
	if o.duration > 0 {
		first = o.duration * 3 / 10
	}
	platforms := o.shops.platforms()
	next := slices.Index(platforms, bridge.Platform(o.outagePlatform))
	wait := first
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		p := platforms[next%len(platforms)]
		next++
		fmt.Fprintf(d.out, "demo: simulating a %s outage for %s (the other marketplaces keep working)\n", p, o.outage)
		d.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse, Platform: p, For: o.outage})
		d.sim.SetFault(simulator.Fault{Kind: simulator.FaultDropPushes, Platform: p, For: o.outage})
		if o.duration > 0 {
			return
		}
		wait = o.every
	}
}

var demoAnswers = []string{
	"Hi! Thanks for your message, let me check that for you.",
	"Yes, it is in stock and ships within 24 hours.",
	"Your order is on its way; the tracking number is in your order page.",
	"We can offer a 5% voucher for your next order.",
}

// demoFailingAnswer is the scripted reply that fails: the simulator fails
// every send carrying this text (and no other) until the demo clears the
// fault, so nothing else can use the failure up or be hit by it.
const demoFailingAnswer = "Let me ask the warehouse and come back to you within the hour."

// agents answer threads that await a reply, as agents in the chat would.
// The second reply goes to a thread of the failing platform (Shopee, when
// the demo has Shopee shops) as soon as one awaits a reply, and fails on
// every send until it shows failed; then the agent presses Retry and it
// is sent. When the run ends before that reply was made, the settling
// makes it (sayFailing): every run shows one reply failed then retried.
func (d *demoRun) agents(ctx context.Context, o demoOptions) {
	if d.surface == nil {
		return
	}
	failPlatform := o.shops.platforms()[0]
	tick := time.NewTicker(o.agentEvery)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d.pressRetryIfFailed(ctx)
		d.mu.Lock()
		failSet := d.failSet
		d.mu.Unlock()
		threads := d.surface.Threads()
		if !failSet && n >= 1 {
			// The failing reply is due: its platform's threads first.
			slices.SortStableFunc(threads, func(a, b console.ThreadInfo) int {
				return boolOrder(a.Header.Store.Platform != failPlatform, b.Header.Store.Platform != failPlatform)
			})
		}
		for _, th := range threads {
			if !th.Header.AwaitingReply {
				continue
			}
			d.mu.Lock()
			last := d.replied[th.Ref]
			d.mu.Unlock()
			if time.Since(last) < o.replyGap {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			n++
			var err error
			if n >= 2 && !failSet && th.Header.Store.Platform == failPlatform {
				err = d.sayFailing(ctx, th)
			} else {
				err = d.say(ctx, th, demoAnswers[n%len(demoAnswers)])
			}
			if err != nil {
				if ctx.Err() == nil {
					d.log.Warn("demo agent could not reply", "err", err)
				}
				continue
			}
			break // one reply per tick, like a person typing
		}
	}
}

// boolOrder sorts false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// say answers the buyer of th with text as the scripted agent.
func (d *demoRun) say(ctx context.Context, th console.ThreadInfo, text string) error {
	ref, err := d.surface.Say(ctx, th.Ref, "agent-ana", text)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.replied[th.Ref] = time.Now()
	d.replies = append(d.replies, ref)
	d.replyPlatform[ref] = th.Header.Store.Platform
	d.mu.Unlock()
	return nil
}

// sayFailing makes the scripted failing reply in th: the simulator fails
// every send carrying its text until the demo clears the fault.
func (d *demoRun) sayFailing(ctx context.Context, th console.ThreadInfo) error {
	fault, err := d.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Contains: demoFailingAnswer})
	if err != nil {
		return fmt.Errorf("demo: script the failing reply: %w", err)
	}
	d.mu.Lock()
	d.failFault = fault
	d.mu.Unlock()
	ref, err := d.surface.Say(ctx, th.Ref, "agent-ana", demoFailingAnswer)
	if err != nil {
		d.sim.ClearFault(fault)
		return err
	}
	d.mu.Lock()
	d.failRef, d.failSet = ref, true
	d.replied[th.Ref] = time.Now()
	d.replies = append(d.replies, ref)
	d.replyPlatform[ref] = th.Header.Store.Platform
	d.mu.Unlock()
	return nil
}

// ensureFailing makes the scripted failing reply now when the run ended
// before the agents made it, in the first thread of the failing platform.
func (d *demoRun) ensureFailing(ctx context.Context, o demoOptions) {
	if d.surface == nil {
		return
	}
	d.mu.Lock()
	done := d.failSet
	d.mu.Unlock()
	if done {
		return
	}
	failPlatform := o.shops.platforms()[0]
	for _, th := range d.surface.Threads() {
		if th.Header.Store.Platform != failPlatform {
			continue
		}
		if err := d.sayFailing(ctx, th); err != nil {
			d.log.Warn("demo: could not make the scripted failing reply", "err", err)
		}
		return
	}
}

// keepFailing installs the scripted reply's fault again after the
// outages' faults were cleared, when that reply has not failed yet: it
// fails and is retried in every run, however short.
func (d *demoRun) keepFailing() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.failSet || d.retried[d.failRef] {
		return
	}
	id, err := d.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Contains: demoFailingAnswer})
	if err != nil {
		d.log.Warn("demo: could not keep the scripted reply failing", "err", err)
		return
	}
	d.failFault = id
}

// pressRetryIfFailed presses Retry once on each scripted reply that
// failed; for the scripted failing one it first clears the fault.
func (d *demoRun) pressRetryIfFailed(ctx context.Context) {
	st := d.surface.ReplyStatuses()
	d.mu.Lock()
	var press []bridge.Reply
	for _, ref := range d.replies {
		if r, ok := st[ref]; ok && r.Status == bridge.ReplyFailed && !d.retried[ref] {
			d.retried[ref] = true
			if ref == d.failRef {
				d.sim.ClearFault(d.failFault)
			}
			press = append(press, r)
		}
	}
	d.mu.Unlock()
	for _, r := range press {
		d.surface.Press(ctx, bridge.ActionRetrySend, strconv.FormatInt(int64(r.ID), 10), "agent-ana")
	}
}

// waitReplies waits until every scripted reply ended sent or failed.
func (d *demoRun) waitReplies(ctx context.Context) {
	if d.surface == nil {
		return
	}
	for {
		d.pressRetryIfFailed(ctx)
		pending := 0
		st := d.surface.ReplyStatuses()
		d.mu.Lock()
		for _, ref := range d.replies {
			if r, ok := st[ref]; !ok || !r.Status.Final() || (r.Status == bridge.ReplyFailed && !d.retried[ref]) {
				pending++
			}
		}
		d.mu.Unlock()
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitDeliveries waits until the simulator has no push or webhook left to
// deliver: Lazada's failed pushes are delivered again (every 2 s here),
// TikTok's webhooks retried or dropped.
func (d *demoRun) waitDeliveries(ctx context.Context) {
	for {
		st := d.sim.LazadaPushStats()
		pending := st.Waiting + st.InFlight
		for _, w := range d.sim.TikTokWebhooks() {
			if !w.Delivered && !w.Dropped && !w.GivenUp {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			d.log.Warn("demo: pushes still waiting for delivery", "pending", pending)
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitRecovered waits until no marketplace incident is open: an outage
// that ended just before the run did is being debounced and caught up.
func (d *demoRun) waitRecovered(ctx context.Context, state bridge.State) {
	if d.surface == nil {
		return
	}
	for {
		open := 0
		if incs, err := state.Incidents(ctx, time.Time{}); err == nil {
			for _, in := range incs {
				if in.Scope == "marketplace" && in.EndedAt.IsZero() {
					open++
				}
			}
		}
		if open == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitPosted waits until every recorded message is posted.
func (d *demoRun) waitPosted(ctx context.Context) {
	if d.surface == nil {
		return // Slack or Telegram: nothing is counted, and they may not answer
	}
	for {
		pending := 0
		if backlog, err := d.engine.Backlog(ctx); err == nil {
			for _, b := range backlog {
				pending += b.Pending
			}
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// platformCount is the summary of one platform.
type platformCount struct {
	stores, buyerMsgs, threads, sent, lost, dup int
}

// summary counts, per platform, by comparing what the marketplace holds
// with what the chat received, how many buyer messages were lost or
// duplicated.
func (d *demoRun) summary(ctx context.Context, state bridge.State) string {
	counted := d.surface != nil
	per := map[bridge.Platform]*platformCount{}
	var order []bridge.Platform
	platformOf := map[bridge.StoreID]bridge.Platform{}
	count := func(p bridge.Platform) *platformCount {
		if per[p] == nil {
			per[p] = &platformCount{}
			order = append(order, p)
		}
		return per[p]
	}
	var lazadaShops []string
	for _, s := range d.engine.Stores() {
		c := count(s.Platform)
		c.stores++
		platformOf[s.ID] = s.Platform
		if s.Platform == bridge.PlatformLazada {
			lazadaShops = append(lazadaShops, s.ShopID)
		}
		for _, m := range d.sim.Messages(s.ShopID) {
			if m.From != simulator.FromBuyer {
				continue
			}
			c.buyerMsgs++
			if !counted {
				continue
			}
			switch n := d.surface.PostedCount(bridge.MessageID(m.ID)); {
			case n == 0:
				c.lost++
				if c.lost <= 5 {
					d.log.Error("demo: buyer message never reached the chat", "store", s.ID, "conversation", m.ConversationID, "message", m.ID, "type", m.Type, "at", m.CreatedAt)
				}
			case n > 1:
				c.dup += n - 1
			}
		}
	}
	scripted, otherRetried := 0, 0
	if counted {
		for _, th := range d.surface.Threads() {
			count(th.Header.Store.Platform).threads++
		}
		st := d.surface.ReplyStatuses()
		d.mu.Lock()
		for _, ref := range d.replies {
			if r, ok := st[ref]; ok && r.Status == bridge.ReplySent {
				count(d.replyPlatform[ref]).sent++
				switch {
				case d.retried[ref] && ref == d.failRef:
					scripted++
				case d.retried[ref]:
					otherRetried++
				}
			}
		}
		d.mu.Unlock()
	}
	var outages []string
	if incs, err := state.Incidents(ctx, time.Time{}); err == nil {
		for _, in := range incs {
			if in.Scope != "marketplace" || in.EndedAt.IsZero() || in.CatchUpFailed {
				continue
			}
			var names, platforms []string
			for _, id := range in.Stores {
				names = append(names, string(id))
				if p := string(platformOf[id]); !slices.Contains(platforms, p) {
					platforms = append(platforms, p)
				}
			}
			outages = append(outages, fmt.Sprintf("%s outage recovered (alert named %s; %d caught up)",
				strings.Join(platforms, "+"), strings.Join(names, ", "), in.CaughtUp))
		}
	}
	head := fmt.Sprintf("demo: %d stores", len(d.engine.Stores()))
	if len(outages) == 0 {
		head += ", no outage recovered"
	} else {
		head += ", " + strings.Join(outages, ", ")
	}
	if counted {
		head += fmt.Sprintf(", %d reply failed then retried", scripted)
		if otherRetried > 0 {
			head += fmt.Sprintf(" (and %d more failed during the outage, retried)", otherRetried)
		}
	}
	if p := d.sim.LazadaPushStats(); p.Redelivered > 0 {
		head += fmt.Sprintf(", %d Lazada pushes delivered again", p.Redelivered)
	}
	parts := []string{head}
	for _, p := range order {
		c := per[p]
		stores := "stores"
		if c.stores == 1 {
			stores = "store"
		}
		if !counted {
			parts = append(parts, fmt.Sprintf("%s %d %s: %d buyer messages", p, c.stores, stores, c.buyerMsgs))
			continue
		}
		part := fmt.Sprintf("%s %d %s: %d buyer messages in %d threads, %d replies sent", p, c.stores, stores, c.buyerMsgs, c.threads, c.sent)
		if p == bridge.PlatformLazada {
			calls := 0
			for _, shop := range lazadaShops {
				calls += d.sim.LazadaPolling(shop).ListCalls
			}
			part += fmt.Sprintf(", %d IM list calls (history import only)", calls)
		}
		parts = append(parts, part+fmt.Sprintf(", lost %d, duplicated %d", c.lost, c.dup))
	}
	if !counted {
		parts = append(parts, "lost/duplicated are counted on the console surface only")
	}
	return strings.Join(parts, "; ")
}

// lockedWriter serialises writes of several goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
