package monitor

import (
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// A store whose tokens the marketplace refuses (its refresh was refused
// too) is not "up", whatever its network: it "needs update" until an admin
// re-authorizes it. The monitor holds that state, so that status, stores,
// metrics and /healthz say so; the syncer then stops calling the
// marketplace for it (each call would try the refused refresh again) and
// tries once every AuthRetry, or at once when new tokens are saved.

// authRefused records that the store's tokens are refused; it reports
// whether that is news (one log line and one alert per change, not per poll).
func (m *Monitor) AuthRefused(id bridge.StoreID, err error) bool {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.healthLocked(id)
	h.authTried = now
	if h.needsUpdate {
		return false
	}
	h.needsUpdate, h.authReason, h.authSince = true, bridge.ReasonOf(err), now
	return true
}

// authRestored records that the store's tokens work again (new tokens were
// saved, or a sync succeeded); it reports whether the store needed an update.
func (m *Monitor) AuthRestored(id bridge.StoreID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.healthLocked(id)
	was := h.needsUpdate
	h.needsUpdate, h.authReason, h.authSince, h.authTried = false, "", time.Time{}, time.Time{}
	return was
}

// authHold reports whether the store waits for re-authorization, and how
// long until its next try (zero: try now).
func (m *Monitor) AuthHold(id bridge.StoreID) (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.healthLocked(id)
	if !h.needsUpdate {
		return false, 0
	}
	return true, max(h.authTried.Add(m.cfg.AuthRetry).Sub(m.clock.Now()), 0)
}

// RestoreNeedsUpdate marks a store whose saved authorization record needs
// an update, at start, without a new alert (it was posted when it
// happened); tried is when it counts as last tried.
func (m *Monitor) RestoreNeedsUpdate(id bridge.StoreID, reason string, since, tried time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.healthLocked(id)
	h.needsUpdate, h.authReason, h.authSince, h.authTried = true, reason, since, tried
}
