package main

import (
	"context"
	"errors"
	"log/slog"

	"go.uber.org/fx"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/auth"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

type authParams struct {
	fx.In
	Lifecycle    fx.Lifecycle
	Config       *Config
	Engine       *engine.Engine
	Routes       bridge.Routes
	State        bridge.State
	Chat         bridge.Chat
	Marketplaces []bridge.Marketplace `group:"marketplaces"`
	Clock        bridge.Clock
	Logger       *slog.Logger
	Refusals     *bridge.Refusals
}

// newAuth registers the store authorization with the engine (it runs
// `store update` and keeps the books when tokens are refused), its
// callback on the listener, and the token refresher, which starts after
// the engine and stops before it.
func newAuth(p authParams) (*auth.Flow, error) {
	a := auth.New(p.Config.AuthConfig(), auth.Deps{
		State: p.State, Chat: p.Chat, Marketplaces: p.Marketplaces, Stores: p.Engine.Stores,
		Clock: p.Clock, Logger: p.Logger, Authorized: p.Engine.StoreAuthorized, Refusals: p.Refusals,
		Owns: p.Engine.HoldsStore,
	})
	if err := p.Engine.Register(a); err != nil {
		return nil, err
	}
	a.RegisterRoutes(p.Routes)
	if p.Config.HTTP.PublicURL == "" {
		p.Logger.Info("http.public_url is not set: authorization links send the shop owner back to the listener's own address",
			"callback", p.Config.PublicBaseURL()+auth.CallbackPath("{platform}"))
	}
	p.Lifecycle.Append(fx.Hook{OnStart: a.Start, OnStop: a.Stop})
	return a, nil
}

// configStoreLoader re-reads the config file for `stores refresh`. Tokens
// given in the file for a store without saved ones are saved, so a store
// added by a refresh starts with them (the marketplace client read the
// file's tokens only at start); saved tokens always win.
func configStoreLoader(path string, tokens bridge.TokenStore) engine.StoreLoader {
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
