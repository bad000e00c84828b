package main

import (
	"context"
	"errors"
	"log/slog"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
)

type authParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    *Config
	Engine    *bridge.Engine
	Routes    bridge.Routes
	State     bridge.State
	Logger    *slog.Logger
}

// newAuth enables the engine's store authorization: the `store update`
// command, the callback on the listener and the token refresher, which
// starts after the engine and stops before it. With a config file, it also
// enables `stores refresh`.
func newAuth(p authParams) *bridge.Auth {
	a := p.Engine.EnableAuth(p.Config.AuthConfig())
	a.RegisterRoutes(p.Routes)
	if p.Config.path != "" {
		p.Engine.SetStoreLoader(configStoreLoader(p.Config.path, p.State))
	}
	if p.Config.HTTP.PublicURL == "" {
		p.Logger.Info("http.public_url is not set: authorization links send the shop owner back to the listener's own address",
			"callback", p.Config.PublicBaseURL()+bridge.CallbackPath("{platform}"))
	}
	p.Lifecycle.Append(fx.Hook{OnStart: a.Start, OnStop: a.Stop})
	return a
}

// configStoreLoader re-reads the config file for `stores refresh`. Tokens
// given in the file for a store without saved ones are saved, so a store
// added by a refresh starts with them (the marketplace client read the
// file's tokens only at start); saved tokens always win.
func configStoreLoader(path string, tokens bridge.TokenStore) bridge.StoreLoader {
	return func(ctx context.Context) ([]bridge.Store, error) {
		cfg, err := LoadConfig(path)
		if err != nil {
			return nil, err
		}
		for id, t := range cfg.InitialTokens() {
			if _, err := tokens.LoadTokens(ctx, id); errors.Is(err, bridge.ErrNotFound) {
				if err := tokens.SaveTokens(ctx, id, t); err != nil {
					return nil, err
				}
			}
		}
		return cfg.StoreList(), nil
	}
}
