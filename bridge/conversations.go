package bridge

import (
	"context"
	"time"
)

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
