// Package statetest is the contract suite every bridge.State backend passes.
// A backend's test calls Run with a function that opens its database:
//
//	func TestContract(t *testing.T) {
//		dir := t.TempDir()
//		statetest.Run(t, func(t *testing.T, name string) bridge.State {
//			db, err := sqlite.Open(t.Context(), filepath.Join(dir, name+".db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return db
//		})
//	}
//
// Beyond the comments of bridge.State, the suite pins down these choices,
// which the engines may rely on:
//   - times come back UTC, the zero time as the zero time.Time (not 1970),
//     with nanoseconds intact;
//   - UpdateConversation and SetThread keep ThreadsReplaced themselves: +1
//     when a record that had a thread gets a different one, whatever the
//     caller's value; RecordInbound keeps the stored count (and thread);
//   - SetThread for a conversation without a record is ErrNotFound;
//   - EnqueueReply defaults an empty status to queued; UpdateReply leaves the
//     text, thread, author and creation time as enqueued;
//   - lists (Conversations, Replies, SyncRuns, Incidents) are oldest first
//     (conversations by store and ID); "" as the store means every store;
//   - the zero ThreadRef / ChatMessageRef never finds a row and is not unique;
//   - Audit(n) with n <= 0 returns nothing;
//   - RecordResponse is idempotent per non-zero reply ID;
//   - thread events are timed by the backend's clock (the system clock
//     unless the opener configures one) and recorded in the transaction of
//     the change: a refused change records nothing, except the "duplicate"
//     event of a CreateConversation refused because the conversation
//     already has a different thread;
//   - the inbound queue (bridge.InboundQueue, with InboundMessages, which
//     reads rows by ID): RecordInbound returns the IDs in the batch's order;
//     an empty Status is pending and a zero RecordedAt (as a zero
//     PostedMessage.At) the backend's clock; a message given twice in one
//     batch is recorded once (the recalled copy, if one is); a refused batch
//     (a message without an ID, of another conversation, with an unknown
//     status) stores nothing; a conversation it creates with a thread
//     records "opened", and the thread of an existing record is left to
//     SetThread; Seq grows in the order of the batches and within them;
//     every read (PendingInbound, InboundMessages, InboundByChat…) gives
//     back each field of bridge.Message as recorded, Translation,
//     AutoReply and SafetyNote included; a recall replaces the content
//     (kind, text, URL, card, unsupported type) and the translation, and
//     keeps the rest;
//   - PendingInbound(limit <= 0) returns nothing; MarkPosted leaves silent
//     and own messages and ignores messages the queue does not hold;
//     InboundBacklog lists the conversation waiting longest first (then by
//     store and ID); SetThread refuses the empty ThreadRef;
//   - the bridge's records: a store without an authorization record has
//     the zero record; TakeAuthRequest deletes what it returns (a second
//     take is ErrNotFound); LastReportPosted counts posted deliveries only;
//     Templates lists by name, then the default, sites and stores;
//   - leases (bridge.Leases) are timed by the database's clock; a lease's
//     token grows with each tenure and survives its release; CurrentLeases
//     and LiveReplicas list the unexpired rows only (leases.go);
//   - a database of schema version 2 (WithLegacy) keeps its relayed
//     messages as known messages of the queue: own, posted or silent; one
//     of version 6 keeps the records it held as JSON in meta as typed
//     records (times at millisecond precision), and meta keeps only the
//     surfaces' keys; one of version 7 keeps its queued messages, without
//     a translation, auto-reply mark or safety note.
package statetest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// Opener opens the backend's database called name. Opening the same name
// again, after the first State was closed, must open the same data; two
// different names must be two independent, empty databases. name is made of
// [a-z0-9_] and may be long (a backend may hash it). The suite closes every
// State it opens; the Opener cleans up files or schemas (t.Cleanup).
type Opener func(t *testing.T, name string) bridge.State

// Option configures Run.
type Option func(*suite)

// Run runs the contract suite against a backend.
func Run(t *testing.T, open Opener, opts ...Option) {
	s := &suite{open: open}
	for _, o := range opts {
		o(s)
	}
	groups := []struct {
		name  string
		tests []test
	}{
		{"store_state", storeStateTests},
		{"tokens", tokenTests},
		{"conversations", conversationTests},
		{"inbound", inboundTests},
		{"set_thread", setThreadTests},
		{"replies", replyTests},
		{"incidents", incidentTests},
		{"sync_runs", syncRunTests},
		{"responses", responseTests},
		{"restarts", restartTests},
		{"thread_events", threadEventTests},
		{"audit", auditTests},
		{"auth_records", authRecordTests},
		{"auth_requests", authRequestTests},
		{"report_deliveries", reportDeliveryTests},
		{"templates", templateTests},
		{"meta", metaTests},
		{"leases", leaseTests},
		{"replicas", replicaTests},
		{"reopen", reopenTests},
		{"upgrade", upgradeTests},
		{"concurrency", concurrencyTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
			}
		})
	}
}

// test is one case of the suite.
type test struct {
	name string
	run  func(t *testing.T, s *suite)
}

type suite struct {
	open   Opener
	legacy LegacyOpener
}

var nonName = regexp.MustCompile(`[^a-z0-9_]+`)

// dbName is the database name of a test: derived from its full name, so
// each test has its own.
func dbName(t *testing.T) string {
	return strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
}

// fresh opens an empty database for this test, closed at its end.
func (s *suite) fresh(t *testing.T) bridge.State {
	t.Helper()
	return s.openNamed(t, dbName(t))
}

// openNamed opens the database name, closed at the end of the test.
func (s *suite) openNamed(t *testing.T, name string) bridge.State {
	t.Helper()
	st := s.open(t, name)
	if st == nil {
		t.Fatalf("opener returned a nil State for %q", name)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			if err := st.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return &closeTracker{State: st, closed: &closed}
}

// closeTracker remembers that a test closed its State itself.
type closeTracker struct {
	bridge.State
	closed *bool
}

func (c *closeTracker) Close() error {
	*c.closed = true
	return c.State.Close()
}
