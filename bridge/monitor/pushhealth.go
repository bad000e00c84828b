package monitor

import (
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Push-driven stores (Lazada) are judged from pushes arriving as well as
// from their health checks: a store whose replies were sent but whose
// pushes (the platform pushes the seller's own messages back too) stopped
// is flagged once, and the flag is cleared by the next push.

// pushState is a push-driven store's push bookkeeping.
type pushState struct {
	lastPush time.Time
	// expected is the oldest reply sent since the last push.
	expected time.Time
	sent     int
	inc      *incidentState
}

func (m *Monitor) pushStateLocked(id bridge.StoreID) *pushState {
	if m.pushes == nil {
		m.pushes = map[bridge.StoreID]*pushState{}
	}
	ps := m.pushes[id]
	if ps == nil {
		ps = &pushState{}
		m.pushes[id] = ps
	}
	return ps
}

// pushSeen records a push for the store; it clears a "pushes stopped" flag.
func (m *Monitor) PushSeen(id bridge.StoreID, at time.Time) {
	m.mu.Lock()
	ps := m.pushStateLocked(id)
	ps.lastPush, ps.expected, ps.sent = at, time.Time{}, 0
	inc := ps.inc
	ps.inc = nil
	if inc != nil {
		inc.EndedAt = at
	}
	m.mu.Unlock()
	if inc != nil {
		m.log.Info("pushes arrive again", "store", id)
		m.publish(inc, m.pushAlert)
	}
}

// pushExpected records a reply sent for a push-driven store.
func (m *Monitor) PushExpected(id bridge.StoreID, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ps := m.pushStateLocked(id)
	if ps.expected.IsZero() {
		ps.expected = at
	}
	ps.sent++
}

// checkPushes flags the store when a reply was sent more than silence ago
// and no push arrived since.
func (m *Monitor) CheckPushes(id bridge.StoreID, silence time.Duration) {
	now := m.clock.Now()
	m.mu.Lock()
	ps := m.pushStateLocked(id)
	if ps.inc != nil || ps.expected.IsZero() || now.Sub(ps.expected) < silence {
		m.mu.Unlock()
		return
	}
	inc := &incidentState{Incident: bridge.Incident{Scope: "push", Stores: []bridge.StoreID{id}, StartedAt: ps.expected,
		Error: fmt.Sprintf("%d replies sent since %s and no push arrived", ps.sent, ps.expected.UTC().Format("15:04 UTC"))}}
	ps.inc = inc
	m.mu.Unlock()
	m.log.Warn("no pushes arrive for a push-driven store although replies were sent: check its push URL and subscription", "store", id)
	m.publish(inc, m.pushAlert)
}

func (m *Monitor) pushAlert(in bridge.Incident) bridge.Alert {
	if !in.EndedAt.IsZero() {
		return bridge.Alert{Severity: bridge.SeverityResolved, Title: "Pushes arrive again: " + m.storeNames(in.Stores), Stores: in.Stores,
			Text: fmt.Sprintf("No push arrived for %s.", in.EndedAt.Sub(in.StartedAt).Round(time.Second))}
	}
	return bridge.Alert{Severity: bridge.SeverityWarning, Title: "No pushes arrive: " + m.storeNames(in.Stores), Stores: in.Stores,
		Text: in.Error + ". New buyer messages of this store reach the bridge only by push: check the push URL and the " +
			"message subscriptions in the marketplace's console, and that the store is still authorized."}
}
