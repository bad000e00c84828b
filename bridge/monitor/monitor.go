package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Monitor watches each store's syncer and the chat surface. A store is down
// after FailureThreshold failed syncs in a row; several stores down at once
// share one incident and one alert, edited as stores join and recover. A
// down store is probed with backoff; after Debounce of stable success it
// catches up, and when every store of the incident has, the alert is edited
// to say how long it lasted and how many messages were caught up.
type Monitor struct {
	cfg    Config
	state  bridge.IncidentLog
	alerts alerter
	clock  bridge.Clock
	log    *slog.Logger
	// label names a store in alerts; known says whether it is configured.
	label func(bridge.StoreID) (string, bool)
	// pushDriven says whether a store's messages arrive by push only.
	pushDriven func(bridge.StoreID) bool
	alerting   func() bool

	mu     sync.Mutex
	stores map[bridge.StoreID]*health
	chat   health
	db     health
	// current is the open marketplace incident, if any.
	current *incidentState
	chatInc *incidentState
	dbInc   *incidentState
	// pushes tracks push-driven stores' pushes.
	pushes  map[bridge.StoreID]*pushState
	alertMu sync.Mutex // serialises posting/editing alerts
	// base bounds alert calls: it ends when a stop's grace has passed.
	base context.Context
}

// alerter is the part of Chat the monitor uses.
type alerter interface {
	Name() string
	PostAlert(ctx context.Context, a bridge.Alert) (bridge.AlertRef, error)
	UpdateAlert(ctx context.Context, ref bridge.AlertRef, a bridge.Alert) error
}

// Deps are what the monitor runs on.
type Deps struct {
	State  bridge.IncidentLog
	Alerts alerter
	Clock  bridge.Clock
	Logger *slog.Logger
	// Label names a store for alerts and says whether it is configured.
	Label func(bridge.StoreID) (string, bool)
	// PushDriven says whether a store's messages arrive by push only
	// (Lazada); nil: none does.
	PushDriven func(bridge.StoreID) bool
	// Alerting, with several replicas, says whether this one publishes the
	// alerts about the chat surface and the state database (it holds
	// lease.Alerts); nil: it does. A store's alerts come from the replica
	// that syncs it.
	Alerting func() bool
}

type health struct {
	failures  int
	firstFail time.Time
	down      bool
	downSince time.Time
	lastErr   error
	// probeStart is when probing began; slowProbes counts probes after the
	// fast period.
	probeStart time.Time
	slowProbes int
	// needsUpdate: the marketplace refuses the store's tokens; authTried is
	// the last try with them.
	needsUpdate bool
	authReason  string
	authSince   time.Time
	authTried   time.Time
	// pausedUntil: the marketplace's quota is used up until then.
	pausedUntil time.Time
	pauseReason string
	pauseInc    *incidentState
}

// fail counts a failure at now; it reports whether the failure makes it
// down: the threshold is reached and it was not down yet.
func (h *health) fail(now time.Time, err error, threshold int) bool {
	if h.failures == 0 {
		h.firstFail = now
	}
	h.failures++
	h.lastErr = err
	if h.down || h.failures < threshold {
		return false
	}
	h.down, h.downSince = true, h.firstFail
	return true
}

type incidentState struct {
	bridge.Incident
	// last is the alert as last shown.
	last bridge.Alert
	down map[bridge.StoreID]bool
	// posted is true once the alert exists on the surface.
	failed map[bridge.StoreID]bool
}

// StoreHealth is what status shows about a store's connectivity.
type StoreHealth struct {
	Down      bool
	DownSince time.Time
	Failures  int
	LastError string
	// NeedsUpdate is set while the marketplace refuses the store's tokens:
	// it must be authorized again (AuthReason says why, since AuthSince).
	NeedsUpdate bool
	AuthReason  string
	AuthSince   time.Time
	// PausedUntil is set while the marketplace's quota is used up.
	PausedUntil time.Time
	PauseReason string
}

// Up reports whether the store works: reachable and authorized.
func (h StoreHealth) Up() bool { return !h.Down && !h.NeedsUpdate }

func New(cfg Config, d Deps) *Monitor {
	return &Monitor{cfg: cfg, state: d.State, alerts: d.Alerts, clock: d.Clock, log: d.Logger, label: d.Label, pushDriven: d.PushDriven, alerting: d.Alerting, stores: map[bridge.StoreID]*health{}}
}

func (m *Monitor) healthLocked(id bridge.StoreID) *health {
	h, ok := m.stores[id]
	if !ok {
		h = &health{}
		m.stores[id] = h
	}
	return h
}

// StoreHealth returns a store's connectivity.
func (m *Monitor) StoreHealth(id bridge.StoreID) StoreHealth {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.healthLocked(id)
	out := StoreHealth{Down: h.down, DownSince: h.downSince, Failures: h.failures,
		NeedsUpdate: h.needsUpdate, AuthReason: h.authReason, AuthSince: h.authSince,
		PausedUntil: h.pausedUntil, PauseReason: h.pauseReason}
	if h.lastErr != nil {
		out.LastError = bridge.ReasonOf(h.lastErr)
	}
	return out
}

// ChatHealth returns the chat surface's connectivity.
func (m *Monitor) ChatHealth() StoreHealth {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := StoreHealth{Down: m.chat.down, DownSince: m.chat.downSince, Failures: m.chat.failures}
	if m.chat.lastErr != nil {
		out.LastError = bridge.ReasonOf(m.chat.lastErr)
	}
	return out
}

func (m *Monitor) StoreDown(id bridge.StoreID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.healthLocked(id).down
}

// probeBackoff returns the wait before the next probe of a down store:
// ProbeInterval during the first ProbeFastFor of probing, so that a
// restored marketplace is seen within about ProbeInterval; then doubling up
// to ProbeBackoffMax, so a long outage costs few calls.
func (m *Monitor) ProbeBackoff(id bridge.StoreID) time.Duration {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.healthLocked(id)
	if h.probeStart.IsZero() {
		h.probeStart = now
	}
	if now.Sub(h.probeStart) < m.cfg.ProbeFastFor {
		return m.cfg.ProbeInterval
	}
	h.slowProbes++
	return bridge.Backoff(m.cfg.ProbeInterval, m.cfg.ProbeBackoffMax, h.slowProbes+1)
}

// storeSuccess records a successful sync that relayed n messages. A
// successful sync of a store whose catch-up had failed completes that
// catch-up too.
func (m *Monitor) StoreSuccess(id bridge.StoreID, n int) {
	m.mu.Lock()
	h := m.healthLocked(id)
	if !h.down {
		h.failures = 0
		h.lastErr = nil
	}
	pendingCatchUp := m.current != nil && m.current.failed[id] && !m.current.down[id]
	m.mu.Unlock()
	if pendingCatchUp {
		m.StoreRecovered(id, n, nil)
	}
}

func (m *Monitor) StoreFailure(id bridge.StoreID, err error) {
	now := m.clock.Now()
	m.mu.Lock()
	h := m.healthLocked(id)
	if !h.fail(now, err, m.cfg.FailureThreshold) {
		m.mu.Unlock()
		return
	}
	h.probeStart, h.slowProbes = now, 0
	inc := m.current
	isNew := inc == nil
	if isNew {
		inc = &incidentState{Incident: bridge.Incident{Scope: bridge.ScopeMarketplace, StartedAt: h.firstFail}, down: map[bridge.StoreID]bool{}, failed: map[bridge.StoreID]bool{}}
		m.current = inc
	}
	inc.down[id] = true
	if !containsStore(inc.Stores, id) {
		inc.Stores = append(inc.Stores, id)
	}
	inc.Error = bridge.ReasonOf(err)
	failures := h.failures
	m.mu.Unlock()
	m.log.Warn("store unreachable", "store", id, "failures", failures, "err", err)
	m.publish(inc, m.alertFor)
}

// storeRecovered is called after a down store passed the debounce and ran
// its catch-up sync (err is the catch-up's result).
func (m *Monitor) StoreRecovered(id bridge.StoreID, caught int, err error) {
	now := m.clock.Now()
	m.mu.Lock()
	h := m.healthLocked(id)
	h.down = false
	h.failures = 0
	h.probeStart, h.slowProbes = time.Time{}, 0
	inc := m.current
	if inc == nil {
		m.mu.Unlock()
		return
	}
	delete(inc.down, id)
	inc.CaughtUp += caught
	if err != nil {
		inc.failed[id] = true
		inc.Error = bridge.ReasonOf(err)
	} else {
		delete(inc.failed, id)
	}
	if len(inc.down) == 0 {
		inc.EndedAt = now
		inc.CatchUpFailed = len(inc.failed) > 0
		if !inc.CatchUpFailed {
			m.current = nil
		}
		m.log.Info("stores recovered", "stores", inc.Stores, "caught_up", inc.CaughtUp, "catch_up_failed", inc.CatchUpFailed)
	}
	m.mu.Unlock()
	m.publish(inc, m.alertFor)
}

// failedCatchUps returns the stores of the open incident whose catch-up
// failed (only store, if given).
func (m *Monitor) FailedCatchUps(store bridge.StoreID) []bridge.StoreID {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []bridge.StoreID
	if m.current != nil {
		for id := range m.current.failed {
			if store == "" || id == store {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func containsStore(list []bridge.StoreID, id bridge.StoreID) bool {
	for _, s := range list {
		if s == id {
			return true
		}
	}
	return false
}

// publish posts the incident's alert or edits it, and records the incident.
// The alert is built from the incident as it is when publishing, so edits
// racing from several syncers always end on the newest state.
func (m *Monitor) publish(inc *incidentState, build func(bridge.Incident) bridge.Alert) {
	m.alertMu.Lock()
	defer m.alertMu.Unlock()
	ctx, cancel := context.WithTimeout(m.baseCtx(), 30*time.Second)
	defer cancel()
	m.mu.Lock()
	snap := inc.Incident
	snap.Stores = append([]bridge.StoreID(nil), inc.Stores...)
	m.mu.Unlock()
	if len(snap.Stores) == 0 && m.alerting != nil && !m.alerting() {
		// Another replica publishes the alerts about the chat surface and
		// the state database (each replica sees the same outage).
		return
	}
	a := build(snap)
	ref := snap.Alert
	if ref != (bridge.AlertRef{}) && sameAlert(inc.last, a) {
		return // nothing a reader would see changed
	}
	var err error
	if ref == (bridge.AlertRef{}) {
		ref, err = m.alerts.PostAlert(ctx, a)
		if err != nil {
			m.log.Error("could not post alert", "title", a.Title, "text", a.Text, "err", err)
		}
	} else if err = m.alerts.UpdateAlert(ctx, ref, a); err != nil {
		m.log.Error("could not update alert", "title", a.Title, "err", err)
	}
	m.mu.Lock()
	inc.Alert = ref
	if err == nil {
		inc.last = a
	}
	m.mu.Unlock()
	snap.Alert = ref
	if snap.ID == 0 {
		id, err := m.state.OpenIncident(ctx, snap)
		if err != nil {
			m.log.Error("could not record incident", "err", err)
			return
		}
		m.mu.Lock()
		inc.ID = id
		m.mu.Unlock()
		return
	}
	if err := m.state.UpdateIncident(ctx, snap); err != nil {
		m.log.Error("could not record incident", "err", err)
	}
}

func (m *Monitor) storeNames(ids []bridge.StoreID) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if label, ok := m.label(id); ok {
			names = append(names, label)
		} else {
			names = append(names, string(id))
		}
	}
	return strings.Join(names, ", ")
}

// alertFor renders an incident's alert for its current state.
func (m *Monitor) alertFor(in bridge.Incident) bridge.Alert {
	switch {
	case in.EndedAt.IsZero():
		return m.downAlert(in)
	case in.CatchUpFailed:
		return m.catchUpFailedAlert(in)
	default:
		return m.restoredAlert(in)
	}
}

func (m *Monitor) downAlert(in bridge.Incident) bridge.Alert {
	next := "Polling has backed off to probes; the conversation list will catch up by itself once the network is back."
	if m.allPushDriven(in.Stores) {
		next = "Health checks continue; the marketplace delivers the pushes it could not deliver again once the network is back (Lazada: every 30 minutes, up to 12 times)."
	}
	text := fmt.Sprintf("Stores: %s\nSince: %s\nError: %s\n%s",
		m.storeNames(in.Stores), in.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), in.Error, next)
	return bridge.Alert{Severity: bridge.SeverityCritical, Title: bridge.TextInterrupted, Text: text, Stores: in.Stores}
}

func (m *Monitor) restoredAlert(in bridge.Incident) bridge.Alert {
	dur := in.EndedAt.Sub(in.StartedAt).Round(time.Second)
	return bridge.Alert{
		Severity: bridge.SeverityResolved,
		Title:    fmt.Sprintf("Network restored after %s — %d messages caught up.", dur, in.CaughtUp),
		Text:     fmt.Sprintf("Stores: %s\nInterrupted at %s.", m.storeNames(in.Stores), in.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")),
		Stores:   in.Stores,
	}
}

func (m *Monitor) catchUpFailedAlert(in bridge.Incident) bridge.Alert {
	return bridge.Alert{
		Severity: bridge.SeverityWarning,
		Title:    bridge.TextCatchUpFailed,
		Text: fmt.Sprintf("Stores: %s\nError: %s\nPress Retry or run `sync retry`. Messages are not lost: the next successful sync posts them.",
			m.storeNames(in.Stores), in.Error),
		Stores:  in.Stores,
		Actions: []bridge.Action{{ID: bridge.ActionRetrySync, Label: "Retry", Value: ""}},
	}
}

// chatFailure counts a chat surface failure; past the threshold the surface
// is down: that is logged loudly (the alerts channel may be what is broken)
// and an alert is attempted.
func (m *Monitor) ChatFailure(err error) {
	now := m.clock.Now()
	m.mu.Lock()
	if !m.chat.fail(now, err, m.cfg.FailureThreshold) {
		m.mu.Unlock()
		return
	}
	inc := &incidentState{Incident: bridge.Incident{Scope: m.alerts.Name(), StartedAt: m.chat.firstFail, Error: bridge.ReasonOf(err)}}
	m.chatInc = inc
	m.mu.Unlock()
	m.log.Error("chat surface unreachable: messages stay queued until it is back", "surface", m.alerts.Name(), "err", err)
	m.publish(inc, m.chatAlert)
}

// chatSuccess resets the surface's failure count and closes its incident.
func (m *Monitor) ChatSuccess() {
	m.mu.Lock()
	if !m.chat.down {
		m.chat.failures = 0
		m.chat.lastErr = nil
		m.mu.Unlock()
		return
	}
	now := m.clock.Now()
	m.chat = health{}
	inc := m.chatInc
	m.chatInc = nil
	inc.EndedAt = now
	m.mu.Unlock()
	m.log.Info("chat surface reachable again", "surface", m.alerts.Name())
	m.publish(inc, m.chatAlert)
}

func (m *Monitor) chatAlert(in bridge.Incident) bridge.Alert {
	if in.EndedAt.IsZero() {
		return bridge.Alert{Severity: bridge.SeverityCritical, Title: fmt.Sprintf("Chat surface %s unreachable", m.alerts.Name()),
			Text: fmt.Sprintf("Since %s. Error: %s. Buyer messages stay queued and are posted when it is back.", in.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), in.Error)}
	}
	return bridge.Alert{Severity: bridge.SeverityResolved,
		Title: fmt.Sprintf("Chat surface %s restored after %s", m.alerts.Name(), in.EndedAt.Sub(in.StartedAt).Round(time.Second)),
		Text:  "Queued buyer messages are being posted."}
}

// restore adopts a marketplace incident left open by a previous run: its
// stores start as down, so they are probed, debounced and caught up, and its
// alert is edited when they recover.
func (m *Monitor) Restore(ctx context.Context) error {
	incs, err := m.state.Incidents(ctx, m.clock.Now())
	if err != nil {
		return err
	}
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, in := range incs {
		if !in.EndedAt.IsZero() || in.Scope != bridge.ScopeMarketplace {
			continue
		}
		st := &incidentState{Incident: in, down: map[bridge.StoreID]bool{}, failed: map[bridge.StoreID]bool{}}
		for _, id := range in.Stores {
			if _, ok := m.label(id); !ok {
				continue
			}
			st.down[id] = true
			h := m.healthLocked(id)
			h.down, h.downSince, h.failures = true, in.StartedAt, m.cfg.FailureThreshold
			h.probeStart = now
		}
		if len(st.down) > 0 {
			m.current = st
		}
	}
	return nil
}

func (m *Monitor) HasFailedCatchUp() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current != nil && len(m.current.failed) > 0
}

func sameAlert(a, b bridge.Alert) bool {
	if a.Title != b.Title || a.Text != b.Text || a.Severity != b.Severity || len(a.Actions) != len(b.Actions) {
		return false
	}
	for i := range a.Actions {
		if a.Actions[i] != b.Actions[i] {
			return false
		}
	}
	return true
}

// baseCtx is the context alert calls run under: not cut by a stop itself,
// but by the end of the stop's grace.
func (m *Monitor) baseCtx() context.Context {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.base == nil {
		return context.Background()
	}
	return m.base
}

func (m *Monitor) SetBase(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.base = ctx
}

// allPushDriven reports whether every store of ids receives its messages
// by push only.
func (m *Monitor) allPushDriven(ids []bridge.StoreID) bool {
	if m.pushDriven == nil || len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if !m.pushDriven(id) {
			return false
		}
	}
	return true
}
