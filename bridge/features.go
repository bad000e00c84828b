package bridge

import (
	"context"
	"time"
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
	// ExpiryWarning is how long before a store's authorization ends it is
	// "expiring soon" (the configured auth.expiry_warning), for status and
	// stores as for the alert.
	ExpiryWarning() time.Duration
}

// Messages of the commands, exact where users and docs rely on them.
const (
	TextNoStoreToUpdate = "No store found to update. Please refresh the store list and try again."
	// TextUpdateStoreFailed answers a `store update` whose flow could not
	// start; the detail goes to the log only.
	TextUpdateStoreFailed = "Failed to open the update store panel. The system has logged the error."
	TextNotAdmin          = "Only admins can run this command. Ask an admin, or run `help` to see what you can do."
)

// Permission says who may run a command.
type Permission int

// Permissions.
const (
	// ReadOnly commands anyone in the bridge's channels may run.
	ReadOnly Permission = iota
	// AdminOnly commands change something; only configured admins run them.
	AdminOnly
)

// Command is one dispatcher command, e.g. Name "sync retry".
type Command struct {
	Name       string
	Args       string
	Help       string
	Permission Permission
	Run        func(ctx context.Context, req CommandRequest, args []string) CommandResponse
}

// CommandRequest is one admin or agent command, e.g. Text "sync retry shop-my".
type CommandRequest struct {
	Surface  string
	UserID   string
	UserName string
	// Admin is decided by the surface from its configured admins.
	Admin   bool
	Channel string
	Text    string
}

// CommandResponse is the answer to a command or an action. Text is plain
// text; surfaces escape and format it. Public answers are posted for
// everyone, others only to the asking user.
type CommandResponse struct {
	Text   string
	Public bool
	// Error marks a refusal or failure, which surfaces may style.
	Error bool
}
