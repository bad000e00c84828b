package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// demoOptions are the knobs of `shopbridge demo`.
type demoOptions struct {
	duration time.Duration
	shops    int
	buyers   int
	interval time.Duration
	dbPath   string
	newState bool
	verbose  bool
	outage   time.Duration
	every    time.Duration
}

// cmdDemo runs a whole bridge on this machine: the marketplace simulator
// over loopback HTTP with several Shopee shops and scripted buyers, the real
// Shopee client, SQLite state, and the console surface (or Slack/Telegram
// when their tokens are in the environment), with scripted agents answering
// and a periodic outage.
func cmdDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o demoOptions
	fs.DurationVar(&o.duration, "duration", 0, "run this long, then print a summary and exit (0: until interrupted)")
	fs.IntVar(&o.shops, "shops", 4, "how many Shopee shops")
	fs.IntVar(&o.buyers, "buyers", 4, "scripted buyers per shop")
	fs.DurationVar(&o.interval, "interval", 400*time.Millisecond, "wait between two buyer messages")
	fs.StringVar(&o.dbPath, "db", "", "state database (default: a fresh one in a temporary folder)")
	fs.BoolVar(&o.newState, "new-state", false, "with --db: take an empty file as a new state database")
	fs.BoolVar(&o.verbose, "verbose", false, "log at info level (default: warnings only)")
	fs.DurationVar(&o.outage, "outage", 0, "length of each simulated marketplace outage (default: a quarter of --duration, at most 8s)")
	fs.DurationVar(&o.every, "outage-every", 60*time.Second, "time between outages when running without --duration")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The console surface and the demo's own lines share the terminal.
	stdout = &lockedWriter{w: stdout}
	if o.shops < 1 || o.buyers < 1 {
		return errors.New("demo: --shops and --buyers must be at least 1")
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
	pushURL := "http://" + listen + "/push/shopee"
	sim := newDemoSimulator(o.shops, pushURL)
	simCtx, stopSim := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSim()
	if err := sim.Start(simCtx, "127.0.0.1:0"); err != nil {
		return fmt.Errorf("demo: start simulator: %w", err)
	}
	defer sim.Close()

	cfg := demoConfig(sim, listen, pushURL, o.dbPath)
	cfg.SetDefaults()
	if problems := cfg.Validate(); len(problems) > 0 {
		return &ConfigError{Path: "demo", Problems: problems}
	}
	state, err := openState(ctx, cfg, log, stateOptions{newState: o.newState})
	if err != nil {
		return err
	}
	defer state.Close()
	var (
		engine  *bridge.Engine
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
		return fmt.Errorf("demo: start: %w", err)
	}
	fmt.Fprintf(stdout, "demo: %d Shopee shops on the simulator at %s, chat surface %s, state %s\n", o.shops, sim.URL(), cfg.Chat, o.dbPath)
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
		replied: map[bridge.ThreadRef]time.Time{}, retried: map[bridge.ChatMessageRef]bool{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); d.outages(runCtx, o) }()
	go func() { defer wg.Done(); d.agents(runCtx) }()
	<-runCtx.Done()
	buyers.Stop()
	wg.Wait()

	// Settle: a last sync of every store and a moment for replies in flight.
	settleCtx, cancelSettle := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelSettle()
	sim.ClearFaults()
	for _, s := range engine.Stores() {
		if _, err := engine.SyncNow(settleCtx, s.ID); err != nil {
			log.Warn("final sync failed", "store", s.ID, "err", err)
		}
	}
	d.waitReplies(settleCtx)
	summary := d.summary(settleCtx, state, o.shops)
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
func demoConfig(sim *simulator.Simulator, listen, pushURL, dbPath string) *Config {
	sh := &shopee.Config{PartnerID: sim.PartnerID(), PartnerKey: sim.PartnerKey(), BaseURL: sim.URL(), PushCallbackURL: pushURL}
	cfg := &Config{
		Log:    LogConfig{Level: "warn"},
		HTTP:   HTTPConfig{Listen: listen},
		State:  StateConfig{Backend: "sqlite", Path: dbPath},
		Shopee: sh,
		Sync: SyncConfig{
			PollInterval: 2 * time.Second, FailureThreshold: 2, Debounce: 3 * time.Second,
			ProbeBackoffMax: 3 * time.Second, SendBackoff: time.Second, SendBackoffMax: 4 * time.Second, SendAttempts: demoSendAttempts,
			SyncTimeout: 20 * time.Second, ShutdownGrace: 5 * time.Second,
		},
	}
	for _, s := range sim.StoreConfigs() {
		cfg.Stores = append(cfg.Stores, StoreConfig{
			ID: string(s.ID), Platform: string(s.Platform), ShopID: s.ShopID, Name: s.Name, Site: s.Site,
			AccessToken: s.AccessToken, RefreshToken: s.RefreshToken,
		})
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
	engine  *bridge.Engine
	surface *console.Surface
	out     io.Writer
	log     *slog.Logger

	mu      sync.Mutex
	replied map[bridge.ThreadRef]time.Time
	replies []bridge.ChatMessageRef
	retried map[bridge.ChatMessageRef]bool
	outageN int
}

// outages takes the marketplace down periodically: once at 30% of a timed
// run, or every --outage-every.
func (d *demoRun) outages(ctx context.Context, o demoOptions) {
	first := o.every / 2
	if o.duration > 0 {
		first = o.duration * 3 / 10
	}
	wait := first
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		fmt.Fprintf(d.out, "demo: simulating a marketplace outage for %s\n", o.outage)
		d.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse, For: o.outage})
		d.mu.Lock()
		d.outageN++
		d.mu.Unlock()
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

// agents answer threads that await a reply, as agents in the chat would.
// The third reply is made to fail once (the marketplace refuses it) and the
// agent presses Retry.
func (d *demoRun) agents(ctx context.Context) {
	if d.surface == nil {
		return
	}
	tick := time.NewTicker(1500 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d.pressRetryIfFailed(ctx)
		for _, th := range d.surface.Threads() {
			if !th.Header.AwaitingReply {
				continue
			}
			d.mu.Lock()
			last := d.replied[th.Ref]
			d.mu.Unlock()
			if time.Since(last) < 6*time.Second {
				continue
			}
			n++
			if n == 3 {
				// The marketplace keeps failing this one until the bridge
				// gives up: it shows failed with the reason and a Retry,
				// and the agent presses Retry.
				d.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Path: "send_message", ShopID: th.Header.Store.ShopID, Count: demoSendAttempts})
			}
			if ctx.Err() != nil {
				return
			}
			ref, err := d.surface.Say(ctx, th.Ref, "agent-ana", demoAnswers[n%len(demoAnswers)])
			if err != nil {
				d.log.Warn("demo agent could not reply", "err", err)
				continue
			}
			d.mu.Lock()
			d.replied[th.Ref] = time.Now()
			d.replies = append(d.replies, ref)
			d.mu.Unlock()
			break // one reply per tick, like a person typing
		}
	}
}

// pressRetryIfFailed presses Retry once on each scripted reply that failed.
func (d *demoRun) pressRetryIfFailed(ctx context.Context) {
	st := d.surface.ReplyStatuses()
	d.mu.Lock()
	var press []bridge.Reply
	for _, ref := range d.replies {
		if r, ok := st[ref]; ok && r.Status == bridge.ReplyFailed && !d.retried[ref] {
			d.retried[ref] = true
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

// summary counts, by comparing what the marketplace holds with what the
// chat received, how many buyer messages were lost or duplicated.
func (d *demoRun) summary(ctx context.Context, state bridge.State, shops int) string {
	buyerMsgs, lost, dup := 0, 0, 0
	counted := d.surface != nil
	for _, s := range d.engine.Stores() {
		for _, m := range d.sim.Messages(s.ShopID) {
			if m.From != simulator.FromBuyer {
				continue
			}
			buyerMsgs++
			if !counted {
				continue
			}
			switch n := d.surface.PostedCount(bridge.MessageID(m.ID)); {
			case n == 0:
				lost++
				if lost <= 5 {
					d.log.Error("demo: buyer message never reached the chat", "store", s.ID, "conversation", m.ConversationID, "message", m.ID, "type", m.Type, "at", m.CreatedAt)
				}
			case n > 1:
				dup += n - 1
			}
		}
	}
	threads, sent, failedRetried := 0, 0, 0
	if counted {
		threads = len(d.surface.Threads())
		st := d.surface.ReplyStatuses()
		d.mu.Lock()
		for _, ref := range d.replies {
			if r, ok := st[ref]; ok && r.Status == bridge.ReplySent {
				sent++
				if d.retried[ref] {
					failedRetried++
				}
			}
		}
		d.mu.Unlock()
	}
	recovered, caught := 0, 0
	if incs, err := state.Incidents(ctx, time.Time{}); err == nil {
		for _, in := range incs {
			if in.Scope == "marketplace" && !in.EndedAt.IsZero() && !in.CatchUpFailed {
				recovered++
				caught += in.CaughtUp
			}
		}
	}
	if !counted {
		return fmt.Sprintf("demo: %d stores, %d buyer messages, %d outage recovered (%d caught up); lost/duplicated are counted on the console surface only",
			shops, buyerMsgs, recovered, caught)
	}
	return fmt.Sprintf("demo: %d stores, %d buyer messages in %d threads, %d replies sent, %d failed then retried, %d outage recovered (%d caught up), lost %d, duplicated %d",
		shops, buyerMsgs, threads, sent, failedRetried, recovered, caught, lost, dup)
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
