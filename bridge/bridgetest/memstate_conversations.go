package bridgetest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The conversation records, their threads (one thread per conversation, one
// conversation per thread) and the thread events recorded as they change.

// Conversation returns a conversation's record (bridge.ErrNotFound without one).
func (s *MemState) Conversation(ctx context.Context, store bridge.StoreID, id bridge.ConversationID) (bridge.ConversationRecord, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.ConversationRecord{}, err
	}
	defer db.mu.Unlock()
	c, ok := db.convs[convKey{store, id}]
	if !ok {
		return bridge.ConversationRecord{}, fail(bridge.ErrNotFound, "read conversation %s/%s", store, id)
	}
	return c, nil
}

// ConversationByThread finds the conversation mapped to a thread
// (bridge.ErrNotFound for none, and for the zero ThreadRef).
func (s *MemState) ConversationByThread(ctx context.Context, t bridge.ThreadRef) (bridge.ConversationRecord, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.ConversationRecord{}, err
	}
	defer db.mu.Unlock()
	k, ok := db.threads[t]
	if !ok || t.IsZero() {
		return bridge.ConversationRecord{}, fail(bridge.ErrNotFound, "find conversation of thread %s/%s", t.Channel, t.ID)
	}
	return db.convs[k], nil
}

// CreateConversation inserts a record with its thread. bridge.ErrConflict
// when the conversation already has a record, or the thread already belongs
// to another conversation. A record with a thread records an "opened" thread
// event; a refusal because the conversation already has a different thread
// records a "duplicate" one.
func (s *MemState) CreateConversation(ctx context.Context, c bridge.ConversationRecord) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	k := convKey{c.Store, c.ID}
	old, exists := db.convs[k]
	if exists || db.threadTaken(c.Thread, k) {
		if exists && !c.Thread.IsZero() && !old.Thread.IsZero() && old.Thread != c.Thread {
			db.recordThreadEvent(c.Store, c.ID, bridge.ThreadDuplicate, c.Thread, old.Thread)
		}
		return fail(bridge.ErrConflict, "create conversation %s/%s", c.Store, c.ID)
	}
	db.insertConversation(c)
	return nil
}

// UpdateConversation writes every field but the keys (bridge.ErrNotFound
// without a record). ThreadsReplaced is kept by the state: it grows by one
// when the record had a thread and c.Thread differs from it, whatever c
// says; the change is recorded as a thread event. bridge.ErrConflict when
// c.Thread belongs to another conversation.
func (s *MemState) UpdateConversation(ctx context.Context, c bridge.ConversationRecord) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	k := convKey{c.Store, c.ID}
	old, ok := db.convs[k]
	if !ok {
		return fail(bridge.ErrNotFound, "update conversation %s/%s", c.Store, c.ID)
	}
	if db.threadTaken(c.Thread, k) {
		return fail(bridge.ErrConflict, "update conversation %s/%s", c.Store, c.ID)
	}
	c.ThreadsReplaced = old.ThreadsReplaced
	db.remap(&c, old.Thread, c.Thread)
	db.convs[k] = stampConversation(c)
	return nil
}

// SetThread maps a conversation to a thread and changes nothing else of its
// record, recording the thread event ("opened" for a record without a
// thread, "replaced" otherwise, counted in ThreadsReplaced); the same thread
// again changes nothing. bridge.ErrNotFound without a record,
// bridge.ErrConflict when the thread belongs to another conversation. The
// empty ThreadRef is refused.
func (s *MemState) SetThread(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, t bridge.ThreadRef) error {
	if t.IsZero() {
		return fail(nil, "set thread of conversation %s/%s: empty thread reference", store, conv)
	}
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	k := convKey{store, conv}
	c, ok := db.convs[k]
	if !ok {
		return fail(bridge.ErrNotFound, "set thread of conversation %s/%s to %s/%s", store, conv, t.Channel, t.ID)
	}
	if db.threadTaken(t, k) {
		return fail(bridge.ErrConflict, "set thread of conversation %s/%s to %s/%s", store, conv, t.Channel, t.ID)
	}
	db.remap(&c, c.Thread, t)
	db.convs[k] = c
	return nil
}

// Conversations lists a store's records (every store's for ""), by store and ID.
func (s *MemState) Conversations(ctx context.Context, id bridge.StoreID) ([]bridge.ConversationRecord, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	var out []bridge.ConversationRecord
	for k, c := range db.convs {
		if id == "" || k.store == id {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b bridge.ConversationRecord) int {
		return cmp.Or(cmp.Compare(a.Store, b.Store), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ThreadEvents lists thread mapping changes at or after since, oldest first.
func (s *MemState) ThreadEvents(ctx context.Context, since time.Time) ([]bridge.ThreadEvent, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	return listSince(db.threadEvents, since, func(e bridge.ThreadEvent) time.Time { return e.At }, nil), nil
}

// threadTaken reports whether t, unless zero, belongs to a conversation
// other than k.
func (db *memDB) threadTaken(t bridge.ThreadRef, k convKey) bool {
	if t.IsZero() {
		return false
	}
	owner, ok := db.threads[t]
	return ok && owner != k
}

// insertConversation stores a new record as given (ThreadsReplaced too),
// with its thread and the "opened" event. The caller checked the keys and
// the thread.
func (db *memDB) insertConversation(c bridge.ConversationRecord) {
	k := convKey{c.Store, c.ID}
	db.convs[k] = stampConversation(c)
	if !c.Thread.IsZero() {
		db.threads[c.Thread] = k
		db.recordThreadEvent(c.Store, c.ID, bridge.ThreadOpened, c.Thread, bridge.ThreadRef{})
	}
}

// remap moves c from thread old to thread t (the caller checked that t is
// not another conversation's): it counts a replacement of a thread in
// ThreadsReplaced, keeps the thread index and records the event ("opened"
// or "replaced"; none for the same thread, or for no thread).
func (db *memDB) remap(c *bridge.ConversationRecord, old, t bridge.ThreadRef) {
	c.Thread = t
	if old == t {
		return
	}
	k := convKey{c.Store, c.ID}
	if !old.IsZero() {
		c.ThreadsReplaced++
		delete(db.threads, old)
	}
	if t.IsZero() {
		return
	}
	db.threads[t] = k
	kind := bridge.ThreadReplaced
	if old.IsZero() {
		kind = bridge.ThreadOpened
	}
	db.recordThreadEvent(c.Store, c.ID, kind, t, old)
}

// recordThreadEvent appends a thread event timed by the clock.
func (db *memDB) recordThreadEvent(store bridge.StoreID, conv bridge.ConversationID, kind bridge.ThreadEventKind, t, prev bridge.ThreadRef) {
	db.threadEvents = append(db.threadEvents, bridge.ThreadEvent{
		Store: store, Conversation: conv, Kind: kind, Thread: t, Previous: prev, At: db.now(),
	})
}

// stampConversation is c with its times as the state keeps them.
func stampConversation(c bridge.ConversationRecord) bridge.ConversationRecord {
	c.WatermarkAt, c.LastBuyerAt, c.LastSellerAt = stamp(c.WatermarkAt), stamp(c.LastBuyerAt), stamp(c.LastSellerAt)
	c.AwaitingSince, c.CreatedAt, c.UpdatedAt = stamp(c.AwaitingSince), stamp(c.CreatedAt), stamp(c.UpdatedAt)
	return c
}

// listSince returns the rows of log (in the order recorded) whose time is
// at or after since and that keep (nil: all) accepts, oldest first, the
// order recorded between rows of the same time; nil for none. The rows are
// values: the caller copies what they point to.
func listSince[T any](log []T, since time.Time, at func(T) time.Time, keep func(T) bool) []T {
	var out []T
	for _, r := range log {
		if atOrAfter(at(r), since) && (keep == nil || keep(r)) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(nanos(at(a)), nanos(at(b))) })
	return out
}
