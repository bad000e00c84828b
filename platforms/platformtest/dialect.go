package platformtest

import (
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
)

// Dialect is what the suite needs to know of a Backend's platform beyond
// the platform-neutral state every Backend holds (messages, conversations,
// tokens, faults, call counts): which message types it has, how to inject
// buyer messages of each type and seller-side messages sent outside the
// API, where a fault or a call count lands, and where pushes go.
type Dialect interface {
	// MessageTypes lists the platform's message types the backend can
	// produce from a buyer, each with the kind the client must decode it as
	// (types that are events of the platform rather than the buyer's, which
	// a client shows as system messages, do not belong here).
	MessageTypes() []MessageType
	// BuyerSends stores a buyer message of type typ (one of MessageTypes)
	// with sample content varied by n, and pushes it as the platform does.
	BuyerSends(shopID, buyerID, typ string, n int) (Message, error)
	// SellerSays stores a seller message sent outside the API (Seller
	// Centre) and pushes it.
	SellerSays(shopID, buyerID, text string) (Message, error)
	// Path returns the part of the backend's API path that names api (the
	// keys of Backend.Calls contain it).
	Path(api API) string
	// SetPushCallback sets where the backend pushes ("" stops pushes).
	SetPushCallback(url string)
}

// Check names a part of a contract case that a platform may not have, as
// its documentation says: a Backend that implements Exceptions skips it,
// with the reason logged, and the rest of the case still runs.
type Check string

// The checks a platform may be excused from.
const (
	// CheckStalePushRefused: a correctly signed push two days old (older
	// than any platform's replay window) is refused with 401. Whatever the
	// status, such a push must have no effect.
	CheckStalePushRefused Check = "a stale signed push is refused with 401"
	// CheckEmptyPushAccepted: an empty, unsigned push (Shopee's push URL
	// verification) is answered 2xx.
	CheckEmptyPushAccepted Check = "an empty verification push is answered 2xx"
)

// Exceptions is an optional Backend extension for a platform that, as
// documented, departs from a check of the contract.
type Exceptions interface {
	// Skip returns why check does not apply to the platform ("" when it
	// does).
	Skip(check Check) string
}

// skip is why the Env's platform is excused from check ("" when it is not).
func (e *Env) skip(check Check) string {
	if x, ok := e.Backend.(Exceptions); ok {
		return x.Skip(check)
	}
	return ""
}

// MessageType is one message type of a platform.
type MessageType struct {
	// Type is the backend's name for it.
	Type string
	// Kind is what the client must decode it as. For KindUnsupported the
	// message must carry UnsupportedType.
	Kind            bridge.MessageKind
	UnsupportedType string
}

// API names a marketplace API whatever the platform calls it.
type API string

// The APIs the suite faults or counts.
const (
	// APISend sends a message.
	APISend API = "send"
	// APIListConversations lists conversations (sessions).
	APIListConversations API = "list_conversations"
	// APIListMessages lists a conversation's messages.
	APIListMessages API = "list_messages"
	// APIHealth is a push-driven platform's health call.
	APIHealth API = "health"
	// APIRefresh refreshes an access token.
	APIRefresh API = "refresh"
)

// BuyerID is the i-th test buyer's ID.
func BuyerID(i int) string { return fmt.Sprint(500_000_000 + i) }
