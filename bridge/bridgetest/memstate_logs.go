package bridgetest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// What the bridge logs for status and the daily report: connectivity
// incidents, sync runs, first responses, engine starts and admin actions.

// OpenIncident stores a new incident and returns its ID (in.ID is ignored).
func (s *MemState) OpenIncident(ctx context.Context, in bridge.Incident) (int64, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer db.mu.Unlock()
	db.lastIncidentID++
	in.ID = db.lastIncidentID
	db.incidentAt[in.ID] = len(db.incidents)
	db.incidents = append(db.incidents, stampIncident(in))
	return in.ID, nil
}

// UpdateIncident writes every field of an incident but its ID
// (bridge.ErrNotFound for an unknown ID).
func (s *MemState) UpdateIncident(ctx context.Context, in bridge.Incident) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	i, ok := db.incidentAt[in.ID]
	if !ok {
		return fail(bridge.ErrNotFound, "update incident %d", in.ID)
	}
	db.incidents[i] = stampIncident(in)
	return nil
}

// Incidents lists incidents that ended at or after since or are still open,
// by start time (then as opened).
func (s *MemState) Incidents(ctx context.Context, since time.Time) ([]bridge.Incident, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	var out []bridge.Incident
	for _, in := range db.incidents {
		if in.EndedAt.IsZero() || atOrAfter(in.EndedAt, since) {
			in.Stores = copyStores(in.Stores)
			out = append(out, in)
		}
	}
	slices.SortStableFunc(out, func(a, b bridge.Incident) int { return cmp.Compare(nanos(a.StartedAt), nanos(b.StartedAt)) })
	return out, nil
}

// stampIncident is in with its times as the state keeps them and its own
// copy of the stores (nil for none).
func stampIncident(in bridge.Incident) bridge.Incident {
	in.StartedAt, in.EndedAt = stamp(in.StartedAt), stamp(in.EndedAt)
	in.Stores = copyStores(in.Stores)
	return in
}

func copyStores(ids []bridge.StoreID) []bridge.StoreID {
	if len(ids) == 0 {
		return nil
	}
	return slices.Clone(ids)
}

// RecordSync stores one sync run.
func (s *MemState) RecordSync(ctx context.Context, run bridge.SyncRun) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	run.StartedAt = stamp(run.StartedAt)
	db.syncRuns = append(db.syncRuns, run)
	return nil
}

// SyncRuns lists a store's runs (every store's for "") that started at or
// after since, oldest first.
func (s *MemState) SyncRuns(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.SyncRun, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	return listSince(db.syncRuns, since, func(r bridge.SyncRun) time.Time { return r.StartedAt },
		func(r bridge.SyncRun) bool { return store == "" || r.Store == store }), nil
}

// RecordResponse stores a first response. It is idempotent per reply: a
// second event for the same (non-zero) reply is ignored.
func (s *MemState) RecordResponse(ctx context.Context, r bridge.ResponseEvent) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	if r.Reply != 0 {
		if db.respondedTo[r.Reply] {
			return nil
		}
		db.respondedTo[r.Reply] = true
	}
	r.AwaitingSince, r.RespondedAt = stamp(r.AwaitingSince), stamp(r.RespondedAt)
	db.responses = append(db.responses, r)
	return nil
}

// Responses lists a store's first responses (every store's for "") at or
// after since, oldest first.
func (s *MemState) Responses(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.ResponseEvent, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	return listSince(db.responses, since, func(r bridge.ResponseEvent) time.Time { return r.RespondedAt },
		func(r bridge.ResponseEvent) bool { return store == "" || r.Store == store }), nil
}

// RecordRestart stores one engine start.
func (s *MemState) RecordRestart(ctx context.Context, r bridge.RestartEvent) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	r.At = stamp(r.At)
	db.restarts = append(db.restarts, r)
	return nil
}

// Restarts lists engine starts at or after since, oldest first.
func (s *MemState) Restarts(ctx context.Context, since time.Time) ([]bridge.RestartEvent, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	return listSince(db.restarts, since, func(r bridge.RestartEvent) time.Time { return r.At }, nil), nil
}

// RecordAudit stores one admin action.
func (s *MemState) RecordAudit(ctx context.Context, a bridge.AuditEntry) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	a.At = stamp(a.At)
	db.audit = append(db.audit, a)
	return nil
}

// Audit returns the latest n entries, newest first (none for n <= 0).
// Entries with the same time come newest-recorded first.
func (s *MemState) Audit(ctx context.Context, n int) ([]bridge.AuditEntry, error) {
	if n <= 0 {
		return nil, nil
	}
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	out := slices.Clone(db.audit)
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b bridge.AuditEntry) int { return cmp.Compare(nanos(b.At), nanos(a.At)) })
	if len(out) > n {
		out = out[:n]
	}
	if len(out) == 0 {
		return nil, nil
	}
	return slices.Clip(out), nil
}
