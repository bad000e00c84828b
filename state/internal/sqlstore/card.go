package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
)

// cardJSON is how a message's card is stored: a JSON object with names of
// its own, so that renaming a field of bridge.Card never makes stored cards
// unreadable.
type cardJSON struct {
	ItemID   string `json:"item_id,omitempty"`
	OrderID  string `json:"order_id,omitempty"`
	Voucher  string `json:"voucher,omitempty"`
	Title    string `json:"title,omitempty"`
	Price    string `json:"price,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
	Link     string `json:"link,omitempty"`
}

// encodeCard is the card column: "" for no card, "{}" for an empty one (a
// card without fields is still a card).
func encodeCard(c *bridge.Card) string {
	if c == nil {
		return ""
	}
	b, err := json.Marshal(cardJSON(*c))
	if err != nil {
		// Marshalling a struct of strings cannot fail.
		panic(err)
	}
	return string(b)
}

// decodeCard reverses encodeCard.
func decodeCard(s string) (*bridge.Card, error) {
	if s == "" {
		return nil, nil
	}
	var c cardJSON
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, fmt.Errorf("decode message card: %w", err)
	}
	card := bridge.Card(c)
	return &card, nil
}
