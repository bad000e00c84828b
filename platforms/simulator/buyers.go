package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// BuyerScript describes scripted buyers: which shops, how many buyers, how
// fast. With the same seed (and clock) the same messages come in the same
// order.
type BuyerScript struct {
	// Shops are the shop IDs written to; empty means every shop.
	Shops []string `json:"shops,omitempty"`
	// BuyersPerShop is how many distinct buyers write to each shop (default 3).
	BuyersPerShop int `json:"buyers_per_shop,omitempty"`
	// Interval is the wait between two messages on the simulator's clock
	// (default 1s); a negative interval sends without waiting.
	Interval time.Duration `json:"-"`
	// Messages is how many messages to send in all; 0 means until stopped.
	Messages int `json:"messages,omitempty"`
	// Seed defaults to the simulator's seed.
	Seed uint64 `json:"seed,omitempty"`
	// NonText is the share (0..1) of messages that are images, stickers,
	// items, orders, vouchers or unsupported types instead of text.
	NonText float64 `json:"non_text,omitempty"`
}

// UnmarshalJSON reads interval as a Go duration string ("500ms").
func (b *BuyerScript) UnmarshalJSON(data []byte) error {
	type plain BuyerScript
	var j struct {
		plain
		Interval string `json:"interval"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*b = BuyerScript(j.plain)
	if j.Interval != "" {
		d, err := time.ParseDuration(j.Interval)
		if err != nil {
			return fmt.Errorf("buyer script interval: %w", err)
		}
		b.Interval = d
	}
	return nil
}

// BuyerRun is a running buyer script.
type BuyerRun struct {
	cancel context.CancelFunc
	done   chan struct{}
	sent   atomic.Int64
}

// Stop ends the script and waits for it.
func (r *BuyerRun) Stop() {
	r.cancel()
	<-r.done
}

// Wait waits until the script has sent all its messages or was stopped.
func (r *BuyerRun) Wait() { <-r.done }

// Done is closed when the script ends.
func (r *BuyerRun) Done() <-chan struct{} { return r.done }

// Sent is how many messages the script has sent so far.
func (r *BuyerRun) Sent() int { return int(r.sent.Load()) }

var buyerNames = []string{"Aisyah", "Budi", "Chloe", "Dinh", "Ella", "Farid", "Grace", "Hiro", "Intan", "Jun", "Kamal", "Lina", "Mei", "Nok", "Omar", "Putri"}

var buyerPhrases = []string{
	"Hi, is this item still in stock?",
	"When will my order ship?",
	"Can I change the size to M?",
	"Do you have this in blue?",
	"The parcel arrived damaged :(",
	"Is there a discount for 3 pieces?",
	"Thank you!",
	"How long is delivery to Penang?",
	"@channel <!here> please answer <https://evil.example|click>",
	"Can I get an invoice?",
}

var nonTextTypes = []string{"image", "sticker", "item", "order", "voucher", "video", "faq_liveagent"}

// ScriptBuyerID is the ID of scripted buyer j of the i-th shop of a script.
func ScriptBuyerID(i, j int) string { return strconv.Itoa(300_000_000 + i*1000 + j) }

// StartBuyers runs a buyer script in the background until it has sent its
// messages, Stop is called, ctx ends or the simulator closes.
func (s *Simulator) StartBuyers(ctx context.Context, script BuyerScript) (*BuyerRun, error) {
	shops := script.Shops
	if len(shops) == 0 {
		for _, sh := range s.Shops() {
			shops = append(shops, sh.ShopID)
		}
	}
	if len(shops) == 0 {
		return nil, fmt.Errorf("simulator: a buyer script needs at least one shop")
	}
	s.mu.Lock()
	for _, id := range shops {
		if _, ok := s.shops[id]; !ok {
			s.mu.Unlock()
			return nil, fmt.Errorf("simulator: buyer script: no shop %s", id)
		}
	}
	s.mu.Unlock()
	if script.BuyersPerShop <= 0 {
		script.BuyersPerShop = 3
	}
	if script.Interval == 0 {
		script.Interval = time.Second
	}
	seed := script.Seed
	if seed == 0 {
		seed = s.cfg.Seed
	}
	for i := range shops {
		for j := range script.BuyersPerShop {
			_ = s.AddBuyer(Buyer{ID: ScriptBuyerID(i, j), Name: buyerNames[(i*script.BuyersPerShop+j)%len(buyerNames)]})
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	ctx, cancel := context.WithCancel(ctx)
	run := &BuyerRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(run.done)
		defer cancel()
		for n := 0; script.Messages == 0 || n < script.Messages; n++ {
			if script.Interval > 0 {
				select {
				case <-ctx.Done():
					return
				case <-s.closed:
					return
				case <-s.clock.After(script.Interval):
				}
			} else if ctx.Err() != nil {
				return
			}
			i := rng.IntN(len(shops))
			buyer := ScriptBuyerID(i, rng.IntN(script.BuyersPerShop))
			var err error
			if script.NonText > 0 && rng.Float64() < script.NonText {
				typ := nonTextTypes[rng.IntN(len(nonTextTypes))]
				_, err = s.BuyerSends(shops[i], buyer, typ, SampleContent(typ, n+1))
			} else {
				_, err = s.BuyerSays(shops[i], buyer, fmt.Sprintf("%s (#%d)", buyerPhrases[rng.IntN(len(buyerPhrases))], n+1))
			}
			if err != nil {
				s.log.Warn("scripted buyer could not write", "err", err)
				return
			}
			run.sent.Add(1)
		}
	}()
	return run, nil
}

// scripts keeps the runs started through the control API.
type scripts struct {
	mu   sync.Mutex
	runs []*BuyerRun
}
