package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// markNeedsUpdate records that the store must be authorized again and
// posts one alert for it (not one per failed attempt).
func (a *Flow) markNeedsUpdate(ctx context.Context, s bridge.Store, reason string) {
	a.recMu.Lock()
	defer a.recMu.Unlock()
	rec, err := a.state.StoreAuthRecord(ctx, s.ID)
	if err != nil {
		a.log.Error("could not read the store's authorization record", "store", string(s.ID), "err", err)
	}
	if rec.NeedsUpdate {
		rec.Reason = reason
	} else {
		rec.NeedsUpdate, rec.Reason, rec.Since, rec.Alert = true, reason, a.clock.Now(), bridge.AlertRef{}
		if a.chat != nil {
			ref, err := a.chat.PostAlert(ctx, bridge.Alert{
				Severity: bridge.SeverityCritical, Title: "Store needs update: " + s.Label(), Stores: []bridge.StoreID{s.ID},
				Text: fmt.Sprintf("The tokens of %s could not be refreshed: %s.\nThe store stops syncing when its access token expires. "+
					"An admin runs `/shopbridge store update %s` and the shop owner opens the link.", s.Label(), reason, s.ID),
			})
			if err != nil {
				a.log.Error("could not post the needs-update alert", "store", string(s.ID), "err", err)
			}
			rec.Alert = ref
		}
		a.log.Warn("store needs update", "store", string(s.ID), "reason", reason)
	}
	if err := a.state.SaveStoreAuthRecord(context.WithoutCancel(ctx), rec); err != nil {
		a.log.Error("could not save the store's authorization record", "store", string(s.ID), "err", err)
	}
}

// clearNeedsUpdate records a store's new tokens: a pending "needs update"
// is cleared and its alert edited to resolved. It reports whether the
// store needed an update.
func (a *Flow) clearNeedsUpdate(ctx context.Context, s bridge.Store, how string) bool {
	// Whoever called this saved tokens that work: the engine syncs the
	// store again at once if it was waiting for them.
	if a.authorized != nil {
		defer a.authorized(s)
	}
	a.recMu.Lock()
	defer a.recMu.Unlock()
	rec, err := a.state.StoreAuthRecord(ctx, s.ID)
	if err != nil {
		a.log.Error("could not read the store's authorization record", "store", string(s.ID), "err", err)
		return false
	}
	if !rec.NeedsUpdate {
		return false
	}
	if a.chat != nil && rec.Alert.ID != "" {
		err := a.chat.UpdateAlert(ctx, rec.Alert, bridge.Alert{
			Severity: bridge.SeverityResolved, Title: "Store updated: " + s.Label(), Stores: []bridge.StoreID{s.ID},
			Text: fmt.Sprintf("%s: %s (it needed an update since %s).", s.Label(), how, rec.Since.UTC().Format("2006-01-02 15:04 MST")),
		})
		if err != nil {
			a.log.Warn("could not resolve the needs-update alert", "store", string(s.ID), "err", err)
		}
	}
	rec.NeedsUpdate, rec.Reason, rec.Since, rec.Alert = false, "", time.Time{}, bridge.AlertRef{}
	if err := a.state.SaveStoreAuthRecord(context.WithoutCancel(ctx), rec); err != nil {
		a.log.Error("could not save the store's authorization record", "store", string(s.ID), "err", err)
	}
	return true
}

// warnExpiry posts one alert per refresh-token expiry that comes within
// the warning period.
func (a *Flow) warnExpiry(ctx context.Context, s bridge.Store, t bridge.Tokens) {
	a.recMu.Lock()
	defer a.recMu.Unlock()
	rec, err := a.state.StoreAuthRecord(ctx, s.ID)
	if err != nil || rec.NeedsUpdate || rec.WarnedExpiry.Equal(t.RefreshExpiresAt) {
		return
	}
	left := bridge.StoreAuth{RefreshExpiresAt: t.RefreshExpiresAt}.ExpiresIn(a.clock.Now())
	if a.chat != nil {
		_, err := a.chat.PostAlert(ctx, bridge.Alert{
			Severity: bridge.SeverityWarning, Title: "Store authorization expires soon: " + s.Label(), Stores: []bridge.StoreID{s.ID},
			Text: fmt.Sprintf("The authorization of %s expires in %s (%s). Run `/shopbridge store update %s` and have the shop owner approve it again before then.",
				s.Label(), left, t.RefreshExpiresAt.UTC().Format("2006-01-02 15:04 MST"), s.ID),
		})
		if err != nil {
			a.log.Warn("could not post the expiry warning", "store", string(s.ID), "err", err)
			return
		}
	}
	a.log.Warn("store authorization expires soon", "store", string(s.ID), "expires", t.RefreshExpiresAt.UTC().Format(time.RFC3339))
	rec.WarnedExpiry = t.RefreshExpiresAt
	if err := a.state.SaveStoreAuthRecord(context.WithoutCancel(ctx), rec); err != nil {
		a.log.Error("could not save the store's authorization record", "store", string(s.ID), "err", err)
	}
}
