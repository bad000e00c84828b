package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"time"

	// Time zones for report schedules, also where the system has no tzdata
	// (minimal containers).
	_ "time/tzdata"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/lease"
	"github.com/shopbridge/shopbridge/bridge/report"
)

// newReporter builds the daily inspection reporter and registers its
// `report` command with the engine: its schedules start after the engine
// and stop before it.
func newReporter(lc fx.Lifecycle, cfg *Config, e *engine.Engine, st bridge.State, chat bridge.Chat, clock bridge.Clock, log *slog.Logger) (*report.Reporter, error) {
	r, err := report.New(cfg.Report, report.Deps{State: st, Chat: chat, Stores: e.Stores, Clock: clock, Logger: log,
		Owns: func() bool { return e.Holds(lease.Report) }},
		report.WithConfigTokens(configTokenStores(cfg)...))
	if err != nil {
		return nil, err
	}
	if err := e.Register(r); err != nil {
		return nil, err
	}
	lc.Append(fx.Hook{OnStart: r.Start, OnStop: r.Stop})
	return r, nil
}

// configTokenStores lists the stores whose tokens the config file gives.
func configTokenStores(cfg *Config) []bridge.StoreID {
	var ids []bridge.StoreID
	for id := range cfg.InitialTokens() {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

const reportSynopsis = `  shopbridge report [--since 24h|7d|2006-01-02T15:04] [--post [--channel C]] [--config path]
      print the daily inspection report from the state database, or post it
      now through the chat surface; it changes nothing in the state
`

// cmdReport is `shopbridge report`: it computes the daily inspection report
// from the state database and prints it, or posts it through the chat
// surface with --post. It works while the bridge runs (SQLite allows a
// second reader) and while it is stopped.
func cmdReport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("report", reportSynopsis)
	path := fs.String("config", "shopbridge.yaml", "path of the config file")
	since := fs.String("since", "", "start of the period: a duration back from now (24h, 7d) or a time in the report's time zone (2026-03-09T09:00); default the report period (24h)")
	post := fs.Bool("post", false, "post the report through the chat surface instead of printing it")
	channel := fs.String("channel", "", "with --post: the channel (or Telegram chat) to post to; default the surface's report channel")
	if _, err := fs.parse(args, stdout, 0, 0); err != nil {
		return err
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.Report.Timezone)
	if err != nil {
		return fmt.Errorf("report.timezone: %w", err)
	}
	now := time.Now()
	from, err := reportSince(*since, now, loc, cfg.Report.Period)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)

	// The state as the bridge opens it (backend, encryption key, refusals),
	// but never created: a report of a database that is not there is a
	// mistaken path. With --post, the chat surface through the bridge's own
	// constructors.
	st, err := openState(ctx, cfg, log, stateOptions{readOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	var chat bridge.Chat
	opts := []fx.Option{fx.NopLogger, fx.Supply(cfg, log, appIO{In: stdin, Out: stdout}),
		fx.Provide(func() bridge.Clock { return bridge.SystemClock{} }, func() bridge.State { return st })}
	if *post {
		// A surface in HTTP or webhook mode registers its endpoints; this
		// process only posts, so they go to a mux nobody serves.
		opts = append(opts, chatOptions(cfg), fx.Populate(&chat),
			fx.Provide(func() bridge.Routes { return http.NewServeMux() }))
	}
	app := fx.New(opts...)
	if err := app.Err(); err != nil {
		return startError(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = app.Stop(sctx)
	}()

	tokens := map[bridge.StoreID]bool{}
	for _, id := range configTokenStores(cfg) {
		tokens[id] = true
	}
	r, err := report.Build(ctx, report.Source{State: st, Stores: cfg.StoreList(), Now: now, ConfigTokens: tokens}, cfg.Report, from, now)
	if err != nil {
		return err
	}
	if !*post {
		fmt.Fprintln(stdout, r.Text(nil))
		return nil
	}
	ref, err := report.Post(ctx, chat, *channel, r)
	if errors.Is(err, report.ErrNoSurface) {
		return fmt.Errorf("the %s surface cannot post reports; run without --post to print it", cfg.Chat)
	}
	if ref.IsZero() && err != nil {
		return fmt.Errorf("post the report: %w", err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "shopbridge: the report summary was posted, but not all of its details: %v\n", err)
	}
	if cfg.Chat != "console" {
		fmt.Fprintf(stdout, "posted the report (%s) to %s: %s\n", r.Title, cfg.Chat, r.Headline())
	}
	return nil
}

// reportSince reads --since: empty for the default period, a duration or a
// number of days back from now, or a local time in loc.
func reportSince(s string, now time.Time, loc *time.Location, period time.Duration) (time.Time, error) {
	if s == "" {
		return now.Add(-period), nil
	}
	if d, err := report.ParsePeriod(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if !t.Before(now) {
				return time.Time{}, fmt.Errorf("--since %s is not in the past", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q is neither a period (24h, 7d) nor a time like 2026-03-09T09:00", s)
}
