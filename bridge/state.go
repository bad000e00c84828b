package bridge

import (
	"context"
	"time"
)

// State is the persistence port: the union of the parts below, one per
// concern. Every backend (SQLite, PostgreSQL) implements all of it and passes
// the contract suite in state/statetest; each component of the bridge asks
// only for the parts it uses. Uniqueness lives in the schema: one thread per
// conversation, one inbound queue row per marketplace message, one outbox
// row per chat message.
type State interface {
	TokenStore
	StoreStates
	ConversationStore
	InboundQueue
	ReplyStore
	IncidentLog
	SyncLog
	ReportEvents
	AuditLog
	MetaStore

	Close() error
}

// StoreStates keeps each store's runtime state: paused, and where its next
// sync starts.
type StoreStates interface {
	// StoreState returns the store's runtime state; a store never seen has the
	// zero value and no error.
	StoreState(ctx context.Context, id StoreID) (StoreState, error)
	SetPaused(ctx context.Context, id StoreID, paused bool) error
	// SaveSyncCursor records a successful sync: the cursor for the next one and
	// when it ran.
	SaveSyncCursor(ctx context.Context, id StoreID, cursor time.Time, syncedAt time.Time) error
}

// ConversationStore keeps the conversations and their threads.
type ConversationStore interface {
	// Conversation returns ErrNotFound for a conversation without a record.
	Conversation(ctx context.Context, store StoreID, id ConversationID) (ConversationRecord, error)
	// ConversationByThread finds the conversation of a thread (ErrNotFound).
	ConversationByThread(ctx context.Context, t ThreadRef) (ConversationRecord, error)
	// CreateConversation inserts a record with its thread; ErrConflict when the
	// conversation already has one (the schema allows one thread per conversation).
	CreateConversation(ctx context.Context, c ConversationRecord) error
	// UpdateConversation updates every field but the keys. A changed Thread
	// replaces the mapping (self-healing) and counts in ThreadsReplaced.
	UpdateConversation(ctx context.Context, c ConversationRecord) error
	// Conversations lists a store's conversation records (all stores if id is "").
	Conversations(ctx context.Context, id StoreID) ([]ConversationRecord, error)
}

// ReplyStore is the reply outbox's persistence: one row per agent reply.
type ReplyStore interface {
	// EnqueueReply stores a new outbox row and returns it with its ID.
	// ErrConflict when the chat message already has a row.
	EnqueueReply(ctx context.Context, r Reply) (Reply, error)
	Reply(ctx context.Context, id ReplyID) (Reply, error)
	ReplyByChatMessage(ctx context.Context, m ChatMessageRef) (Reply, error)
	// UpdateReply writes status, reason, attempts, marketplace message ID and times.
	UpdateReply(ctx context.Context, r Reply) error
	// UnfinishedReplies lists queued and sending rows, oldest first.
	UnfinishedReplies(ctx context.Context) ([]Reply, error)
	// Replies lists rows created at or after since (all stores if store is "").
	Replies(ctx context.Context, store StoreID, since time.Time) ([]Reply, error)
}

// IncidentLog keeps the connectivity incidents.
type IncidentLog interface {
	// OpenIncident stores a new incident and returns its ID.
	OpenIncident(ctx context.Context, in Incident) (int64, error)
	UpdateIncident(ctx context.Context, in Incident) error
	// Incidents lists incidents that ended at or after since, or are still open.
	Incidents(ctx context.Context, since time.Time) ([]Incident, error)
}

// SyncLog keeps the sync runs, for status and the daily report.
type SyncLog interface {
	RecordSync(ctx context.Context, s SyncRun) error
	SyncRuns(ctx context.Context, store StoreID, since time.Time) ([]SyncRun, error)
}

// ReportEvents are the events the daily report is computed from, recorded
// as they happen: first responses, engine starts and thread mapping changes.
type ReportEvents interface {
	// RecordResponse stores a first response: a reply that ended a buyer's wait.
	RecordResponse(ctx context.Context, r ResponseEvent) error
	// Responses lists first responses at or after since (all stores if store
	// is ""), oldest first.
	Responses(ctx context.Context, store StoreID, since time.Time) ([]ResponseEvent, error)

	// RecordRestart stores one engine start and whether it resumed from saved state.
	RecordRestart(ctx context.Context, r RestartEvent) error
	// Restarts lists engine starts at or after since, oldest first.
	Restarts(ctx context.Context, since time.Time) ([]RestartEvent, error)

	// ThreadEvents lists changes of conversation↔thread mappings at or after
	// since, oldest first. The backend records them itself, in the same
	// transaction as the change: CreateConversation and UpdateConversation
	// (and SetThread) record "opened" when a conversation gets its first
	// thread and "replaced" when its thread changes; a CreateConversation
	// refused because the conversation already has a different thread
	// records "duplicate" (a second thread was opened on the surface).
	ThreadEvents(ctx context.Context, since time.Time) ([]ThreadEvent, error)
}

// AuditLog keeps the admin actions.
type AuditLog interface {
	RecordAudit(ctx context.Context, a AuditEntry) error
	// Audit returns the latest n entries, newest first.
	Audit(ctx context.Context, n int) ([]AuditEntry, error)
}

// MetaStore is a small key/value space for bookkeeping (ErrNotFound for a
// missing key).
type MetaStore interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
}

// StoreState is a store's saved runtime state.
type StoreState struct {
	Paused bool
	// Cursor is where the next conversation-list sync starts.
	Cursor time.Time
	// LastSyncAt is when the last successful sync ran.
	LastSyncAt time.Time
}

// ConversationRecord is what the bridge keeps about a conversation.
type ConversationRecord struct {
	Store     StoreID
	ID        ConversationID
	BuyerID   string
	BuyerName string
	Link      string
	Thread    ThreadRef
	// ThreadsReplaced counts self-healing re-maps (a deleted thread replaced).
	ThreadsReplaced int
	// WatermarkID/At is the newest message handled.
	WatermarkID  MessageID
	WatermarkAt  time.Time
	LastBuyerAt  time.Time
	LastSellerAt time.Time
	// AwaitingSince is the time of the oldest unanswered buyer message (zero
	// when the last word is the seller's).
	AwaitingSince time.Time
	// Unread counts buyer messages since the last seller message;
	// SellerStreak counts seller messages since the last buyer message.
	Unread       int
	SellerStreak int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Incident is one connectivity outage, of marketplace stores or a chat surface.
type Incident struct {
	ID int64
	// Scope is "marketplace" or the chat surface's name.
	Scope     string
	Stores    []StoreID
	Error     string
	StartedAt time.Time
	// EndedAt is zero while the incident is open.
	EndedAt       time.Time
	CaughtUp      int
	CatchUpFailed bool
	Alert         AlertRef
}

// SyncRun is one sync of one store, for status and the daily report.
type SyncRun struct {
	Store     StoreID
	StartedAt time.Time
	Duration  time.Duration
	OK        bool
	Messages  int
	CatchUp   bool
	Error     string
}

// AuditEntry is one admin action.
type AuditEntry struct {
	At       time.Time
	Surface  string
	UserID   string
	UserName string
	Command  string
	OK       bool
	Result   string
}

// ResponseEvent is a first response: the reply that ended a buyer's wait
// (the conversation was awaiting a reply when it was sent).
type ResponseEvent struct {
	Store        StoreID
	Conversation ConversationID
	Reply        ReplyID
	AgentID      string
	AgentName    string
	// AwaitingSince is when the oldest unanswered buyer message was sent.
	AwaitingSince time.Time
	// RespondedAt is when the reply was sent.
	RespondedAt time.Time
}

// Waited is how long the buyer waited for this response (never negative).
func (r ResponseEvent) Waited() time.Duration {
	if d := r.RespondedAt.Sub(r.AwaitingSince); d > 0 {
		return d
	}
	return 0
}

// RestartEvent is one engine start.
type RestartEvent struct {
	At time.Time
	// Resumed is true when saved state (sync cursors) let the engine resume
	// instead of starting every store from scratch.
	Resumed bool
	// Stores is how many stores were configured; StoresWithCursor how many
	// of them had a saved cursor.
	Stores           int
	StoresWithCursor int
}

// ThreadEventKind says what happened to a conversation's thread mapping.
type ThreadEventKind string

// Thread event kinds.
const (
	// ThreadOpened: a conversation got its first thread.
	ThreadOpened ThreadEventKind = "opened"
	// ThreadReplaced: a conversation's thread was re-mapped to a new one
	// (self-healing after the old thread was deleted).
	ThreadReplaced ThreadEventKind = "replaced"
	// ThreadDuplicate: a thread was opened for a conversation that already
	// had one; the schema refused the second mapping, but the surface holds
	// an orphan thread for the conversation.
	ThreadDuplicate ThreadEventKind = "duplicate"
)

// ThreadEvent is one change of a conversation's thread mapping.
type ThreadEvent struct {
	Store        StoreID
	Conversation ConversationID
	Kind         ThreadEventKind
	// Thread is the new (or, for a duplicate, the refused) thread; Previous
	// the thread the conversation had (zero for opened).
	Thread   ThreadRef
	Previous ThreadRef
	At       time.Time
}
