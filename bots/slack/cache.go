package slack

import "sync"

// boundedMap is a small concurrent cache that forgets everything once it
// holds max entries: what the surface remembers between calls is only an
// optimisation (the core's state is the truth), so a reset is safe and
// keeps memory bounded.
type boundedMap[K comparable, V any] struct {
	mu  sync.Mutex
	max int
	m   map[K]V
}

func newBoundedMap[K comparable, V any](max int) *boundedMap[K, V] {
	return &boundedMap[K, V]{max: max, m: map[K]V{}}
}

func (b *boundedMap[K, V]) get(k K) (V, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[k]
	return v, ok
}

func (b *boundedMap[K, V]) set(k K, v V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setLocked(k, v)
}

func (b *boundedMap[K, V]) setLocked(k K, v V) {
	if _, ok := b.m[k]; !ok && len(b.m) >= b.max {
		clear(b.m)
	}
	b.m[k] = v
}

// add sets k only if it is absent and reports whether it did.
func (b *boundedMap[K, V]) add(k K, v V) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.m[k]; ok {
		return false
	}
	b.setLocked(k, v)
	return true
}

func (b *boundedMap[K, V]) delete(k K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, k)
}

// update applies f to k's value (the zero value when absent) and stores
// the result, in one step.
func (b *boundedMap[K, V]) update(k K, f func(*V)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.m[k]
	f(&v)
	b.setLocked(k, v)
}
