package engine

import (
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// convKey names one conversation of one store.
type convKey struct {
	store bridge.StoreID
	conv  bridge.ConversationID
}

// convLocks serialises the work on one conversation that reads and then
// writes its record (a sync recording fetched messages, the outbox recording
// a sent reply), so neither overwrites the other's counters and a reply being
// sent is never mistaken for a message sent elsewhere. Locks are created on
// demand and freed when unused.
type convLocks struct {
	mu    sync.Mutex
	locks map[convKey]*refMutex
}

type refMutex struct {
	sync.Mutex
	refs int
}

// lock takes the conversation's lock and returns its unlock.
func (k *convLocks) lock(store bridge.StoreID, conv bridge.ConversationID) func() {
	key := convKey{store, conv}
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[convKey]*refMutex{}
	}
	m, ok := k.locks[key]
	if !ok {
		m = &refMutex{}
		k.locks[key] = m
	}
	m.refs++
	k.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		k.mu.Lock()
		m.refs--
		if m.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
