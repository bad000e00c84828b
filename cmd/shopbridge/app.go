package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.uber.org/dig"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/lease"
	"github.com/shopbridge/shopbridge/bridge/report"
	"github.com/shopbridge/shopbridge/bridge/templates"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/postgres"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// newLogger builds the structured logger the whole bridge uses.
func newLogger(cfg LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	switch cfg.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// fxLogger logs the framework's own events (constructors provided, hooks
// run, and its errors too) at debug level only: at info a run shows the
// bridge's lines, and a start-up error is told once, as one line, by the
// command (see startError).
func fxLogger(log *slog.Logger) fxevent.Logger {
	l := &fxevent.SlogLogger{Logger: log.With("component", "fx")}
	l.UseLogLevel(slog.LevelDebug)
	l.UseErrorLevel(slog.LevelDebug)
	return l
}

// startError is an error from building or starting the application as one
// line that starts with what to fix: fx and dig wrap a constructor's error
// in their chain ("could not build arguments for function … failed to
// build *bridge.Engine: …"), which says where in the wiring it happened,
// not what is wrong; the root cause says that.
func startError(err error) error {
	if err == nil {
		return nil
	}
	return dig.RootCause(err)
}

// appIO is where the console surface reads and writes.
type appIO struct {
	In  io.Reader
	Out io.Writer
}

// bridgeOptions wires a bridge from a configuration and its state, opened
// beforehand with openState: HTTP listener, marketplace clients, the chat
// surface and the engine, each started and stopped through fx's lifecycle.
// The caller closes st after the application has stopped.
func bridgeOptions(cfg *Config, log *slog.Logger, aio appIO, st bridge.State) fx.Option {
	opts := []fx.Option{
		fx.Supply(cfg, log, aio),
		fx.WithLogger(func() fxevent.Logger { return fxLogger(log) }),
		fx.Provide(
			func() bridge.Clock { return bridge.SystemClock{} },
			func() bridge.State { return st },
			fx.Annotate(newServer, fx.As(fx.Self()), fx.As(new(bridge.Routes))),
			newRefusals,
			bridge.NewHints,
			newEngine,
			newAuth,
			newReporter,
			newTemplates,
		),
		marketplaceOptions(cfg),
		chatOptions(cfg),
		fx.Invoke(func(*engine.Engine, *auth.Flow, *report.Reporter, *templates.Book) {}),
		fx.Invoke(cutChatCallsAtGrace),
	}
	return fx.Options(opts...)
}

// stateOptions are a command's choices about opening the state.
type stateOptions struct {
	// newState (--new-state) takes an empty SQLite file as a new state
	// database instead of refusing it.
	newState bool
	// readOnly: the command only reads the state (report): a missing SQLite
	// file is refused rather than created, nothing is migrated and tokens
	// stored in the clear are left so (the running bridge encrypts them).
	readOnly bool
	// daemon: the command runs the bridge (run, demo) and holds a SQLite
	// file for itself until it stops (sqlite.WithExclusive): SQLite is
	// single-replica, so a second bridge on the file is refused at start.
	// The other commands (report, store) run beside it.
	daemon bool
}

// newStateHint ends the refusal of an empty state database.
const newStateHint = "; if this is a new install, delete it or start with --new-state"

// openState opens the configured state backend with SHOPBRIDGE_SECRET_KEY.
// The commands call it before they build anything else, so that a refused
// database (empty, foreign, damaged, in a missing directory, or holding
// tokens the key does not open) is one line of its own — not the tail of
// an fx constructor chain — and nothing has started, let alone posted.
func openState(ctx context.Context, cfg *Config, log *slog.Logger, so stateOptions) (bridge.State, error) {
	var cipher state.Cipher
	if key := os.Getenv("SHOPBRIDGE_SECRET_KEY"); key != "" {
		c, err := state.CipherFromKey(key)
		if err != nil {
			return nil, fmt.Errorf("SHOPBRIDGE_SECRET_KEY: %w", err)
		}
		cipher = c
	}
	var (
		db  bridge.State
		err error
	)
	switch cfg.State.Backend {
	case "postgres":
		opts := []postgres.Option{postgres.WithLogger(log), postgres.WithReadOnly(so.readOnly)}
		if cipher != nil {
			opts = append(opts, postgres.WithCipher(cipher))
		}
		if cfg.State.Schema != "" {
			opts = append(opts, postgres.WithSchema(cfg.State.Schema))
		}
		db, err = postgres.Open(ctx, cfg.State.DSN, opts...)
	default:
		opts := []sqlite.Option{sqlite.WithLogger(log), sqlite.WithAcceptEmpty(so.newState), sqlite.WithReadOnly(so.readOnly),
			sqlite.WithExclusive(so.daemon)}
		if cipher != nil {
			opts = append(opts, sqlite.WithCipher(cipher))
		}
		db, err = sqlite.Open(ctx, cfg.State.Path, opts...)
	}
	if errors.Is(err, state.ErrEmptyDatabase) {
		return nil, fmt.Errorf("%w%s", err, newStateHint)
	}
	if err != nil {
		return nil, err
	}
	if cipher == nil {
		log.Warn("SHOPBRIDGE_SECRET_KEY is not set: marketplace tokens are stored unencrypted in the state database")
	}
	return db, nil
}

func newServer(lc fx.Lifecycle, cfg *Config, log *slog.Logger) *Server {
	s := NewServer(cfg.HTTP, log.With("component", "http"))
	lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	return s
}

// marketplaceOptions provides one client per platform in use (a store is
// on it, or its section is valid: see Config.PlatformEnabled), each as a
// bridge.Marketplace in the "marketplaces" group, and the one
// *bridge.Pushes that the engine attaches to and that the Lazada and TikTok
// clients record the messages of pushes and webhooks into.
func marketplaceOptions(cfg *Config) fx.Option {
	opts := []fx.Option{fx.Provide(bridge.NewPushes)}
	if cfg.PlatformEnabled(bridge.PlatformShopee) {
		opts = append(opts, fx.Provide(fx.Annotate(newShopee, fx.ResultTags(`group:"marketplaces"`))))
	}
	if cfg.PlatformEnabled(bridge.PlatformLazada) {
		opts = append(opts, fx.Provide(fx.Annotate(newLazada, fx.ResultTags(`group:"marketplaces"`, `group:"list_calls"`))))
	}
	if cfg.PlatformEnabled(bridge.PlatformTikTok) {
		opts = append(opts, fx.Provide(fx.Annotate(newTikTok, fx.ResultTags(`group:"marketplaces"`))))
	}
	return fx.Options(opts...)
}

// platformParams are what the Lazada and TikTok clients are built from.
type platformParams struct {
	fx.In
	Config   *Config
	State    bridge.State
	Pushes   *bridge.Pushes
	Hints    *bridge.Hints
	Routes   bridge.Routes
	Refusals *bridge.Refusals
	Clock    bridge.Clock
	Logger   *slog.Logger
}

// newLazada builds the push-first Lazada client: its push endpoint records
// into the shared Pushes, and its IM list calls are counted in /metrics.
func newLazada(p platformParams) (bridge.Marketplace, listCallCounter, error) {
	c, err := lazada.New(*p.Config.Lazada, lazada.Deps{
		Tokens: p.State, InitialTokens: p.Config.InitialTokens(), Pushes: p.Pushes,
		Stores: p.Config.StoresOf(bridge.PlatformLazada), Hints: p.Hints, Clock: p.Clock,
		Logger: p.Logger, Refusals: p.Refusals,
	})
	if err != nil {
		return nil, nil, err
	}
	c.RegisterRoutes(p.Routes)
	return c, c, nil
}

// newTikTok builds the TikTok Shop client: webhooks record into the shared
// Pushes, the engine polls it as a safety net (bridge.PollPolicy), and its
// redirect path forwards the shop owner to the core's callback.
func newTikTok(p platformParams) (bridge.Marketplace, error) {
	c, err := tiktok.New(*p.Config.TikTok, tiktok.Deps{
		Tokens: p.State, InitialTokens: p.Config.InitialTokens(), Pushes: p.Pushes,
		Stores: p.Config.StoresOf(bridge.PlatformTikTok), Hints: p.Hints, Clock: p.Clock,
		Logger: p.Logger, Refusals: p.Refusals,
	})
	if err != nil {
		return nil, err
	}
	c.RegisterRoutes(p.Routes)
	return c, nil
}

func newShopee(lc fx.Lifecycle, cfg *Config, st bridge.State, hints *bridge.Hints, routes bridge.Routes, refusals *bridge.Refusals, clock bridge.Clock, log *slog.Logger) (bridge.Marketplace, error) {
	c, err := shopee.New(*cfg.Shopee, shopee.Deps{
		Tokens: st, InitialTokens: cfg.InitialTokens(), Hints: hints, Clock: clock,
		Logger: log, Refusals: refusals,
	})
	if err != nil {
		return nil, err
	}
	c.RegisterRoutes(routes)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				if err := c.RunLostPushRecovery(ctx); err != nil && ctx.Err() == nil {
					log.Warn("shopee lost-push recovery stopped", "err", err)
				}
			}()
			return nil
		},
		OnStop: func(context.Context) error { cancel(); <-done; return nil },
	})
	return c, nil
}

// chatOptions provides the configured chat surface as bridge.Chat.
func chatOptions(cfg *Config) fx.Option {
	switch cfg.Chat {
	case "slack":
		return fx.Options(fx.Supply(*cfg.Slack), slack.Module)
	case "telegram":
		return fx.Options(
			fx.Supply(*cfg.Telegram),
			fx.Provide(func(st bridge.State) telegram.MetaStore { return st }),
			telegram.Module,
		)
	}
	return fx.Provide(
		func(aio appIO, cfg *Config, log *slog.Logger, clock bridge.Clock, st bridge.State) (*console.Surface, error) {
			return console.New(cfg.Console, console.Deps{In: aio.In, Out: aio.Out, Logger: log, Clock: clock, Meta: st, Replies: st})
		},
		func(s *console.Surface) bridge.Chat { return s },
	)
}

type engineParams struct {
	fx.In
	Lifecycle    fx.Lifecycle
	Config       *Config
	State        bridge.State
	Chat         bridge.Chat
	Marketplaces []bridge.Marketplace `group:"marketplaces"`
	Clock        bridge.Clock
	Logger       *slog.Logger
	Hints        *bridge.Hints
	Server       *Server
	Refusals     *bridge.Refusals
	Pushes       *bridge.Pushes
	ListCalls    []listCallCounter `group:"list_calls"`
}

// newEngine builds the engine; with a config file, `stores refresh` reads
// it again.
func newEngine(p engineParams) *engine.Engine {
	deps := engine.Deps{
		State: p.State, Chat: p.Chat, Marketplaces: p.Marketplaces, Stores: p.Config.StoreList(),
		Clock: p.Clock, Logger: p.Logger, Hints: p.Hints, Pushes: p.Pushes,
	}
	if p.Config.path != "" {
		deps.StoreLoader = configStoreLoader(p.Config.path, p.State)
	}
	if l, ok := p.State.(bridge.Leases); ok && p.Config.State.Backend == "postgres" {
		// Several replicas may share this database: the stores and the
		// jobs that must run once are shared by leases.
		deps.Leases = l
		deps.ReplicaID = cmp.Or(p.Config.Replicas.ID, os.Getenv("SHOPBRIDGE_REPLICA_ID"))
		deps.Singletons = []string{lease.Report}
	}
	e := engine.New(p.Config.EngineConfig(), deps)
	p.Server.SetReady(func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return e.Ready(ctx, readyBacklogStuck)
	})
	registerMetrics(p.Server, e, p.Refusals, p.ListCalls...)
	p.Server.SetHealth(func() (bool, string) {
		h := e.Monitor().ChatHealth()
		if h.Down {
			return false, "chat surface down: " + h.LastError
		}
		var down, update []string
		for _, s := range e.Stores() {
			switch h := e.Monitor().StoreHealth(s.ID); {
			case h.NeedsUpdate:
				update = append(update, string(s.ID))
			case h.Down:
				down = append(down, string(s.ID))
			}
		}
		msg := "ok"
		if len(down) > 0 {
			msg += "; stores unreachable: " + strings.Join(down, ", ")
		}
		if len(update) > 0 {
			msg += "; stores needing update (re-authorization): " + strings.Join(update, ", ")
		}
		if h := e.Monitor().StateHealth(); h.Down {
			msg += "; state database failing: " + h.LastError
		}
		return true, msg
	})
	p.Lifecycle.Append(fx.Hook{OnStart: e.Start, OnStop: e.Stop})
	return e
}

// newTemplates registers the quick reply templates with the engine.
func newTemplates(e *engine.Engine, st bridge.State, clock bridge.Clock, log *slog.Logger) (*templates.Book, error) {
	book := templates.New(templates.Deps{State: st, Store: e.Store, Clock: clock, Logger: log})
	if err := e.Register(book); err != nil {
		return nil, err
	}
	return book, nil
}

// readyBacklogStuck is how long a message may wait to be posted, with the
// chat up, before /readyz says the replica is not ready.
const readyBacklogStuck = 10 * time.Minute
