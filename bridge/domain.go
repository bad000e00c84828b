// Package bridge is the core of shopbridge: the domain types, the ports the core
// needs (Marketplace, Chat, Store) and the engines that move buyer messages into
// chat threads and agent replies back to buyers. It imports no adapter.
package bridge

import (
	"time"
)

// StoreID names one marketplace store as the operator configured it
// (for example "shopee-my-main"). It is the key of everything per store.
type StoreID string

// Platform is a marketplace: shopee, lazada or tiktok.
type Platform string

// The marketplaces shopbridge knows.
const (
	PlatformShopee Platform = "shopee"
	PlatformLazada Platform = "lazada"
	PlatformTikTok Platform = "tiktok"
)

// ConversationID is a marketplace's conversation (session) ID, opaque to the core.
type ConversationID string

// MessageID is a marketplace's message ID, opaque to the core.
type MessageID string

// ReplyID identifies one row of the reply outbox.
type ReplyID int64

// Store is one marketplace shop as configured. Runtime state (paused, cursors,
// tokens) lives in the state Store, not here.
type Store struct {
	ID       StoreID
	Platform Platform
	// ShopID is the marketplace's own shop/seller ID.
	ShopID string
	// Name is the human name shown in thread headers and reports.
	Name string
	// Site is the marketplace site or country code: MY, SG, TH, PH, VN, ID, TW, BR…
	Site string
	// Channel is where this store's threads go; empty means the surface's inbox.
	Channel string
	// ProxyURL is an optional per-store HTTP proxy; ProxyExpiry is when it lapses.
	ProxyURL    string
	ProxyExpiry time.Time
}

// Label is the short tag used in headers and logs: "shopee MY Main Store".
func (s Store) Label() string {
	if s.Site == "" {
		return string(s.Platform) + " " + s.Name
	}
	return string(s.Platform) + " " + s.Site + " " + s.Name
}

// Conversation is one buyer conversation as the marketplace lists it.
type Conversation struct {
	ID        ConversationID
	BuyerID   string
	BuyerName string
	// LatestMessageID and LatestMessageAt describe the newest message the
	// marketplace reports for the conversation; either may be empty.
	LatestMessageID MessageID
	LatestMessageAt time.Time
	UnreadCount     int
	// Link opens the conversation in the marketplace's seller centre, if it has one.
	Link string
	// LastBuyerAt and SellerSince are filled by the engine for a send: the
	// buyer's last message and how many seller messages followed it, for
	// platforms that limit messages to a quiet buyer (Lazada: 5 a day).
	LastBuyerAt time.Time
	SellerSince int
}

// Sender says who wrote a message.
type Sender string

// Message senders.
const (
	SenderBuyer  Sender = "buyer"
	SenderSeller Sender = "seller"
	SenderSystem Sender = "system"
)

// MessageKind is the kind of content a message carries.
type MessageKind string

// Message kinds. Unknown marketplace types become KindUnsupported with
// Message.UnsupportedType set: they are shown as a placeholder, never dropped.
const (
	KindText        MessageKind = "text"
	KindImage       MessageKind = "image"
	KindVideo       MessageKind = "video"
	KindSticker     MessageKind = "sticker"
	KindItem        MessageKind = "item"
	KindOrder       MessageKind = "order"
	KindVoucher     MessageKind = "voucher"
	KindRefund      MessageKind = "refund"
	KindUnsupported MessageKind = "unsupported"
)

// Message is one marketplace message.
type Message struct {
	ID           MessageID
	Conversation ConversationID
	Sender       Sender
	SenderName   string
	Kind         MessageKind
	// Text is the message text (for text messages) or a caption.
	Text string
	// URL is the image/video URL for media messages.
	URL string
	// Card describes an item, order or voucher message.
	Card *Card
	// UnsupportedType is the marketplace's own type name for KindUnsupported.
	UnsupportedType string
	SentAt          time.Time
	// Recalled is set when the sender withdrew the message (Lazada reports a
	// recall as the same message again): it is shown as recalled.
	Recalled bool
	// Translation is the marketplace's translation shown beside the original
	// text (Lazada cross-border messages carry both).
	Translation string
	// AutoReply marks a message the marketplace's auto-reply sent.
	AutoReply bool
	// SafetyNote is set when the marketplace's safety check blocked the
	// message: only the seller sees it (Lazada's process_msg).
	SafetyNote string
}

// Card is a product, order or voucher attached to a message.
type Card struct {
	ItemID   string
	OrderID  string
	Voucher  string
	Title    string
	Price    string
	ImageURL string
	Link     string
}

// ThreadRef locates a thread on a chat surface: for Slack a channel and the
// root message ts, for Telegram a chat and a topic (or a header message).
// The core never parses it.
type ThreadRef struct {
	Channel string
	ID      string
}

// IsZero reports whether the reference is unset.
func (t ThreadRef) IsZero() bool { return t.Channel == "" && t.ID == "" }

// ChatMessageRef locates one message on a chat surface.
type ChatMessageRef struct {
	Channel string
	ID      string
}

// IsZero reports whether the reference is unset.
func (m ChatMessageRef) IsZero() bool { return m.Channel == "" && m.ID == "" }

// ThreadHeader is what a surface shows at the top of a conversation's thread.
// It never repeats a buyer message's text: messages are posted once, in the thread.
type ThreadHeader struct {
	Store        Store
	Conversation ConversationID
	BuyerID      string
	BuyerName    string
	Link         string
	// AwaitingReply is true when the last buyer message has no seller answer yet.
	AwaitingReply bool
	Unread        int
	// Continued is set when the thread replaces one that was deleted.
	Continued bool
	// Resumed is set when an old, quiet conversation gets a new buyer message.
	Resumed bool
}

// ReplyStatus is where a reply is in the outbox.
type ReplyStatus string

// Reply statuses. Queued and sending rows are resumed after a restart; a
// sending row found at start has an unknown outcome and is reconciled first.
const (
	ReplyQueued  ReplyStatus = "queued"
	ReplySending ReplyStatus = "sending"
	ReplySent    ReplyStatus = "sent"
	ReplyFailed  ReplyStatus = "failed"
)

// Final reports whether the status is an end state.
func (s ReplyStatus) Final() bool { return s == ReplySent || s == ReplyFailed }

// Reply is one row of the outbox: an agent's answer to a buyer.
type Reply struct {
	ID           ReplyID
	Store        StoreID
	Conversation ConversationID
	Thread       ThreadRef
	// ChatMessage is the agent's message on the surface; it is unique per reply.
	ChatMessage ChatMessageRef
	AuthorID    string
	AuthorName  string
	Text        string
	Status      ReplyStatus
	// Reason says why a reply failed (or why its last attempt failed).
	Reason   string
	Attempts int
	// MarketplaceMessageID is the marketplace's ID once sent.
	MarketplaceMessageID MessageID
	CreatedAt            time.Time
	UpdatedAt            time.Time
	SentAt               time.Time
	// NextAttemptAt is when a transient failure is retried.
	NextAttemptAt time.Time
	// AttemptStartedAt is when the last send attempt started, and
	// AttemptDeadline when its client gave up at the latest: an attempt
	// whose outcome is unknown is reconciled only once it cannot land any
	// more (AttemptDeadline plus EngineConfig.ReconcileMargin).
	AttemptStartedAt time.Time
	AttemptDeadline  time.Time
}

// Tokens are a store's marketplace credentials.
type Tokens struct {
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	UpdatedAt        time.Time
}

// Action is a button on an alert or a failed reply.
type Action struct {
	// ID is what the surface sends back when pressed: ActionRetrySend or ActionRetrySync.
	ID    string
	Label string
	// Value is small (an outbox row ID or a store ID).
	Value string
}

// Action IDs the core understands.
const (
	ActionRetrySend = "retry_send"
	ActionRetrySync = "retry_sync"
)

// AlertSeverity orders alerts.
type AlertSeverity string

// Alert severities.
const (
	SeverityInfo     AlertSeverity = "info"
	SeverityWarning  AlertSeverity = "warning"
	SeverityCritical AlertSeverity = "critical"
	SeverityResolved AlertSeverity = "resolved"
)

// Alert is a message in the alerts channel, edited in place as it evolves.
type Alert struct {
	Severity AlertSeverity
	Title    string
	Text     string
	Stores   []StoreID
	Actions  []Action
}

// AlertRef locates a posted alert so it can be edited.
type AlertRef struct {
	Channel string
	ID      string
}
