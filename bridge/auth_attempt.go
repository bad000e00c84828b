package bridge

import "context"

// recordAttempt records an authorization or refresh attempt and its result
// for status and the daily report. detail must carry no secret.
func (a *Auth) recordAttempt(ctx context.Context, s Store, ok bool, detail string) {
	at := AuthAttempt{At: a.clock.Now().UTC(), OK: ok, Detail: detail}
	if err := a.state.RecordAuthAttempt(context.WithoutCancel(ctx), s.ID, at); err != nil {
		a.log.Warn("could not record the authorization attempt", "store", string(s.ID), "err", err)
	}
}
