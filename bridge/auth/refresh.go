package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Start starts the refresher: it refreshes each store's access token
// RefreshMargin before it expires, warns ExpiryWarning before a store's
// authorization lapses, and marks a store "needs update" (with an alert)
// when the platform refuses a refresh. It returns at once.
func (a *Flow) Start(ctx context.Context) error {
	if a.cancel != nil {
		return nil
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel, a.done = cancel, make(chan struct{})
	go a.run(runCtx)
	return nil
}

// Stop stops the refresher and waits for it.
func (a *Flow) Stop(ctx context.Context) error {
	if a.cancel == nil {
		return nil
	}
	a.cancel()
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: stop: %w", ctx.Err())
	}
}

// Wake makes the refresher look at the tokens now (new tokens were saved).
func (a *Flow) Wake() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *Flow) run(ctx context.Context) {
	defer close(a.done)
	for {
		wait := a.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		case <-a.clock.After(wait):
		}
	}
}

// check looks at every store once, refreshes what is due, and returns how
// long to sleep before the next look.
func (a *Flow) check(ctx context.Context) time.Duration {
	next := a.clock.Now().Add(a.cfg.CheckInterval)
	for _, s := range a.stores() {
		if ctx.Err() != nil {
			return a.cfg.CheckInterval
		}
		if a.owns != nil && !a.owns(s.ID) {
			continue // another replica holds the store and refreshes its tokens
		}
		if at := a.checkStore(ctx, s); !at.IsZero() && at.Before(next) {
			next = at
		}
	}
	return max(next.Sub(a.clock.Now()), time.Second)
}

// checkStore handles one store and returns when it next needs a look (zero:
// nothing scheduled before the regular check).
func (a *Flow) checkStore(ctx context.Context, s bridge.Store) time.Time {
	if _, err := a.authorizer(s); err != nil {
		return time.Time{}
	}
	t, err := a.state.LoadTokens(ctx, s.ID)
	if errors.Is(err, bridge.ErrNotFound) {
		// Never authorized, or still on tokens from the config whose expiry
		// is unknown: the client refreshes those when they are refused.
		return time.Time{}
	}
	if err != nil {
		a.log.Warn("refresher: could not load tokens", "store", string(s.ID), "err", err)
		return time.Time{}
	}
	rec, err := a.state.StoreAuthRecord(ctx, s.ID)
	if err != nil {
		a.log.Warn("refresher: could not read the authorization record", "store", string(s.ID), "err", err)
	}
	now := a.clock.Now()
	if rec.NeedsUpdate {
		if !t.UpdatedAt.After(rec.Since) {
			return time.Time{} // waiting for the shop owner to authorize again
		}
		// New tokens were saved by someone else (the CLI, another process).
		a.clearNeedsUpdate(ctx, s, "new tokens were saved")
	}
	var next time.Time
	if !t.RefreshExpiresAt.IsZero() {
		warnAt := t.RefreshExpiresAt.Add(-a.cfg.ExpiryWarning)
		if now.Before(warnAt) {
			next = warnAt
		} else {
			a.warnExpiry(ctx, s, t)
		}
	}
	if t.AccessExpiresAt.IsZero() {
		return next
	}
	due := t.AccessExpiresAt.Add(-a.cfg.RefreshMargin)
	if now.Before(due) {
		delete(a.retry, s.ID)
		return earliest(next, due)
	}
	if r, ok := a.retry[s.ID]; ok && now.Before(r.at) {
		return earliest(next, r.at)
	}
	nt, err := a.refreshStore(ctx, s)
	if err != nil {
		if k := bridge.Classify(err); k == bridge.KindAuth || k == bridge.KindPermanent {
			delete(a.retry, s.ID)
			return next
		}
		r := a.retry[s.ID]
		r.delay = min(max(r.delay*2, a.cfg.RetryInterval), a.cfg.CheckInterval)
		if ra := bridge.RetryAfterOf(err); ra > r.delay {
			r.delay = ra
		}
		r.at = now.Add(r.delay)
		a.retry[s.ID] = r
		return earliest(next, r.at)
	}
	delete(a.retry, s.ID)
	if nt.AccessExpiresAt.IsZero() {
		return next
	}
	return earliest(next, nt.AccessExpiresAt.Add(-a.cfg.RefreshMargin))
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// refreshStore refreshes a store's tokens through its marketplace and
// keeps the books: the attempt is recorded, a refusal marks the store
// "needs update" and alerts, a success clears that.
func (a *Flow) refreshStore(ctx context.Context, s bridge.Store) (bridge.Tokens, error) {
	az, err := a.authorizer(s)
	if err != nil {
		return bridge.Tokens{}, err
	}
	t, err := az.RefreshTokens(ctx, s)
	if err != nil {
		reason := bridge.ReasonOf(err)
		kind := bridge.Classify(err)
		a.log.Warn("token refresh failed", "store", string(s.ID), "kind", kind.String(), "err", err)
		a.recordAttempt(ctx, s, false, "token refresh failed: "+reason)
		if kind == bridge.KindAuth || kind == bridge.KindPermanent {
			a.markNeedsUpdate(ctx, s, reason)
		}
		return bridge.Tokens{}, err
	}
	a.recordAttempt(ctx, s, true, "tokens refreshed")
	a.clearNeedsUpdate(ctx, s, "tokens refreshed")
	return t, nil
}
