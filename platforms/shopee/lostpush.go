package shopee

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/shopbridge/shopbridge/bridge"
)

// RecoverLostPushes fetches the pushes Shopee could not deliver
// (get_lost_push_message: the earliest 100 of the last 3 days), turns the
// webchat ones into hints, and confirms them consumed so the next call
// returns the following ones. The engine or a ticker calls it; see
// RunLostPushRecovery.
func (c *Client) RecoverLostPushes(ctx context.Context) error {
	total := 0
	for range maxLostPushPagesPerCycle {
		body, err := c.callPublic(ctx, bridge.Store{}, apiCall{path: pathGetLostPushMessage, op: "get lost pushes", method: http.MethodGet, idempotent: true})
		if err != nil {
			return err
		}
		env, err := decodeEnvelope(body)
		if err != nil {
			return c.decodeErr("get lost pushes", err)
		}
		p, err := decodeLostPushes(env.Response)
		if err != nil {
			return c.decodeErr("get lost pushes", err)
		}
		for _, push := range p.Pushes {
			c.onPush(push)
		}
		total += len(p.Pushes)
		if len(p.Pushes) > 0 && p.LastMessageID != nil {
			_, err := c.callPublic(ctx, bridge.Store{}, apiCall{
				path: pathConfirmLostPushMsg, op: "confirm lost pushes", method: http.MethodPost, idempotent: true,
				body: map[string]json.RawMessage{"last_message_id": p.LastMessageID},
			})
			if err != nil {
				return err
			}
		}
		if !p.HasNextPage || len(p.Pushes) == 0 {
			break
		}
	}
	if total > 0 {
		c.log.Info("recovered lost pushes", "count", total)
	}
	return nil
}

// RunLostPushRecovery calls RecoverLostPushes at once and then every
// lost_push_interval until ctx ends (the lead's lifecycle runs it in a
// goroutine). Failures are logged; the regular poll covers the gap. Without
// push_callback_url no push is sent, so nothing is lost and it returns at once.
func (c *Client) RunLostPushRecovery(ctx context.Context) error {
	if c.cfg.LostPushInterval < 0 || c.cfg.PushCallbackURL == "" {
		return nil
	}
	for {
		if err := c.RecoverLostPushes(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("lost push recovery failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.clock.After(c.cfg.LostPushInterval):
		}
	}
}
