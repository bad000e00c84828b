// Command shopbridge bridges Shopee, Lazada and TikTok Shop buyer
// conversations into Slack or Telegram threads.
//
//	shopbridge run --config shopbridge.yaml   run the bridge
//	shopbridge demo [--duration 30s]          run a whole bridge on a built-in simulator
//	shopbridge init [path]                    write a commented example config
//	shopbridge check-config [--config path]   validate a config and exit
//	shopbridge store authorize <store>        authorize a store (link for the shop owner)
//	shopbridge report [--since 24h] [--post]  print or post the daily inspection report
//	shopbridge simulate [--addr host:port]    run the marketplace simulator alone
//	shopbridge healthcheck                    probe the running bridge's /healthz
//	shopbridge version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/fx"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `shopbridge — Shopee, Lazada and TikTok Shop buyer chats in Slack or Telegram threads.

Usage:
  shopbridge run --config shopbridge.yaml [--new-state]
                                            run the bridge (--new-state: take an empty
                                            state database file as a new one)
  shopbridge demo [--duration 30s]          run a whole bridge on a built-in marketplace simulator
  shopbridge init [path]                    write a commented example config (default shopbridge.yaml)
  shopbridge check-config [--config path]   validate a config: one line per problem
  shopbridge store authorize <store> [--config path] [--new-state]
                                            print a store's authorization link and save its new tokens
  shopbridge report [--since 24h|7d|2006-01-02T15:04] [--post] [--config path]
                                            print the daily inspection report, or post it now
  shopbridge simulate [--addr host:port]    run the marketplace simulator alone and print a store config
  shopbridge healthcheck [--config path]    ask the running bridge's /healthz: exit 0 healthy, 1 not
  shopbridge version                        print the version

Run ` + "`shopbridge <command> -h`" + ` for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code (0 done or
// help shown, 1 failed, 2 a usage mistake).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdin, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdin, stdout, stderr)
	case "init":
		err = cmdInit(args[1:], stdout)
	case "check-config":
		err = cmdCheckConfig(args[1:], stdout)
	case "report":
		err = cmdReport(ctx, args[1:], stdin, stdout, stderr)
	case "simulate":
		err = cmdSimulate(ctx, args[1:], stdout, stderr)
	case "store":
		err = cmdStore(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		err = cmdHealthcheck(ctx, args[1:], stdout)
	case "version", "--version", "-v":
		err = cmdVersion(args[1:], stdout)
	case "help", "--help", "-h":
		if len(args) > 1 && args[1] != "help" && !strings.HasPrefix(args[1], "-") {
			// `shopbridge help run` is `shopbridge run -h`.
			return run([]string{args[1], "-h"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("", "unknown command %q", args[0])
	}
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, ue.line())
		return 2
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		fmt.Fprintln(stderr, "shopbridge: refusing to start:", ce.Error())
		return 1
	}
	fmt.Fprintln(stderr, "shopbridge:", err)
	return 1
}

const runSynopsis = `  shopbridge run --config shopbridge.yaml [--new-state]
      run the bridge
`

func cmdRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("run", runSynopsis)
	path := fs.String("config", "", "path of the config file (required)")
	newState := fs.Bool("new-state", false, "take an empty state database file as a new one (by default it is refused: a state file that became empty would repost earlier buyer messages)")
	if _, err := fs.parse(args, stdout, 0, 0); err != nil {
		return err
	}
	if *path == "" {
		return usagef("run", "--config is required: write one with `shopbridge init shopbridge.yaml`, or try `shopbridge demo` first")
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	st, err := openState(ctx, cfg, log, stateOptions{newState: *newState, daemon: true})
	if err != nil {
		return err
	}
	defer st.Close()
	app := fx.New(bridgeOptions(cfg, log, appIO{In: stdin, Out: stdout}, st))
	return runApp(ctx, app, stopTimeout(cfg))
}

const versionSynopsis = `  shopbridge version
      print the version
`

func cmdVersion(args []string, stdout io.Writer) error {
	if _, err := newFlags("version", versionSynopsis).parse(args, stdout, 0, 0); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "shopbridge", version)
	return nil
}

// runApp starts an fx application, waits for ctx (a signal), and stops it
// within stop: the shutdown grace plus a margin to close the listener and
// the database (see cutChatCallsAtGrace for how the engine keeps to the
// grace when the chat surface does not answer).
func runApp(ctx context.Context, app *fx.App, stop time.Duration) error {
	startCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return startError(err)
	}
	<-ctx.Done()
	stopCtx, cancel2 := context.WithTimeout(context.Background(), stop)
	defer cancel2()
	return app.Stop(stopCtx)
}

const initSynopsis = `  shopbridge init [path]
      write a commented example config (default shopbridge.yaml); an
      existing file is never overwritten
`

func cmdInit(args []string, stdout io.Writer) error {
	pos, err := newFlags("init", initSynopsis).parse(args, stdout, 0, 1)
	if err != nil {
		return err
	}
	path := "shopbridge.yaml"
	if len(pos) > 0 {
		path = pos[0]
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists: not overwriting it", path)
	}
	if err := os.WriteFile(path, []byte(exampleConfig), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: fill in the ${…} variables, then run `shopbridge check-config --config %s`\n", path, path)
	return nil
}

const checkConfigSynopsis = `  shopbridge check-config [--config path | path]
      validate a config (one line per problem) and print what would run
`

func cmdCheckConfig(args []string, stdout io.Writer) error {
	fs := newFlags("check-config", checkConfigSynopsis)
	path := fs.String("config", "shopbridge.yaml", "path of the config file")
	pos, err := fs.parse(args, stdout, 0, 1)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		*path = pos[0]
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	summary, err := cfg.Summary()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok; it would run:\n", *path)
	for _, line := range summary {
		fmt.Fprintln(stdout, "  "+line)
	}
	return nil
}
