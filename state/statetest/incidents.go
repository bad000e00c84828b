package statetest

import (
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var incidentTests = []test{
	{"open_update_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		in := bridge.Incident{
			ID:        777, // ignored
			Scope:     "marketplace",
			Stores:    []bridge.StoreID{"shop-a", "shop-b,with-comma"},
			Error:     "dial tcp: connection refused",
			StartedAt: at(1),
		}
		id, err := st.OpenIncident(ctx, in)
		must(t, "OpenIncident", err)
		if id == 0 || id == 777 {
			t.Fatalf("OpenIncident returned ID %d, want a new non-zero ID", id)
		}
		in.ID = id
		got, err := st.Incidents(ctx, zero)
		must(t, "Incidents", err)
		check(t, "Incidents after opening one", got, []bridge.Incident{in})

		in.EndedAt, in.CaughtUp, in.CatchUpFailed = at(90), 12, true
		in.Alert = bridge.AlertRef{Channel: "C-alerts", ID: "1700000000.000200"}
		in.Stores = []bridge.StoreID{"shop-a"}
		must(t, "UpdateIncident", st.UpdateIncident(ctx, in))
		got, err = st.Incidents(ctx, zero)
		must(t, "Incidents", err)
		check(t, "Incidents after closing it", got, []bridge.Incident{in})

		id2, err := st.OpenIncident(ctx, bridge.Incident{Scope: "slack", StartedAt: at(100)})
		must(t, "OpenIncident(second)", err)
		if id2 == id {
			t.Errorf("second incident got the first one's ID %d", id)
		}
	}},
	{"no_stores_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		id, err := st.OpenIncident(t.Context(), bridge.Incident{Scope: "telegram", StartedAt: at(1)})
		must(t, "OpenIncident", err)
		got, err := st.Incidents(t.Context(), zero)
		must(t, "Incidents", err)
		check(t, "incident without stores", got, []bridge.Incident{{ID: id, Scope: "telegram", StartedAt: at(1)}})
	}},
	{"update_unknown_is_not_found", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		err := st.UpdateIncident(t.Context(), bridge.Incident{ID: 4242, Scope: "marketplace", EndedAt: at(1)})
		wantErr(t, "UpdateIncident of an unknown ID", err, errNotFound)
	}},
	{"since_keeps_open_ones", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		open := func(start, end int) bridge.Incident {
			in := bridge.Incident{Scope: "marketplace", Stores: []bridge.StoreID{"shop-a"}, StartedAt: at(start)}
			if end > 0 {
				in.EndedAt = at(end)
			}
			id, err := st.OpenIncident(ctx, in)
			must(t, "OpenIncident", err)
			in.ID = id
			return in
		}
		old := open(1, 10)
		edge := open(15, 20)
		recent := open(30, 40)
		stillOpen := open(5, 0) // started long ago, not over
		cases := []struct {
			name  string
			since int
			want  []bridge.Incident
		}{
			{"since zero lists all", -1, []bridge.Incident{old, stillOpen, edge, recent}},
			{"since 11 drops the old one", 11, []bridge.Incident{stillOpen, edge, recent}},
			{"since 20 keeps the one that ended at 20", 20, []bridge.Incident{stillOpen, edge, recent}},
			{"since 41 keeps only the open one", 41, []bridge.Incident{stillOpen}},
		}
		for _, tc := range cases {
			since := zero
			if tc.since >= 0 {
				since = at(tc.since)
			}
			got, err := st.Incidents(ctx, since)
			must(t, "Incidents "+tc.name, err)
			check(t, "Incidents "+tc.name, got, tc.want)
		}
	}},
}

var syncRunTests = []test{
	{"round_trip_and_filters", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		runs := []bridge.SyncRun{
			{Store: "shop-a", StartedAt: at(1), Duration: 1234567891, OK: true, Messages: 3},
			{Store: "shop-b", StartedAt: at(2), Duration: 12, OK: false, Error: "shopee: list conversations: transient: 503"},
			{Store: "shop-a", StartedAt: at(3), Duration: 11 * 1e9, OK: true, Messages: 40, CatchUp: true},
		}
		for _, r := range runs {
			must(t, "RecordSync", st.RecordSync(ctx, r))
		}
		cases := []struct {
			name  string
			store bridge.StoreID
			since int
			want  []bridge.SyncRun
		}{
			{"all stores, all time", "", 0, runs},
			{"shop-a, all time", "shop-a", 0, []bridge.SyncRun{runs[0], runs[2]}},
			{"shop-a since 2", "shop-a", 2, []bridge.SyncRun{runs[2]}},
			{"all since 2 (inclusive)", "", 2, []bridge.SyncRun{runs[1], runs[2]}},
			{"shop-b since 3", "shop-b", 3, nil},
		}
		for _, tc := range cases {
			got, err := st.SyncRuns(ctx, tc.store, at(tc.since))
			must(t, "SyncRuns "+tc.name, err)
			check(t, "SyncRuns "+tc.name, got, tc.want)
		}
	}},
	{"empty", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		got, err := st.SyncRuns(t.Context(), "shop-a", zero)
		must(t, "SyncRuns", err)
		check(t, "SyncRuns of an empty database", got, []bridge.SyncRun(nil))
	}},
}

var auditTests = []test{
	{"newest_first_and_limit", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		entries := []bridge.AuditEntry{
			{At: at(1), Surface: "slack", UserID: "U1", UserName: "ana", Command: "status", OK: true, Result: "ok"},
			{At: at(3), Surface: "telegram", UserID: "42", UserName: "bo", Command: "store update shop-a", OK: false,
				Result: "No store found to update. Please refresh the store list and try again."},
			{At: at(2), Surface: "slack", UserID: "U2", Command: "sync retry shop-b", OK: true},
			{At: at(3), Surface: "slack", UserID: "U3", Command: "report", OK: true}, // same time, recorded later
		}
		for _, e := range entries {
			must(t, "RecordAudit", st.RecordAudit(ctx, e))
		}
		got, err := st.Audit(ctx, 10)
		must(t, "Audit(10)", err)
		check(t, "Audit(10)", got, []bridge.AuditEntry{entries[3], entries[1], entries[2], entries[0]})
		got, err = st.Audit(ctx, 2)
		must(t, "Audit(2)", err)
		check(t, "Audit(2)", got, []bridge.AuditEntry{entries[3], entries[1]})
		got, err = st.Audit(ctx, 0)
		must(t, "Audit(0)", err)
		check(t, "Audit(0)", got, []bridge.AuditEntry(nil))
	}},
	{"zero_time_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		e := bridge.AuditEntry{Surface: "console", Command: "status"}
		must(t, "RecordAudit", st.RecordAudit(t.Context(), e))
		got, err := st.Audit(t.Context(), 1)
		must(t, "Audit", err)
		check(t, "Audit entry with zero time", got, []bridge.AuditEntry{e})
	}},
}

var metaTests = []test{
	{"missing_is_not_found", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		_, err := st.Meta(t.Context(), "started_at")
		wantErr(t, "Meta of a missing key", err, errNotFound)
	}},
	{"round_trip_and_overwrite", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		must(t, "SetMeta", st.SetMeta(ctx, "k", "v1"))
		must(t, "SetMeta(other)", st.SetMeta(ctx, "other", ""))
		got, err := st.Meta(ctx, "k")
		must(t, "Meta", err)
		check(t, "Meta(k)", got, "v1")
		must(t, "SetMeta again", st.SetMeta(ctx, "k", "v2 ✓"))
		got, err = st.Meta(ctx, "k")
		must(t, "Meta", err)
		check(t, "Meta(k) after overwrite", got, "v2 ✓")
		got, err = st.Meta(ctx, "other")
		must(t, "Meta(other)", err)
		check(t, "Meta(other), an empty value", got, "")
	}},
}
