package platformtest

import (
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// Dialect is what the suite needs to know of a platform's simulator
// dialect beyond the simulator's shared, platform-neutral state (messages,
// conversations, tokens, faults, call counts): which message types it has,
// how to inject buyer messages of each type and seller-side messages sent
// outside the API, where a fault or a call count lands, and where pushes go.
// Each platform's test wiring implements it (Env.Dialect); ShopeeDialect is
// the Shopee one, used when Env.Dialect is nil.
type Dialect interface {
	// MessageTypes lists the platform's message types the simulator can
	// produce from a buyer, each with the kind the client must decode it as
	// (types that are events of the platform rather than the buyer's, which
	// a client shows as system messages, do not belong here).
	MessageTypes() []MessageType
	// BuyerSends stores a buyer message of type typ (one of MessageTypes)
	// with sample content varied by n, and pushes it as the platform does.
	BuyerSends(shopID, buyerID, typ string, n int) (simulator.Message, error)
	// SellerSays stores a seller message sent outside the API (Seller
	// Centre) and pushes it.
	SellerSays(shopID, buyerID, text string) (simulator.Message, error)
	// Path returns the part of the simulator's API path that names api
	// (faults' Path, keys of Simulator.Calls).
	Path(api API) string
	// SetPushCallback sets where the simulator pushes ("" stops pushes).
	SetPushCallback(url string)
}

// Check names a part of a contract case that a platform may not have, as
// its documentation says: a Dialect that implements Exceptions skips it,
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

// Exceptions is an optional Dialect extension for a platform that, as
// documented, departs from a check of the contract.
type Exceptions interface {
	// Skip returns why check does not apply to the platform ("" when it
	// does).
	Skip(check Check) string
}

// skip is why the Env's platform is excused from check ("" when it is not).
func (e *Env) skip(check Check) string {
	if x, ok := e.dialect().(Exceptions); ok {
		return x.Skip(check)
	}
	return ""
}

// MessageType is one message type of a platform.
type MessageType struct {
	// Type is the simulator's name for it.
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

// ShopeeDialect is the Dialect of the simulator's Shopee dialect.
type ShopeeDialect struct{ Sim *simulator.Simulator }

var shopeeKinds = map[string]bridge.MessageKind{
	"text": bridge.KindText, "image": bridge.KindImage, "video": bridge.KindVideo, "sticker": bridge.KindSticker,
	"item": bridge.KindItem, "order": bridge.KindOrder, "voucher": bridge.KindVoucher,
}

// MessageTypes implements Dialect: simulator.MessageTypes; the ones without
// a kind are unsupported under their own name.
func (d ShopeeDialect) MessageTypes() []MessageType {
	out := make([]MessageType, 0, len(simulator.MessageTypes))
	for _, typ := range simulator.MessageTypes {
		if k, ok := shopeeKinds[typ]; ok {
			out = append(out, MessageType{Type: typ, Kind: k})
		} else {
			out = append(out, MessageType{Type: typ, Kind: bridge.KindUnsupported, UnsupportedType: typ})
		}
	}
	return out
}

// BuyerSends implements Dialect with the simulator's sample content.
func (d ShopeeDialect) BuyerSends(shopID, buyerID, typ string, n int) (simulator.Message, error) {
	return d.Sim.BuyerSends(shopID, buyerID, typ, simulator.SampleContent(typ, n))
}

// SellerSays implements Dialect.
func (d ShopeeDialect) SellerSays(shopID, buyerID, text string) (simulator.Message, error) {
	return d.Sim.SellerCentreSays(shopID, buyerID, text)
}

// Path implements Dialect.
func (d ShopeeDialect) Path(api API) string {
	switch api {
	case APISend:
		return "send_message"
	case APIListConversations:
		return "get_conversation_list"
	case APIListMessages:
		return "get_message"
	case APIRefresh:
		return "access_token/get"
	}
	panic(fmt.Sprintf("platformtest: Shopee has no %q API", api))
}

// SetPushCallback implements Dialect.
func (d ShopeeDialect) SetPushCallback(url string) { d.Sim.SetPushCallback(url) }

// BuyerID is the i-th test buyer's ID.
func BuyerID(i int) string { return fmt.Sprint(500_000_000 + i) }
