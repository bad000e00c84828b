package bridge

import (
	"context"
	"time"
)

// InboundStatus is where a recorded marketplace message is in the inbound
// queue: a message the bridge learned of (from a poll, a catch-up, a push
// that carries it or a history import) is recorded first and posted after.
type InboundStatus string

// Inbound statuses.
const (
	// InboundPending: recorded, to be posted into its conversation's thread.
	InboundPending InboundStatus = "pending"
	// InboundPosted: in the thread (Chat is the post that carries it).
	InboundPosted InboundStatus = "posted"
	// InboundSilent: known, never shown (history older than the import
	// window, seller activity in a conversation without a thread).
	InboundSilent InboundStatus = "silent"
	// InboundOwn: a reply the bridge itself sent (Chat is the agent's message).
	InboundOwn InboundStatus = "own"
)

// InboundMessage is one row of the inbound queue.
type InboundMessage struct {
	Store StoreID
	// Message is the marketplace message; Message.Conversation is its
	// conversation and Message.ID its key within it.
	Message Message
	Status  InboundStatus
	// Resumed marks the buyer message that made a quiet conversation active
	// again: its thread is surfaced to the agents when it is posted.
	Resumed bool
	// Chat is the post that carries the message (posted), or the agent's
	// message (own).
	Chat ChatMessageRef
	// Edited is set when a posted message changed on the marketplace (a
	// recall): its post is to be updated.
	Edited bool
	// Seq is the order in which the queue recorded the message (set by the
	// backend).
	Seq        int64
	RecordedAt time.Time
	PostedAt   time.Time
}

// InboundBatch is what one fetched page, one push or one sent reply adds to
// the queue, with the conversation's new record, in one transaction.
type InboundBatch struct {
	// Conversation is the conversation's record as the caller computed it
	// (watermark, counters, buyer). It is created when missing; otherwise
	// every field but the keys, the thread and CreatedAt is updated. The
	// thread mapping is only ever changed by SetThread.
	Conversation ConversationRecord
	// Messages belong to Conversation (same store and ID).
	Messages []InboundMessage
}

// PostedMessage says that a queued message is now in its thread.
type PostedMessage struct {
	Store        StoreID
	Conversation ConversationID
	ID           MessageID
	Chat         ChatMessageRef
	At           time.Time
}

// ConversationBacklog is how much of one conversation waits to be posted.
type ConversationBacklog struct {
	Store        StoreID
	Conversation ConversationID
	// Thread is the conversation's thread (zero while it has none).
	Thread  ThreadRef
	Pending int
	// Oldest is when the oldest pending message was recorded.
	Oldest time.Time
}

// InboundQueue is the persistence of the inbound queue, part of State.
// Uniqueness is the schema's: one row per store + conversation + message ID.
type InboundQueue interface {
	// RecordInbound stores a batch in one transaction: the conversation's
	// record (created or updated, see InboundBatch) and each message that
	// the queue does not hold yet. A message it holds already is left as it
	// is, except that a message now recalled is marked recalled (and, if it
	// was posted, Edited). It returns the IDs it inserted or changed. Either
	// the whole batch is stored or nothing is.
	RecordInbound(ctx context.Context, b InboundBatch) ([]MessageID, error)
	// KnownInbound returns the status of each of ids that the queue holds
	// for the conversation.
	KnownInbound(ctx context.Context, store StoreID, conv ConversationID, ids []MessageID) (map[MessageID]InboundStatus, error)
	// InboundMessages returns the rows the queue holds for ids (any status),
	// in the order they were recorded.
	InboundMessages(ctx context.Context, store StoreID, conv ConversationID, ids []MessageID) ([]InboundMessage, error)
	// PendingInbound returns up to limit pending messages of a conversation,
	// oldest first (by the message's time, then by Seq).
	PendingInbound(ctx context.Context, store StoreID, conv ConversationID, limit int) ([]InboundMessage, error)
	// MarkPosted records, in one transaction, that messages are in their
	// threads. A message already posted keeps its first record.
	MarkPosted(ctx context.Context, posted []PostedMessage) error
	// InboundBacklog lists every conversation with pending messages or
	// posted messages whose posts are to be updated (Edited); both count.
	InboundBacklog(ctx context.Context) ([]ConversationBacklog, error)
	// EditedInbound returns up to limit posted messages of a conversation
	// marked Edited, in the order they were recorded.
	EditedInbound(ctx context.Context, store StoreID, conv ConversationID, limit int) ([]InboundMessage, error)
	// InboundByChat returns the posted messages one chat post carries, in
	// posting order.
	InboundByChat(ctx context.Context, store StoreID, conv ConversationID, ref ChatMessageRef) ([]InboundMessage, error)
	// SetThread maps a conversation to a thread, changing nothing else of its
	// record, and records the thread event ("opened" for a conversation
	// without a thread, "replaced" otherwise, counting ThreadsReplaced).
	// ErrNotFound without a record; ErrConflict when the thread belongs to
	// another conversation.
	SetThread(ctx context.Context, store StoreID, conv ConversationID, t ThreadRef) error
}
