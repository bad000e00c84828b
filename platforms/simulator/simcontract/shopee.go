package simcontract

import (
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// ShopeeDialect is the Dialect of the simulator's Shopee dialect.
type ShopeeDialect struct{ Sim *simulator.Simulator }

var _ Dialect = ShopeeDialect{}

var shopeeKinds = map[string]bridge.MessageKind{
	"text": bridge.KindText, "image": bridge.KindImage, "video": bridge.KindVideo, "sticker": bridge.KindSticker,
	"item": bridge.KindItem, "order": bridge.KindOrder, "voucher": bridge.KindVoucher,
}

// MessageTypes implements Dialect: simulator.MessageTypes; the ones without
// a kind are unsupported under their own name.
func (d ShopeeDialect) MessageTypes() []platformtest.MessageType {
	out := make([]platformtest.MessageType, 0, len(simulator.MessageTypes))
	for _, typ := range simulator.MessageTypes {
		if k, ok := shopeeKinds[typ]; ok {
			out = append(out, platformtest.MessageType{Type: typ, Kind: k})
		} else {
			out = append(out, platformtest.MessageType{Type: typ, Kind: bridge.KindUnsupported, UnsupportedType: typ})
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
func (d ShopeeDialect) Path(api platformtest.API) string {
	switch api {
	case platformtest.APISend:
		return "send_message"
	case platformtest.APIListConversations:
		return "get_conversation_list"
	case platformtest.APIListMessages:
		return "get_message"
	case platformtest.APIRefresh:
		return "access_token/get"
	}
	panic(fmt.Sprintf("simcontract: Shopee has no %q API", api))
}

// SetPushCallback implements Dialect.
func (d ShopeeDialect) SetPushCallback(url string) { d.Sim.SetPushCallback(url) }
