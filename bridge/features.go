package bridge

import (
	"context"
	"errors"
	"fmt"
)

// A Feature is a part of the bridge built on the engine in a package of its
// own: quick reply templates, the daily inspection report, store
// authorization. cmd builds each with what it needs (the engine among it,
// as the small interface the feature asks for) and registers it with
// Engine.Register before Start. Its commands join the engine's; what else
// it can do, discovered by type assertion (ReplyExpander,
// StoreAuthorization), plugs into the engine's flows.
type Feature interface {
	// Commands are the feature's commands; none may have the name of a
	// command the engine has already.
	Commands() []Command
}

// ReplyExpander is the optional capability of a Feature to rewrite an
// agent's reply before it is queued (quick reply templates). A non-empty
// notice is answered privately to the agent and nothing is sent.
type ReplyExpander interface {
	ExpandReply(ctx context.Context, store Store, text string) (expanded, notice string, err error)
}

// StoreAuthorization is the optional capability of a Feature to authorize
// stores ("Update Store") and to keep the books when a marketplace refuses
// a store's tokens. The engine owns `store update` (its syntax and exact
// answers); without this capability it answers TextUpdateStoreFailed.
type StoreAuthorization interface {
	// UpdateStore runs `store update` for a configured store: an
	// authorization link for the shop owner, or (refresh) a token refresh
	// now.
	UpdateStore(ctx context.Context, req CommandRequest, s Store, refresh bool) CommandResponse
	// TokensRefused is told when a marketplace refused the store's tokens
	// (its client's own refresh was refused too): the store needs updating.
	TokensRefused(ctx context.Context, s Store, err error)
	// TokensWork is told when a store whose tokens were refused syncs again.
	TokensWork(ctx context.Context, s Store)
}

// Register adds a feature to the engine, before Start: its commands, and
// its reply expander or store authorization if it has one. A command name
// the engine has already, or a second expander or authorization, is
// refused, and nothing of the feature is added.
func (e *Engine) Register(f Feature) error {
	e.mu.Lock()
	started := e.started
	e.mu.Unlock()
	if started {
		return errors.New("bridge: register a feature before the engine starts")
	}
	x, expands := f.(ReplyExpander)
	if expands && e.expander != nil {
		return fmt.Errorf("bridge: a reply expander is registered already")
	}
	a, authorizes := f.(StoreAuthorization)
	if authorizes && e.authorization != nil {
		return fmt.Errorf("bridge: a store authorization is registered already")
	}
	if err := e.cmds.register(f.Commands()...); err != nil {
		return err
	}
	if expands {
		e.expander = x
	}
	if authorizes {
		e.authorization = a
	}
	return nil
}
