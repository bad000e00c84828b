package engine

import (
	"context"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
)

// RepairConversation fetches one conversation's recent messages from the
// marketplace and records what the bridge is missing (an admin's `repair`;
// for a push-driven store it is one of the rare calls of its lists). It
// returns how many messages will be posted.
func (e *Engine) RepairConversation(ctx context.Context, id bridge.StoreID, conv bridge.ConversationID) (int, error) {
	st, ok := e.Store(id)
	if !ok {
		return 0, fmt.Errorf("unknown store %q", id)
	}
	mp := e.marketplace(st.Platform)
	var (
		c    = bridge.Conversation{ID: conv}
		msgs []bridge.Message
		err  error
	)
	if rp, ok := mp.(bridge.Repairer); ok {
		c, msgs, err = rp.RepairConversation(ctx, st, conv, e.cfg.HistoryLimit)
	} else {
		msgs, err = mp.ListMessages(ctx, st, conv, "", e.cfg.HistoryLimit)
	}
	if err != nil {
		return 0, fmt.Errorf("fetch conversation %s of store %s: %w", conv, id, err)
	}
	if c.ID == "" {
		c.ID = conv
	}
	return e.queue.Record(ctx, st, c, msgs)
}
