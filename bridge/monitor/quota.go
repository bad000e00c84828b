package monitor

import (
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// A marketplace that refuses a store's calls for a long while (TikTok Shop's
// daily customer-service quota) answers rate-limited with a long RetryAfter.
// That is not a network outage: the store pauses until then, says so once
// (one alert, edited when it resumes), and status shows until when.

// QuotaPauseMin is the shortest wait treated as a quota pause rather than
// a rate limit to wait out.
const QuotaPauseMin = 10 * time.Minute

// quotaPaused records that the store is paused until until; it reports
// whether that is news.
func (m *Monitor) QuotaPaused(id bridge.StoreID, until time.Time, reason string) {
	m.mu.Lock()
	h := m.healthLocked(id)
	if !h.pausedUntil.IsZero() && !until.After(h.pausedUntil) {
		m.mu.Unlock()
		return
	}
	isNew := h.pausedUntil.IsZero()
	h.pausedUntil, h.pauseReason = until, reason
	var inc *incidentState
	if isNew {
		inc = &incidentState{Incident: bridge.Incident{Scope: "quota", Stores: []bridge.StoreID{id}, StartedAt: m.clock.Now(), Error: reason}}
		h.pauseInc = inc
	} else {
		inc = h.pauseInc
	}
	m.mu.Unlock()
	if inc != nil {
		m.log.Warn("store paused: the marketplace's quota is used up", "store", id, "until", until.UTC().Format(time.RFC3339), "reason", reason)
		m.publish(inc, m.quotaAlert(until))
	}
}

// quotaResumed ends a store's quota pause (a call succeeded again).
func (m *Monitor) QuotaResumed(id bridge.StoreID) {
	m.mu.Lock()
	h := m.healthLocked(id)
	inc := h.pauseInc
	h.pausedUntil, h.pauseReason, h.pauseInc = time.Time{}, "", nil
	if inc != nil {
		inc.EndedAt = m.clock.Now()
	}
	m.mu.Unlock()
	if inc != nil {
		m.log.Info("store resumed after its quota pause", "store", id)
		m.publish(inc, m.quotaAlert(time.Time{}))
	}
}

func (m *Monitor) quotaAlert(until time.Time) func(bridge.Incident) bridge.Alert {
	return func(in bridge.Incident) bridge.Alert {
		if !in.EndedAt.IsZero() {
			return bridge.Alert{Severity: bridge.SeverityResolved, Title: "Store resumed: " + m.storeNames(in.Stores), Stores: in.Stores,
				Text: fmt.Sprintf("Paused for %s by the marketplace's quota; syncing again.", in.EndedAt.Sub(in.StartedAt).Round(time.Minute))}
		}
		return bridge.Alert{Severity: bridge.SeverityWarning, Title: "Store paused until " + until.UTC().Format("15:04 UTC") + ": " + m.storeNames(in.Stores), Stores: in.Stores,
			Text: fmt.Sprintf("%s.\nThe marketplace refuses this store's calls until then (its daily quota): messages its webhooks carry are still posted, polling resumes then, and replies wait until then.", in.Error)}
	}
}

// quotaHold reports how long the store's quota pause still lasts (zero: none).
func (m *Monitor) QuotaHold(id bridge.StoreID) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.healthLocked(id)
	if h.pausedUntil.IsZero() {
		return 0
	}
	return max(h.pausedUntil.Sub(m.clock.Now()), 0)
}
