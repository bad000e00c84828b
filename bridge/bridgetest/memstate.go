package bridgetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// MemState is an in-memory bridge.State for tests: it behaves as the SQL
// backends do (state/internal/sqlstore, the reference) and passes the
// contract suite in state/statetest, without a database. One mutex guards
// everything, so it is safe for concurrent use; every change is atomic, as
// the SQL backends' transactions are. Methods that return records return
// copies: a caller can change them without changing the state.
//
// Like the SQL backends it keeps times as Unix nanoseconds: they come back
// in UTC, the zero time as the zero time, and the Unix epoch itself (stored
// as 0) as the zero time too.
//
// After Close every method fails, as a closed database's do; Reopen gives a
// new State over the same data, as opening the same database file again
// after a restart.
type MemState struct {
	db     *memDB
	closed atomic.Bool
}

// NewMemState returns an empty in-memory state. The thread events it
// records itself, and a message recorded or posted without a time, are
// timed by clock (the system clock when nil).
func NewMemState(clock bridge.Clock) *MemState {
	if clock == nil {
		clock = bridge.SystemClock{}
	}
	return &MemState{db: &memDB{
		clock:        clock,
		storeStates:  map[bridge.StoreID]bridge.StoreState{},
		tokens:       map[bridge.StoreID]bridge.Tokens{},
		meta:         map[string]string{},
		convs:        map[convKey]bridge.ConversationRecord{},
		threads:      map[bridge.ThreadRef]convKey{},
		inbound:      map[convKey]*inboundConv{},
		replies:      map[bridge.ReplyID]*bridge.Reply{},
		replyByChat:  map[bridge.ChatMessageRef]bridge.ReplyID{},
		incidentAt:   map[int64]int{},
		respondedTo:  map[bridge.ReplyID]bool{},
		authRecords:  map[bridge.StoreID]bridge.StoreAuthRecord{},
		authAttempts: map[bridge.StoreID]bridge.AuthAttempt{},
		authRequests: map[string]bridge.AuthRequest{},
		deliveries:   map[string]bridge.ReportDelivery{},
		templates:    map[templateKey]bridge.Template{},
	}}
}

var _ bridge.State = (*MemState)(nil)

// Reopen returns a new State over s's data, as opening the same database
// again: s may be closed or not.
func (s *MemState) Reopen() *MemState {
	return &MemState{db: s.db}
}

// Close closes this State: its methods fail from now on. It is safe to call
// more than once; the data stays, for Reopen.
func (s *MemState) Close() error {
	s.closed.Store(true)
	return nil
}

// errClosed is what the methods of a closed MemState fail with.
var errClosed = errors.New("memstate: the state is closed")

// memDB is the data of a MemState (what the SQL backends keep in tables).
type memDB struct {
	mu    sync.Mutex
	clock bridge.Clock

	storeStates map[bridge.StoreID]bridge.StoreState
	tokens      map[bridge.StoreID]bridge.Tokens
	meta        map[string]string

	// convs are the conversation records; threads maps each non-zero
	// thread to the conversation that has it (one conversation per thread).
	convs   map[convKey]bridge.ConversationRecord
	threads map[bridge.ThreadRef]convKey

	// inbound is the inbound queue, per conversation; inboundSeq the last
	// Seq handed out (across conversations, as an autoincrement column).
	inbound    map[convKey]*inboundConv
	inboundSeq int64

	// replies is the outbox by ID, replyOrder its IDs as enqueued (which
	// is ID order), replyByChat the unique chat messages.
	replies     map[bridge.ReplyID]*bridge.Reply
	replyOrder  []bridge.ReplyID
	replyByChat map[bridge.ChatMessageRef]bridge.ReplyID
	lastReplyID int64

	// incidents in ID order; incidentAt maps an ID to its index.
	incidents      []bridge.Incident
	incidentAt     map[int64]int
	lastIncidentID int64

	// The append-only logs, each in the order recorded (their ID order).
	syncRuns     []bridge.SyncRun
	responses    []bridge.ResponseEvent
	respondedTo  map[bridge.ReplyID]bool
	restarts     []bridge.RestartEvent
	threadEvents []bridge.ThreadEvent
	audit        []bridge.AuditEntry

	authRecords  map[bridge.StoreID]bridge.StoreAuthRecord
	authAttempts map[bridge.StoreID]bridge.AuthAttempt
	authRequests map[string]bridge.AuthRequest
	deliveries   map[string]bridge.ReportDelivery
	templates    map[templateKey]bridge.Template

	// leases by name and the replicas' heartbeats (bridge.Leases), made on
	// first use.
	leases   map[string]bridge.Lease
	replicas map[string]time.Time
}

// convKey is a conversation's key: store and ID.
type convKey struct {
	store bridge.StoreID
	id    bridge.ConversationID
}

// begin locks the data for one operation, as a statement or transaction of
// a database: it fails when s is closed or ctx is done. The caller unlocks
// db.mu.
func (s *MemState) begin(ctx context.Context) (*memDB, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstate: %w", err)
	}
	s.db.mu.Lock()
	return s.db, nil
}

// now is the clock's time as the state keeps it.
func (db *memDB) now() time.Time { return stamp(db.clock.Now()) }

// fail is an error of op ("read conversation s/c"), wrapping kind
// (bridge.ErrNotFound, bridge.ErrConflict) when it is not nil.
func fail(kind error, format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	if kind == nil {
		return fmt.Errorf("memstate: %s", op)
	}
	return fmt.Errorf("memstate: %s: %w", op, kind)
}

// nanos is how the SQL backends store a time (state.UnixNano): Unix
// nanoseconds, the zero time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// stamp is t as the SQL backends give it back (state.FromUnixNano of
// state.UnixNano): UTC, without a monotonic reading, 0 as the zero time.
func stamp(t time.Time) time.Time {
	n := nanos(t)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// atOrAfter reports whether t is at or after from, as `t >= from` on stored
// times.
func atOrAfter(t, from time.Time) bool { return nanos(t) >= nanos(from) }
