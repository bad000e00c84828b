package bridge

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Marketplace is one platform's client (Shopee, Lazada, TikTok Shop). The core
// calls it with the Store it acts for; the adapter finds the store's tokens
// through a TokenStore and refreshes them itself.
//
// Every error is classified (see PlatformError): transient, rate-limited,
// auth, permanent.
type Marketplace interface {
	// Platform is the platform this client speaks.
	Platform() Platform
	// ListConversations returns the store's conversations with activity after
	// since (adapters may return some older ones too; the engine decides by
	// message ID, never by time alone). An idle store should cost one list call.
	ListConversations(ctx context.Context, store Store, since time.Time) ([]Conversation, error)
	// ListMessages returns the messages of conv that are newer than after,
	// oldest first, stopping at after (exclusive). With after empty, or when
	// after is not found, it returns at most limit of the newest messages.
	ListMessages(ctx context.Context, store Store, conv ConversationID, after MessageID, limit int) ([]Message, error)
	// SendText sends text to the buyer of conv and returns the sent message
	// (its ID lets the engine suppress the echo).
	SendText(ctx context.Context, store Store, conv Conversation, text string) (Message, error)
	// MarkRead marks conv read up to last.
	MarkRead(ctx context.Context, store Store, conv ConversationID, last MessageID) error
}

// PushDriven is the optional capability of a Marketplace whose new messages
// arrive by push only (Lazada): polling its conversation lists is not
// allowed (the platform revokes apps that poll them), so the engine never
// calls ListConversations or ListMessages for its stores on a schedule, and
// the outbox does not list messages to reconcile a reply (the push echo of
// the reply is matched instead). Its stores are judged reachable from
// CheckHealth and from pushes arriving.
type PushDriven interface {
	// CheckHealth makes one cheap call the platform allows on an interval
	// (e.g. the seller's profile): reachable and authorized, or why not.
	CheckHealth(ctx context.Context, store Store) error
	// ImportHistory fetches, once, the conversations active since since and
	// their messages (at most limit each, newest kept): the one-off history
	// import some time after a store is authorized or added.
	ImportHistory(ctx context.Context, store Store, since time.Time, limit int) ([]ConversationHistory, error)
}

// ConversationHistory is one conversation and its messages (oldest first).
type ConversationHistory struct {
	Conversation Conversation
	Messages     []Message
}

// Repairer is the optional capability of a Marketplace to fetch one
// conversation's recent messages on an admin's explicit request (Lazada,
// whose lists the bridge otherwise never calls; the client caps and counts
// such calls).
type Repairer interface {
	RepairConversation(ctx context.Context, store Store, conv ConversationID, limit int) (Conversation, []Message, error)
}

// PollPolicy is the optional capability of a Marketplace to set how often
// its stores are polled (TikTok Shop: a low-frequency safety net beside its
// webhooks, within the daily quota); zero keeps the engine's interval.
type PollPolicy interface {
	PollInterval() time.Duration
}

// Authorizer is the optional capability of a Marketplace to run the
// platform's shop authorization flow.
type Authorizer interface {
	// AuthorizationURL is the link the shop owner opens; redirect is where
	// the platform sends them back (the bridge's /auth/{platform}/callback).
	AuthorizationURL(store Store, redirect string) (string, error)
	// ExchangeCode trades the callback's code for tokens and saves them.
	ExchangeCode(ctx context.Context, store Store, code string) (Tokens, error)
	// RefreshTokens refreshes the store's tokens now and saves them.
	RefreshTokens(ctx context.Context, store Store) (Tokens, error)
}

// CallbackPath is the path, on the bridge's listener, of a platform's
// authorization callback (the shop owner comes back there with a code).
func CallbackPath(p Platform) string { return "/auth/" + string(p) + "/callback" }

// ErrShopMismatch: the platform authorized another shop than the store's.
var ErrShopMismatch = errors.New("the platform authorized another shop than the store's")

// TokenStore keeps each store's marketplace tokens. Adapters persist a new
// (single-use) refresh token here before they use the new access token.
type TokenStore interface {
	// LoadTokens returns ErrNotFound when the store has none yet.
	LoadTokens(ctx context.Context, store StoreID) (Tokens, error)
	SaveTokens(ctx context.Context, store StoreID, t Tokens) error
}

// Routes is the bridge's one HTTP listener, on which adapters register their
// endpoints (marketplace pushes, Slack HTTP mode, Telegram webhook, auth callbacks).
type Routes interface {
	Handle(pattern string, handler http.Handler)
}

// Chat is one chat surface (Slack, Telegram, the console). Every method may
// return a classified PlatformError; an error wrapping ErrThreadGone means the
// thread no longer exists and the engine opens a new one.
type Chat interface {
	// Name is "slack", "telegram" or "console".
	Name() string
	// Listen runs the surface's inbound side until ctx ends, delivering agent
	// replies, button presses, commands and connection health to h.
	Listen(ctx context.Context, h ChatHandler) error
	// OpenThread creates the thread (header message or topic) of a conversation.
	OpenThread(ctx context.Context, h ThreadHeader) (ThreadRef, error)
	// UpdateThreadHeader keeps the header current (awaiting reply / answered,
	// unread count) and surfaces a resumed conversation where the surface can.
	UpdateThreadHeader(ctx context.Context, t ThreadRef, h ThreadHeader) error
	// PostMessage posts one marketplace message into the thread.
	PostMessage(ctx context.Context, t ThreadRef, h ThreadHeader, m Message) (ChatMessageRef, error)
	// SetReplyStatus shows a reply's status on the agent's message (reaction)
	// and, for a failure, the reason and a Retry action.
	SetReplyStatus(ctx context.Context, r Reply) error
	// PostAlert posts to the alerts channel; UpdateAlert edits it in place.
	PostAlert(ctx context.Context, a Alert) (AlertRef, error)
	UpdateAlert(ctx context.Context, ref AlertRef, a Alert) error
	// Notify answers one user privately (ephemeral where the surface can).
	Notify(ctx context.Context, n Notice) error
}

// PostedChecker is the optional capability of a surface to tell which
// marketplace messages are already in a thread (Slack message metadata). The
// engine asks it before the first post into a thread after a start, and after
// a post whose outcome is unknown, closing the window between "posted" and
// "recorded" that a crash or a timeout leaves open.
type PostedChecker interface {
	// FindPosted returns the chat message that carries each of ids found in
	// the thread; ids not found are absent from the map.
	FindPosted(ctx context.Context, t ThreadRef, ids []MessageID) (map[MessageID]ChatMessageRef, error)
}

// Router is the optional capability of a surface to say where a store's new
// threads go (a Slack channel, a Telegram chat), so that the engine runs one
// poster per destination. Surfaces without it are one destination.
type Router interface {
	// Destination names the channel or chat that a new thread of the store
	// opens in; it is compared with ThreadRef.Channel of existing threads.
	Destination(s Store) string
}

// BatchPoster is the optional capability of a surface to post several
// consecutive messages of one conversation in one call, combined into as few
// posts as the surface's limits allow. It returns the chat message that
// carries each message for a prefix of msgs; when it returns fewer refs than
// messages, err says why the rest was not posted (ErrThreadGone too), and the
// engine records only the posted prefix.
type BatchPoster interface {
	PostMessages(ctx context.Context, t ThreadRef, h ThreadHeader, msgs []Message) ([]ChatMessageRef, error)
}

// MessageUpdater is the optional capability of a surface to show that
// messages it posted changed on the marketplace (a recall): it renders the
// post ref again with msgs, every message that post carries, oldest first
// (a recalled one marked as such). Without it a change is not shown.
type MessageUpdater interface {
	UpdateMessages(ctx context.Context, t ThreadRef, ref ChatMessageRef, h ThreadHeader, msgs []Message) error
}

// ReportPoster is the optional capability of a surface to post a long
// plain-text report (the daily inspection) to its report channel.
type ReportPoster interface {
	PostReport(ctx context.Context, title, text string) (ChatMessageRef, error)
}

// ChatHandler is what a surface delivers to; the bridge implements it.
type ChatHandler interface {
	// AgentReply is a person's message in a thread. The bridge ignores ones
	// outside session threads.
	AgentReply(ctx context.Context, m AgentMessage) error
	// Action is a button press (retry a send, retry a sync).
	Action(ctx context.Context, a ActionEvent) CommandResponse
	// Command is a slash/bot command, already split from its command word.
	Command(ctx context.Context, c CommandRequest) CommandResponse
	// SurfaceHealth reports the surface's connection state.
	SurfaceHealth(ok bool, err error)
}

// AgentMessage is an agent's message in a chat thread.
type AgentMessage struct {
	Thread   ThreadRef
	Message  ChatMessageRef
	UserID   string
	UserName string
	Text     string
	At       time.Time
}

// ActionEvent is a button press.
type ActionEvent struct {
	ActionID string
	Value    string
	UserID   string
	UserName string
	Admin    bool
	Thread   ThreadRef
}

// Notice is a private answer to one user, in a thread or channel.
type Notice struct {
	Thread  ThreadRef
	Channel string
	UserID  string
	Text    string
}

// Clock is injected everywhere time matters, so tests can use a fake.
type Clock interface {
	Now() time.Time
	// After waits for d like time.After.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// After waits for d.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// TimerClock is the optional capability of a Clock to run a function after
// a while with a timer that can be stopped (and then leaves no trace).
type TimerClock interface {
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// AfterFunc runs f after d on the system clock.
func (SystemClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// SingleListener is the capability of a surface whose updates one process
// at a time may receive (Telegram's getUpdates answers a second consumer
// of the same bot with 409 Conflict). With several replicas the engine
// listens only on the replica that holds the lease ListenerLease names.
type SingleListener interface {
	ListenerLease() string
}
