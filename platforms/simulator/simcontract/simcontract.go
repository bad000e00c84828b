// Package simcontract runs the marketplace contract suite
// (platforms/platformtest) on platforms/simulator: Backend is a
// platformtest.Backend over a Simulator and one of its dialects, turning
// the suite's own messages, faults and tokens into the simulator's and
// back. The platforms' contract tests build their Env's Backend with New:
//
//	Backend: simcontract.New(sim, simcontract.ShopeeDialect{Sim: sim}),
//
// It is the only place where platformtest meets the simulator: platformtest
// imports neither it nor the simulator.
package simcontract

import (
	"fmt"

	"github.com/shopbridge/shopbridge/platforms/platformtest"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// Dialect is the part of platformtest.Dialect that differs between the
// simulator's dialects, in the simulator's terms: each platform's contract
// test implements it for its dialect (ShopeeDialect is Shopee's). A Dialect
// that also implements platformtest.Exceptions has its exceptions honoured.
type Dialect interface {
	// MessageTypes lists the dialect's buyer message types, each with the
	// kind the client must decode it as.
	MessageTypes() []platformtest.MessageType
	// BuyerSends stores a buyer message of type typ (one of MessageTypes)
	// with sample content varied by n, and pushes it as the platform does.
	BuyerSends(shopID, buyerID, typ string, n int) (simulator.Message, error)
	// SellerSays stores a seller message sent outside the API (Seller
	// Centre) and pushes it.
	SellerSays(shopID, buyerID, text string) (simulator.Message, error)
	// Path returns the part of the dialect's API paths that names api
	// (simulator.Fault's Path, keys of Simulator.Calls).
	Path(api platformtest.API) string
	// SetPushCallback sets where the dialect pushes ("" stops pushes).
	SetPushCallback(url string)
}

// Backend is a platformtest.Backend over a simulator and one of its
// dialects.
type Backend struct {
	sim     *simulator.Simulator
	dialect Dialect
}

var (
	_ platformtest.Backend    = (*Backend)(nil)
	_ platformtest.Exceptions = (*Backend)(nil)
)

// New returns the Backend of sim's dialect d.
func New(sim *simulator.Simulator, d Dialect) *Backend {
	return &Backend{sim: sim, dialect: d}
}

// MessageTypes implements platformtest.Dialect.
func (b *Backend) MessageTypes() []platformtest.MessageType { return b.dialect.MessageTypes() }

// BuyerSends implements platformtest.Dialect.
func (b *Backend) BuyerSends(shopID, buyerID, typ string, n int) (platformtest.Message, error) {
	return message(b.dialect.BuyerSends(shopID, buyerID, typ, n))
}

// SellerSays implements platformtest.Dialect.
func (b *Backend) SellerSays(shopID, buyerID, text string) (platformtest.Message, error) {
	return message(b.dialect.SellerSays(shopID, buyerID, text))
}

// Path implements platformtest.Dialect.
func (b *Backend) Path(api platformtest.API) string { return b.dialect.Path(api) }

// SetPushCallback implements platformtest.Dialect.
func (b *Backend) SetPushCallback(url string) { b.dialect.SetPushCallback(url) }

// Skip implements platformtest.Exceptions with the dialect's exceptions
// (none when it has none).
func (b *Backend) Skip(check platformtest.Check) string {
	if x, ok := b.dialect.(platformtest.Exceptions); ok {
		return x.Skip(check)
	}
	return ""
}

// BuyerSays implements platformtest.Backend.
func (b *Backend) BuyerSays(shopID, buyerID, text string) (platformtest.Message, error) {
	return message(b.sim.BuyerSays(shopID, buyerID, text))
}

// Messages implements platformtest.Backend.
func (b *Backend) Messages(shopID string) []platformtest.Message {
	ms := b.sim.Messages(shopID)
	out := make([]platformtest.Message, len(ms))
	for i, m := range ms {
		out[i] = convert(m)
	}
	return out
}

// Conversations implements platformtest.Backend.
func (b *Backend) Conversations(shopID string) []platformtest.Conversation {
	cs := b.sim.Conversations(shopID)
	out := make([]platformtest.Conversation, len(cs))
	for i, c := range cs {
		out[i] = platformtest.Conversation{ID: c.ID, BuyerID: c.BuyerID, BuyerName: c.BuyerName,
			Unread: c.Unread, LastReadMessageID: c.LastReadMessageID}
	}
	return out
}

// Tokens implements platformtest.Backend.
func (b *Backend) Tokens(shopID string) (platformtest.TokenInfo, error) {
	t, err := b.sim.Tokens(shopID)
	if err != nil {
		return platformtest.TokenInfo{}, err
	}
	return platformtest.TokenInfo{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		AccessExpiresAt: t.AccessExpiresAt, RefreshExpiresAt: t.RefreshExpiresAt, Refreshes: t.Refreshes}, nil
}

// ExpireAccessToken implements platformtest.Backend.
func (b *Backend) ExpireAccessToken(shopID string) error { return b.sim.ExpireAccessToken(shopID) }

// RevokeTokens implements platformtest.Backend.
func (b *Backend) RevokeTokens(shopID string) error { return b.sim.RevokeTokens(shopID) }

// faultKinds maps the suite's fault kinds to the simulator's.
var faultKinds = map[platformtest.FaultKind]simulator.FaultKind{
	platformtest.FaultRateLimit:    simulator.FaultErrorRateLimit,
	platformtest.FaultHTTP429:      simulator.FaultHTTP429,
	platformtest.FaultServerError:  simulator.FaultErrorServer,
	platformtest.FaultHTTP5xx:      simulator.FaultHTTP5xx,
	platformtest.FaultRefuse:       simulator.FaultRefuse,
	platformtest.FaultHang:         simulator.FaultHang,
	platformtest.FaultSlow:         simulator.FaultSlow,
	platformtest.FaultDropPushes:   simulator.FaultDropPushes,
	platformtest.FaultShufflePages: simulator.FaultShufflePages,
	platformtest.FaultRepeatPages:  simulator.FaultRepeatPages,
}

// SetFault implements platformtest.Backend: the fault's API becomes the
// dialect's Path of it.
func (b *Backend) SetFault(f platformtest.Fault) error {
	kind, ok := faultKinds[f.Kind]
	if !ok {
		return fmt.Errorf("simcontract: the simulator has no fault %q", f.Kind)
	}
	sf := simulator.Fault{Kind: kind, Count: f.Count, RetryAfter: f.RetryAfter, Delay: f.Delay}
	if f.API != "" {
		sf.Path = b.dialect.Path(f.API)
	}
	_, err := b.sim.SetFault(sf)
	return err
}

// ClearFaults implements platformtest.Backend.
func (b *Backend) ClearFaults() { b.sim.ClearFaults() }

// Calls implements platformtest.Backend.
func (b *Backend) Calls() map[string]int { return b.sim.Calls() }

// TotalCalls implements platformtest.Backend.
func (b *Backend) TotalCalls() int { return b.sim.TotalCalls() }

// ResetCalls implements platformtest.Backend.
func (b *Backend) ResetCalls() { b.sim.ResetCalls() }

// LostPushes implements platformtest.Backend with the simulator's lost
// pushes (Shopee's; the other dialects deliver again instead).
func (b *Backend) LostPushes() []platformtest.LostPush {
	lost := b.sim.LostPushes()
	if lost == nil {
		return nil
	}
	out := make([]platformtest.LostPush, len(lost))
	for i, l := range lost {
		out[i] = platformtest.LostPush{ShopID: l.ShopID, Consumed: l.Consumed}
	}
	return out
}

// senders maps the simulator's senders to the suite's.
var senders = map[simulator.Sender]platformtest.Sender{
	simulator.FromBuyer:        platformtest.FromBuyer,
	simulator.FromSellerAPI:    platformtest.FromSellerAPI,
	simulator.FromSellerCentre: platformtest.FromSellerCentre,
}

func convert(m simulator.Message) platformtest.Message {
	from, ok := senders[m.From]
	if !ok {
		from = platformtest.Sender(m.From)
	}
	return platformtest.Message{ID: m.ID, ConversationID: m.ConversationID, BuyerID: m.BuyerID, From: from,
		Type: m.Type, Text: m.Text, CreatedAt: m.CreatedAt}
}

func message(m simulator.Message, err error) (platformtest.Message, error) {
	if err != nil {
		return platformtest.Message{}, err
	}
	return convert(m), nil
}
