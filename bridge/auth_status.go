package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultExpiryWarning is how long before a store's authorization (its
// refresh token) ends `status` and `stores` say so; the authorization flow
// warns as long before, unless configured otherwise.
const DefaultExpiryWarning = 7 * 24 * time.Hour

// StoreAuth is a store's authorization health, for status and the report.
type StoreAuth struct {
	Store StoreID
	// HasTokens is false when no tokens are saved: the store was never
	// authorized, or it still runs on tokens from the config.
	HasTokens        bool
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	UpdatedAt        time.Time
	// NeedsUpdate is set when a refresh was refused: the shop owner must
	// authorize again (`store update`).
	NeedsUpdate bool
	Reason      string
	Since       time.Time
}

// StoreAuthStatus reads a store's authorization health from the state.
func StoreAuthStatus(ctx context.Context, st interface {
	LoadTokens(ctx context.Context, store StoreID) (Tokens, error)
	StoreAuthRecord(ctx context.Context, id StoreID) (StoreAuthRecord, error)
}, id StoreID) (StoreAuth, error) {
	out := StoreAuth{Store: id}
	rec, err := st.StoreAuthRecord(ctx, id)
	if err != nil {
		return out, err
	}
	out.NeedsUpdate, out.Reason, out.Since = rec.NeedsUpdate, rec.Reason, rec.Since
	t, err := st.LoadTokens(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return out, err
	default:
		out.HasTokens = t.AccessToken != "" || t.RefreshToken != ""
		out.AccessExpiresAt, out.RefreshExpiresAt, out.UpdatedAt = t.AccessExpiresAt, t.RefreshExpiresAt, t.UpdatedAt
	}
	return out, nil
}

// ExpiresWithin reports whether the authorization (the refresh token) ends
// within d of now.
func (s StoreAuth) ExpiresWithin(now time.Time, d time.Duration) bool {
	return !s.RefreshExpiresAt.IsZero() && !now.Add(d).Before(s.RefreshExpiresAt)
}

// Summary is a short word for tables: "ok", "NEEDS UPDATE", "expires in 3d",
// "no saved tokens".
func (s StoreAuth) Summary(now time.Time, warn time.Duration) string {
	switch {
	case s.NeedsUpdate:
		return "NEEDS UPDATE"
	case !s.HasTokens:
		return "no saved tokens"
	case !s.RefreshExpiresAt.IsZero() && !now.Before(s.RefreshExpiresAt):
		return "EXPIRED"
	case s.ExpiresWithin(now, warn):
		return "expires in " + roundDays(s.RefreshExpiresAt.Sub(now))
	}
	return "ok"
}

// ExpiresIn is how long the authorization has left, in days, or hours
// under two days: "3d", "20h".
func (s StoreAuth) ExpiresIn(now time.Time) string { return roundDays(s.RefreshExpiresAt.Sub(now)) }

// roundDays renders a duration as days, or hours under two days.
func roundDays(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
