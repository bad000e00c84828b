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
	AuthRecords
	AuthRequests
	ReportDeliveries
	TemplateStore
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

// AuthRecords keeps the bridge's books on each store's authorization:
// whether it needs an update (and the alert that says so) and its last
// authorization or token refresh attempt.
type AuthRecords interface {
	// StoreAuthRecord returns the store's record; a store without one has
	// the zero record (with Store set) and no error.
	StoreAuthRecord(ctx context.Context, id StoreID) (StoreAuthRecord, error)
	// SaveStoreAuthRecord creates or replaces the store's record.
	SaveStoreAuthRecord(ctx context.Context, r StoreAuthRecord) error
	// LastAuthAttempt returns the store's last authorization or refresh
	// attempt (ErrNotFound when none was recorded).
	LastAuthAttempt(ctx context.Context, id StoreID) (AuthAttempt, error)
	// RecordAuthAttempt records an attempt; it replaces the store's last one.
	RecordAuthAttempt(ctx context.Context, id StoreID, a AuthAttempt) error
}

// AuthRequests keeps the authorization links given out and not used yet,
// each under the hash of its state token (the database never holds a token
// that works).
type AuthRequests interface {
	SaveAuthRequest(ctx context.Context, r AuthRequest) error
	// TakeAuthRequest returns the request of a state token's hash and
	// deletes it in the same statement, so that a link completes at most
	// once, whichever process receives its callback (ErrNotFound).
	TakeAuthRequest(ctx context.Context, stateHash string) (AuthRequest, error)
}

// ReportDeliveries keeps the records of the scheduled reports, so that each
// is posted once across crashes and restarts.
type ReportDeliveries interface {
	// ReportDelivery returns a scheduled report's record (ErrNotFound).
	ReportDelivery(ctx context.Context, key string) (ReportDelivery, error)
	// SaveReportDelivery creates or replaces the record of d.Key.
	SaveReportDelivery(ctx context.Context, d ReportDelivery) error
	// LastReportPosted returns the end of the period of the schedule's
	// latest posted report; the zero time when none was posted.
	LastReportPosted(ctx context.Context, schedule string) (time.Time, error)
}

// TemplateStore keeps the quick reply templates, one row per variant.
type TemplateStore interface {
	// Templates lists every variant, by name; of one name the default
	// first, then the sites' and the stores' variants.
	Templates(ctx context.Context) ([]Template, error)
	// SaveTemplate creates or replaces the variant of t.Name for t.Site or
	// t.Store (neither: the default); both set is refused.
	SaveTemplate(ctx context.Context, t Template) error
	// DeleteTemplate deletes a template with every variant.
	DeleteTemplate(ctx context.Context, name string) error
	// DeleteTemplateVariant deletes one variant (ErrNotFound when there is
	// none).
	DeleteTemplateVariant(ctx context.Context, name, site string, store StoreID) error
}

// MetaStore is a small key/value space for the chat surfaces' own
// bookkeeping (ErrNotFound for a missing key); the bridge keeps its records
// in the typed parts above.
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

// StoreAuthRecord is the bridge's bookkeeping of one store's authorization.
type StoreAuthRecord struct {
	Store StoreID
	// NeedsUpdate is set when the marketplace refused the store's tokens
	// (its refresh too): the shop owner must authorize again. Reason and
	// Since say why and since when.
	NeedsUpdate bool
	Reason      string
	Since       time.Time
	// Alert is the "needs update" alert, edited to resolved once re-authorized.
	Alert AlertRef
	// WarnedExpiry is the refresh-token expiry already warned about.
	WarnedExpiry time.Time
}

// AuthAttempt is a store's authorization or token refresh attempt. Detail
// carries no secret.
type AuthAttempt struct {
	At     time.Time
	OK     bool
	Detail string
}

// AuthRequester is who asked for an authorization link.
type AuthRequester struct {
	Surface  string
	UserID   string
	UserName string
	Channel  string
}

// AuthRequest is an authorization link given out and not used yet: for
// which store and platform, until when, and at whose request.
type AuthRequest struct {
	// StateHash is the hash of the link's state token.
	StateHash string
	Store     StoreID
	Platform  Platform
	ExpiresAt time.Time
	By        AuthRequester
}

// DeliveryStatus is where the posting of a scheduled report is.
type DeliveryStatus string

// Delivery statuses.
const (
	// DeliveryPosting: the intent, recorded before anything is posted.
	DeliveryPosting DeliveryStatus = "posting"
	DeliveryPosted  DeliveryStatus = "posted"
	// DeliveryFailed: the post failed; it is retried.
	DeliveryFailed DeliveryStatus = "failed"
	// DeliveryUnconfirmed: the bridge stopped while posting and the surface
	// cannot tell whether the report arrived; it is not posted again.
	DeliveryUnconfirmed DeliveryStatus = "unconfirmed"
)

// ReportDelivery is the record of one scheduled report.
type ReportDelivery struct {
	// Key names the report: its schedule and local date ("eu@2026-03-10").
	Key      string
	Schedule string
	Status   DeliveryStatus
	// Since and Until are the report's period.
	Since    time.Time
	Until    time.Time
	Attempts int
	// Ref is the posted report's summary message.
	Ref       ChatMessageRef
	Error     string
	UpdatedAt time.Time
}

// Template is one text of a quick reply template: its default (Site and
// Store empty), a site's variant (an upper-case site code) or a store's.
type Template struct {
	Name  string
	Site  string
	Store StoreID
	Text  string
	// By is who saved the text, At when.
	By string
	At time.Time
}
