package engine

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// restoreAuth marks the stores whose saved authorization record needs an
// update, without a new alert (it was posted when it happened), at start.
func (e *Engine) restoreAuth(ctx context.Context) {
	now := e.clock.Now()
	for _, id := range e.order {
		sa, err := bridge.StoreAuthStatus(ctx, e.state, id)
		if err != nil || !sa.NeedsUpdate {
			continue
		}
		e.mon.RestoreNeedsUpdate(id, sa.Reason, sa.Since, now)
		e.log.Warn("store needs update (re-authorization); it is synced again once new tokens are saved", "store", id, "since", sa.Since.UTC().Format(time.RFC3339))
	}
}

// StoreAuthorized is told by the authorization flow that new tokens were
// saved for the store: it is up again as far as its tokens go, and syncs now.
func (e *Engine) StoreAuthorized(s bridge.Store) {
	e.mon.AuthRestored(s.ID)
	if sy := e.syncerFor(s.ID); sy != nil {
		sy.wake(syncRequest{reason: "authorized"})
	}
}

// expiryWarning is how long before its end a store's authorization is
// "expiring soon": the registered authorization's setting, or the default.
func (e *Engine) expiryWarning() time.Duration {
	if e.authorization != nil {
		return e.authorization.ExpiryWarning()
	}
	return bridge.DefaultExpiryWarning
}
