package bridge

import (
	"context"
	"encoding/json"
	"time"
)

// authAttempt is the last authorization or refresh attempt of a store, kept
// in State.Meta under "auth:last:<id>" for status and the daily report.
type authAttempt struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	Detail string    `json:"detail"`
}

// recordAttempt records an authorization or refresh attempt and its result.
// detail must carry no secret.
func (a *Auth) recordAttempt(ctx context.Context, s Store, ok bool, detail string) {
	data, err := json.Marshal(authAttempt{At: a.clock.Now().UTC(), OK: ok, Detail: detail})
	if err == nil {
		err = a.state.SetMeta(context.WithoutCancel(ctx), "auth:last:"+string(s.ID), string(data))
	}
	if err != nil {
		a.log.Warn("could not record the authorization attempt", "store", string(s.ID), "err", err)
	}
}
