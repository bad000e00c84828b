package engine

import "github.com/shopbridge/shopbridge/bridge"

// readyRing holds the conversations that have messages to post, for a fair
// two-level round-robin: stores take turns, and within a store its
// conversations take turns, so neither a chatty conversation nor a store
// with many conversations starves the others.
type readyRing struct {
	stores []bridge.StoreID
	convs  map[bridge.StoreID][]bridge.ConversationID
	in     map[convKey]bool
	// next is the index in stores of the store whose turn is next.
	next int
}

func newReadyRing() *readyRing {
	return &readyRing{convs: map[bridge.StoreID][]bridge.ConversationID{}, in: map[convKey]bool{}}
}

func (r *readyRing) len() int { return len(r.in) }

func (r *readyRing) has(k convKey) bool { return r.in[k] }

// add queues k at the end of its store's turn list; a queued k stays where it is.
func (r *readyRing) add(k convKey) {
	if r.in[k] {
		return
	}
	r.in[k] = true
	if _, ok := r.convs[k.store]; !ok {
		r.stores = append(r.stores, k.store)
	}
	r.convs[k.store] = append(r.convs[k.store], k.conv)
}

// take removes and returns the next conversation in turn.
func (r *readyRing) take() (convKey, bool) {
	if len(r.stores) == 0 {
		return convKey{}, false
	}
	if r.next >= len(r.stores) {
		r.next = 0
	}
	store := r.stores[r.next]
	list := r.convs[store]
	conv := list[0]
	list = list[1:]
	k := convKey{store, conv}
	delete(r.in, k)
	if len(list) == 0 {
		delete(r.convs, store)
		r.stores = append(r.stores[:r.next], r.stores[r.next+1:]...)
		// next now points at the store after the removed one.
	} else {
		r.convs[store] = list
		r.next++
	}
	return k, true
}

// remove drops k if it is queued.
func (r *readyRing) remove(k convKey) {
	if !r.in[k] {
		return
	}
	delete(r.in, k)
	list := r.convs[k.store]
	for i, c := range list {
		if c == k.conv {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) > 0 {
		r.convs[k.store] = list
		return
	}
	delete(r.convs, k.store)
	for i, s := range r.stores {
		if s == k.store {
			r.stores = append(r.stores[:i], r.stores[i+1:]...)
			if r.next > i {
				r.next--
			}
			break
		}
	}
}
