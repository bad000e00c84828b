package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/shopee"
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

// appIO is where the console surface reads and writes.
type appIO struct {
	In  io.Reader
	Out io.Writer
}

// bridgeOptions wires a bridge from a configuration: state, HTTP listener,
// marketplace clients, the chat surface and the engine, each started and
// stopped through fx's lifecycle.
func bridgeOptions(cfg *Config, log *slog.Logger, aio appIO) fx.Option {
	opts := []fx.Option{
		fx.Supply(cfg, log, aio),
		fx.WithLogger(func() fxevent.Logger { return &fxevent.SlogLogger{Logger: log.With("component", "fx")} }),
		fx.Provide(
			func() bridge.Clock { return bridge.SystemClock{} },
			newState,
			fx.Annotate(newServer, fx.As(fx.Self()), fx.As(new(bridge.Routes))),
			newRefusals,
			bridge.NewHints,
			newEngine,
			newAuth,
			newReporter,
		),
		marketplaceOptions(cfg),
		chatOptions(cfg),
		fx.Invoke(func(*bridge.Engine, *bridge.Auth, *bridge.Reporter) {}),
		fx.Invoke(cutChatCallsAtGrace),
	}
	return fx.Options(opts...)
}

// newState opens the state backend and closes it last on stop.
func newState(lc fx.Lifecycle, cfg *Config, log *slog.Logger) (bridge.State, error) {
	var cipher state.Cipher
	if key := os.Getenv("SHOPBRIDGE_SECRET_KEY"); key != "" {
		c, err := state.CipherFromKey(key)
		if err != nil {
			return nil, fmt.Errorf("SHOPBRIDGE_SECRET_KEY: %w", err)
		}
		cipher = c
	} else {
		log.Warn("SHOPBRIDGE_SECRET_KEY is not set: marketplace tokens are stored unencrypted in the state database")
	}
	var (
		db  bridge.State
		err error
	)
	switch cfg.State.Backend {
	case "postgres":
		opts := []postgres.Option{postgres.WithLogger(log)}
		if cipher != nil {
			opts = append(opts, postgres.WithCipher(cipher))
		}
		if cfg.State.Schema != "" {
			opts = append(opts, postgres.WithSchema(cfg.State.Schema))
		}
		db, err = postgres.Open(context.Background(), cfg.State.DSN, opts...)
	default:
		opts := []sqlite.Option{sqlite.WithLogger(log)}
		if cipher != nil {
			opts = append(opts, sqlite.WithCipher(cipher))
		}
		db, err = sqlite.Open(context.Background(), cfg.State.Path, opts...)
	}
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(db.Close))
	return db, nil
}

func newServer(lc fx.Lifecycle, cfg *Config, log *slog.Logger) *Server {
	s := NewServer(cfg.HTTP, log.With("component", "http"))
	lc.Append(fx.Hook{OnStart: s.Start, OnStop: s.Stop})
	return s
}

// marketplaceOptions provides one client per platform in use.
func marketplaceOptions(cfg *Config) fx.Option {
	if cfg.Shopee == nil {
		return fx.Options()
	}
	return fx.Provide(fx.Annotate(newShopee, fx.ResultTags(`group:"marketplaces"`)))
}

func newShopee(lc fx.Lifecycle, cfg *Config, st bridge.State, hints *bridge.Hints, routes bridge.Routes, refusals *bridge.Refusals, clock bridge.Clock, log *slog.Logger) (bridge.Marketplace, error) {
	c, err := shopee.New(*cfg.Shopee, shopee.Deps{
		Tokens: st, InitialTokens: cfg.InitialTokens(), Hints: hints, Clock: clock,
		Logger: log.With("platform", "shopee"), Refusals: refusals,
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
}

func newEngine(p engineParams) *bridge.Engine {
	e := bridge.NewEngine(p.Config.EngineConfig(), bridge.EngineDeps{
		State: p.State, Chat: p.Chat, Marketplaces: p.Marketplaces, Stores: p.Config.StoreList(),
		Clock: p.Clock, Logger: routeRefusals(p.Logger, p.Refusals), Hints: p.Hints,
	})
	registerMetrics(p.Server, e, p.Refusals)
	p.Server.SetHealth(func() (bool, string) {
		h := e.Monitor().ChatHealth()
		if h.Down {
			return false, "chat surface down: " + h.LastError
		}
		var down []string
		for _, s := range e.Stores() {
			if e.Monitor().StoreHealth(s.ID).Down {
				down = append(down, string(s.ID))
			}
		}
		if len(down) > 0 {
			return true, "ok; stores unreachable: " + strings.Join(down, ", ")
		}
		return true, "ok"
	})
	p.Lifecycle.Append(fx.Hook{OnStart: e.Start, OnStop: e.Stop})
	return e
}
