package auth

import (
	"context"

	"github.com/shopbridge/shopbridge/bridge"
)

// recordAttempt records an authorization or refresh attempt and its result
// for status and the daily report. detail must carry no secret.
func (a *Flow) recordAttempt(ctx context.Context, s bridge.Store, ok bool, detail string) {
	at := bridge.AuthAttempt{At: a.clock.Now().UTC(), OK: ok, Detail: detail}
	if err := a.state.RecordAuthAttempt(context.WithoutCancel(ctx), s.ID, at); err != nil {
		a.log.Warn("could not record the authorization attempt", "store", string(s.ID), "err", err)
	}
}
