package platformtest

import "time"

// Backend is the marketplace a client under test talks to, as the suite
// drives and inspects it: its platform's Dialect (message types, seller
// side, API names, push target) and the platform-neutral state every
// backend holds — buyers' messages, conversations, the shop's tokens,
// injected faults, API call counts, lost pushes. Time is the Env's Clock,
// shared by the backend and the client.
//
// The suite needs nothing else of a marketplace: platforms/simulator's
// dialects are adapted to it by platforms/simulator/simcontract.
type Backend interface {
	Dialect

	// BuyerSays stores a buyer's text message and pushes it as the
	// platform does.
	BuyerSays(shopID, buyerID, text string) (Message, error)
	// Messages lists the shop's messages, oldest first.
	Messages(shopID string) []Message
	// Conversations lists the shop's conversations.
	Conversations(shopID string) []Conversation

	// Tokens returns the shop's current token pair as the marketplace
	// holds it.
	Tokens(shopID string) (TokenInfo, error)
	// ExpireAccessToken makes the shop's access token expire now: calls
	// with it are refused until the client refreshes it.
	ExpireAccessToken(shopID string) error
	// RevokeTokens revokes the shop's authorization: every call and
	// refresh is refused.
	RevokeTokens(shopID string) error

	// SetFault injects a fault; ClearFaults removes every fault.
	SetFault(f Fault) error
	ClearFaults()

	// Calls counts the API calls since the last ResetCalls, by a key that
	// contains the Path of the API called; TotalCalls is their sum.
	Calls() map[string]int
	TotalCalls() int
	ResetCalls()

	// LostPushes lists the pushes the backend could not deliver (and
	// whether the client confirmed it consumed them), where the platform
	// has a lost-push API; nil where it has none.
	LostPushes() []LostPush
}

// Sender says who sent a Message.
type Sender string

// Senders.
const (
	// FromBuyer: the buyer.
	FromBuyer Sender = "buyer"
	// FromSellerAPI: the seller, through the API (the client under test).
	FromSellerAPI Sender = "seller_api"
	// FromSellerCentre: the seller, from the marketplace's own seller
	// tools, outside the API.
	FromSellerCentre Sender = "seller_centre"
)

// Message is one message as the backend holds it.
type Message struct {
	ID             string
	ConversationID string
	BuyerID        string
	From           Sender
	// Type is the platform's message type (one of the Dialect's, or the
	// text type).
	Type string
	// Text is the text of a text message.
	Text      string
	CreatedAt time.Time
}

// Conversation is one conversation as the backend holds it.
type Conversation struct {
	ID        string
	BuyerID   string
	BuyerName string
	// Unread counts the buyer's messages the seller has not marked read;
	// LastReadMessageID is the latest the seller marked read.
	Unread            int
	LastReadMessageID string
}

// TokenInfo is a shop's token pair as the backend holds it.
type TokenInfo struct {
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	// Refreshes counts the refreshes since the shop was authorized.
	Refreshes int
}

// LostPush is a push the backend could not deliver.
type LostPush struct {
	ShopID string
	// Consumed: the client fetched it through the lost-push API and
	// confirmed it.
	Consumed bool
}

// FaultKind is one kind of failure a Backend injects, each rendered in its
// platform's own format.
type FaultKind string

// Fault kinds.
const (
	// FaultRateLimit answers the platform's rate-limit error (its own
	// envelope and code, with a wait).
	FaultRateLimit FaultKind = "error_rate_limit"
	// FaultHTTP429 answers a bare HTTP 429 with a Retry-After header
	// (Fault.RetryAfter).
	FaultHTTP429 FaultKind = "http_429"
	// FaultServerError answers the platform's server error (its own
	// envelope and code).
	FaultServerError FaultKind = "error_server"
	// FaultHTTP5xx answers a bare HTTP 5xx with a body that is not the
	// platform's, as a gateway in front of the API would.
	FaultHTTP5xx FaultKind = "http_5xx"
	// FaultRefuse is an outage: connections are refused.
	FaultRefuse FaultKind = "refuse"
	// FaultHang holds calls until the client gives up or the fault is
	// cleared.
	FaultHang FaultKind = "hang"
	// FaultSlow delays answers by Fault.Delay on the Env's Clock.
	FaultSlow FaultKind = "slow"
	// FaultDropPushes does not deliver pushes (they are lost, or delivered
	// again later, as the platform does).
	FaultDropPushes FaultKind = "drop_pushes"
	// FaultShufflePages shuffles the order inside list pages.
	FaultShufflePages FaultKind = "shuffle_pages"
	// FaultRepeatPages makes consecutive list pages overlap by one entry.
	FaultRepeatPages FaultKind = "repeat_pages"
)

// Fault is one failure to inject.
type Fault struct {
	Kind FaultKind
	// API limits the fault to one API; "" means every API.
	API API
	// Count is how many calls (or pushes) the fault affects before it
	// lapses; 0 means until cleared.
	Count int
	// RetryAfter is the Retry-After of FaultHTTP429.
	RetryAfter time.Duration
	// Delay is the added latency of FaultSlow.
	Delay time.Duration
}
