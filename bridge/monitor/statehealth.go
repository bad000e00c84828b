package monitor

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Alert texts for the state database.
const (
	TextStateWriteFailed = "State database cannot be written — posting paused."
	TextStateReadFailed  = "State database cannot be read — syncing paused."
)

// stateFailure counts a failure of the state database (a local fault: disk
// full, read-only file, corrupt database, PostgreSQL gone). Past the failure
// threshold the alerts channel says so, naming the database and the error,
// never as a network outage. Messages are not lost meanwhile: what could not
// be recorded is fetched again, and what could not be marked posted is
// remembered and not posted again.
func (m *Monitor) StateFailure(err error) {
	now := m.clock.Now()
	m.mu.Lock()
	if !m.db.fail(now, err, m.cfg.FailureThreshold) {
		m.mu.Unlock()
		return
	}
	inc := &incidentState{Incident: bridge.Incident{Scope: bridge.ScopeState, StartedAt: m.db.firstFail, Error: stateReason(err)}}
	m.dbInc = inc
	m.mu.Unlock()
	m.log.Error("state database failing: a local fault of this host, not a network outage", "err", err)
	m.publish(inc, stateAlert(isWrite(err)))
}

// stateSuccess closes the state database's incident after a successful
// write; it is cheap when there is none.
func (m *Monitor) StateSuccess() {
	m.mu.Lock()
	if !m.db.down {
		m.db.failures = 0
		m.db.lastErr = nil
		m.mu.Unlock()
		return
	}
	write := isWrite(m.db.lastErr)
	m.db = health{}
	inc := m.dbInc
	m.dbInc = nil
	inc.EndedAt = m.clock.Now()
	m.mu.Unlock()
	m.log.Info("state database works again; the backlog drains by itself")
	m.publish(inc, stateAlert(write))
}

// StateHealth returns the state database's health.
func (m *Monitor) StateHealth() StoreHealth {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := StoreHealth{Down: m.db.down, DownSince: m.db.downSince, Failures: m.db.failures}
	if m.db.lastErr != nil {
		out.LastError = stateReason(m.db.lastErr)
	}
	return out
}

func isWrite(err error) bool {
	var se *bridge.StateError
	return errors.As(err, &se) && se.Write
}

func stateAlert(write bool) func(bridge.Incident) bridge.Alert {
	return func(in bridge.Incident) bridge.Alert {
		if !in.EndedAt.IsZero() {
			return bridge.Alert{Severity: bridge.SeverityResolved,
				Title: fmt.Sprintf("State database works again after %s.", in.EndedAt.Sub(in.StartedAt).Round(time.Second)),
				Text:  "Buyer messages that waited are being posted; nothing was lost or posted twice."}
		}
		title := TextStateReadFailed
		if write {
			title = TextStateWriteFailed
		}
		return bridge.Alert{Severity: bridge.SeverityCritical, Title: title,
			Text: fmt.Sprintf("Since %s. Error: %s\nThis is a local fault of the bridge's host (disk full, read-only or damaged database file, database server), not a network outage. "+
				"Buyer messages wait on the marketplace and in the queue; nothing is posted twice, and the backlog drains by itself once the database works again.",
				in.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), in.Error)}
	}
}

// stateReason is a short reason for an alert about the state database.
func stateReason(err error) string {
	var se *bridge.StateError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: %v", se.Op, se.Err)
	}
	return err.Error()
}
