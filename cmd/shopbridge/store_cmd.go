package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"
	"syscall"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/platforms/lazada"
	"github.com/shopbridge/shopbridge/platforms/shopee"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

const storeSynopsis = `  shopbridge store authorize <store> [--config shopbridge.yaml] [--wait=false] [--new-state]
      print the store's authorization link for the shop owner; unless the
      bridge is running (it then receives the callback and confirms in chat),
      wait on the HTTP listener for the callback and save the new tokens
`

// cmdStore runs `shopbridge store …`.
func cmdStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "authorize" {
		return cmdStoreAuthorize(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("store", storeSynopsis)
	pos, err := fs.parse(args, stdout, 0, -1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("store", "missing the subcommand (authorize)")
	}
	if pos[0] == "help" {
		fs.printUsage(stdout)
		return nil
	}
	return usagef("store", "unknown subcommand %q (the subcommand is authorize)", pos[0])
}

// cmdStoreAuthorize is the CLI side of "Update Store": the same flow as
// `/shopbridge store update`, audited with surface "cli".
func cmdStoreAuthorize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("store authorize", storeSynopsis)
	path := fs.String("config", "shopbridge.yaml", "path of the config file")
	wait := fs.Bool("wait", true, "wait for the callback on the HTTP listener when the bridge is not running")
	newState := fs.Bool("new-state", false, "take an empty state database file as a new one")
	pos, err := fs.parse(args, stdout, 1, 1)
	if err != nil {
		return err
	}
	id := bridge.StoreID(pos[0])
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)

	// The state as the bridge opens it (backend, encryption key, refusals).
	st, err := openState(ctx, cfg, log, stateOptions{newState: *newState})
	if err != nil {
		return err
	}
	defer st.Close()
	mps, err := cliMarketplaces(cfg, st, log)
	if err != nil {
		return err
	}
	results := make(chan auth.Result, 8)
	a := auth.New(cfg.AuthConfig(), auth.Deps{
		State: st, Marketplaces: mps, Stores: cfg.StoreList,
		Logger: log,
		// Forged callbacks to this temporary listener are counted, not logged each.
		Refusals: bridge.NewRefusals(log.With("component", "http"), nil, cfg.HTTP.RefusalLogInterval),
		OnResult: func(r auth.Result) {
			select {
			case results <- r:
			default:
			}
		},
	})
	who := cliUser()
	audit := func(ok bool, result string) {
		err := st.RecordAudit(context.WithoutCancel(ctx), bridge.AuditEntry{
			At: time.Now(), Surface: "cli", UserID: who, UserName: who,
			Command: "store authorize " + string(id), OK: ok, Result: result,
		})
		if err != nil {
			log.Error("could not record audit entry", "err", err)
		}
	}

	link, err := a.Link(ctx, id, bridge.AuthRequester{Surface: "cli", UserID: who, UserName: who})
	if errors.Is(err, auth.ErrUnknownStore) {
		audit(false, bridge.TextNoStoreToUpdate)
		return unknownStore(*path, cfg, id)
	}
	if err != nil {
		audit(false, "could not start the authorization flow")
		return fmt.Errorf("store authorize: could not create the authorization link of %s: %w", id, err)
	}
	fmt.Fprintf(stdout, "Authorization link for %s (it expires at %s).\nHave the shop owner open it and approve shopbridge:\n\n  %s\n\n",
		link.Store.Label(), link.ExpiresAt.Local().Format("15:04 MST"), link.URL)
	if !*wait {
		audit(true, "link created")
		fmt.Fprintf(stdout, "The bridge's listener (%s) must be running to receive the callback.\n", cfg.HTTP.Listen)
		return nil
	}

	srv := NewServer(cfg.HTTP, log.With("component", "http"))
	a.RegisterRoutes(srv)
	authRedirects(srv, mps)
	if err := srv.Start(ctx); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			audit(true, "link created; the running bridge receives the callback")
			fmt.Fprintf(stdout, "The listener %s is in use, presumably by the running bridge: it receives the callback, saves the tokens and confirms in chat.\n", cfg.HTTP.Listen)
			return nil
		}
		audit(false, "could not listen for the callback")
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Stop(sctx)
	}()
	fmt.Fprintf(stdout, "Waiting for the callback at %s … (Ctrl-C to stop)\n", cfg.PublicBaseURL()+auth.CallbackPath(link.Store.Platform))
	// Past the link's lifetime the callback would be refused anyway.
	timeout := time.NewTimer(time.Until(link.ExpiresAt) + 5*time.Second)
	defer timeout.Stop()
	for {
		select {
		case r := <-results:
			if r.Store.ID != id {
				continue
			}
			if !r.OK {
				audit(false, "authorization failed: "+bridge.ReasonOf(r.Err))
				return fmt.Errorf("authorization of %s failed: %s", id, bridge.ReasonOf(r.Err))
			}
			until := "unknown"
			if !r.Tokens.AccessExpiresAt.IsZero() {
				until = r.Tokens.AccessExpiresAt.Local().Format("2006-01-02 15:04 MST")
			}
			audit(true, "authorized; access token valid until "+until)
			fmt.Fprintf(stdout, "Store %s authorized: new tokens saved (access token valid until %s). The bridge uses them at its next start.\n", id, until)
			return nil
		case <-timeout.C:
			audit(false, "the link expired unused")
			return fmt.Errorf("the link expired before the shop owner approved it: run `shopbridge store authorize %s` again", id)
		case <-ctx.Done():
			audit(false, "interrupted before the callback")
			return errors.New("interrupted before the shop owner approved the link")
		}
	}
}

// unknownStore is the CLI's answer to a store ID the config does not have:
// which file was read and which stores it has.
func unknownStore(path string, cfg *Config, id bridge.StoreID) error {
	ids := make([]string, len(cfg.Stores))
	for i, s := range cfg.Stores {
		ids[i] = s.ID
	}
	return fmt.Errorf("store authorize: %s has no store %q; its stores are %s", path, id, strings.Join(ids, ", "))
}

// cliMarketplaces builds the marketplace clients the CLI needs, one per
// platform in use: no push or webhook routes and no lost-push recovery,
// which belong to the running bridge. TikTok's redirect path is served by
// the running bridge (or by cmdStoreAuthorize's own listener through
// cliRoutes).
func cliMarketplaces(cfg *Config, st bridge.State, log *slog.Logger) ([]bridge.Marketplace, error) {
	var out []bridge.Marketplace
	if cfg.PlatformEnabled(bridge.PlatformShopee) {
		c, err := shopee.New(*cfg.Shopee, shopee.Deps{
			Tokens: st, InitialTokens: cfg.InitialTokens(), Logger: log,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if cfg.PlatformEnabled(bridge.PlatformLazada) {
		c, err := lazada.New(*cfg.Lazada, lazada.Deps{
			Tokens: st, InitialTokens: cfg.InitialTokens(), Stores: cfg.StoresOf(bridge.PlatformLazada),
			Logger: log,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if cfg.PlatformEnabled(bridge.PlatformTikTok) {
		c, err := tiktok.New(*cfg.TikTok, tiktok.Deps{
			Tokens: st, InitialTokens: cfg.InitialTokens(), Stores: cfg.StoresOf(bridge.PlatformTikTok),
			Logger: log,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// authRedirects registers, on the CLI's own listener, the redirect
// endpoints a platform with one fixed Redirect URL has (TikTok's
// auth_redirect_path, which forwards to the core's callback).
func authRedirects(srv bridge.Routes, mps []bridge.Marketplace) {
	for _, m := range mps {
		if c, ok := m.(*tiktok.Client); ok {
			srv.Handle(c.Config().AuthRedirectPath, c.AuthRedirectHandler())
		}
	}
}

// cliUser names who ran a CLI command, for the audit.
func cliUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := strings.TrimSpace(os.Getenv("USER")); name != "" {
		return name
	}
	return "cli"
}
