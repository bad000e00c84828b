package bridge

import "context"

// recordAttempt records an authorization or refresh attempt and its result
// for status and the daily report (RecordAuthAttempt, "auth:last:<id>").
// detail must carry no secret.
func (a *Auth) recordAttempt(ctx context.Context, s Store, ok bool, detail string) {
	if err := RecordAuthAttempt(context.WithoutCancel(ctx), a.state, s.ID, a.clock.Now(), ok, detail); err != nil {
		a.log.Warn("could not record the authorization attempt", "store", string(s.ID), "err", err)
	}
}
