package telegram

import (
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/go-telegram/bot/models"
)

// chains maps the messages of reply chains (a group without topics) to
// their header message: every post the bridge makes under a header, and
// every agent reply resolved to one, so a reply to any of them finds the
// conversation. It is bounded and in memory; after a restart, replies to
// older posts are still resolved through the marker link each post carries
// (see chainMarker).
type chains struct {
	m *fifoMap[msgKey, int]
}

func newChains(max int) *chains { return &chains{m: newFIFOMap[msgKey, int](max)} }

func (c *chains) add(chat int64, msg, header int) { c.m.put(msgKey{chat, msg}, header) }

func (c *chains) header(chat int64, msg int) (int, bool) { return c.m.get(msgKey{chat, msg}) }

// chainMarker is the "🧵" link that starts every post in a reply chain. It
// opens the header message (a t.me/c link, which works in supergroups) and
// tells the surface which thread a reply belongs to, even after a restart.
func chainMarker(k threadKey) htmlText {
	internal, ok := internalChatID(k.chat)
	if !ok {
		return htmlText{}
	}
	return anchor("https://t.me/c/"+strconv.FormatInt(internal, 10)+"/"+strconv.Itoa(k.id), "🧵")
}

// internalChatID turns a supergroup id (-100XXXXXXXXXX) into the id used by
// t.me/c links; basic groups have none.
func internalChatID(chat int64) (int64, bool) {
	const base = -1000000000000
	if chat >= base {
		return 0, false
	}
	return base - chat, true
}

// markerHeader reads the header id back from a post's marker link.
func markerHeader(chat int64, m *models.Message) (int, bool) {
	internal, ok := internalChatID(chat)
	if !ok {
		return 0, false
	}
	want := "/c/" + strconv.FormatInt(internal, 10) + "/"
	for _, e := range append(append([]models.MessageEntity(nil), m.Entities...), m.CaptionEntities...) {
		if e.Type != models.MessageEntityTypeTextLink {
			continue
		}
		u, err := url.Parse(e.URL)
		if err != nil || u.Host != "t.me" || !strings.HasPrefix(u.Path, want) {
			continue
		}
		id, err := strconv.Atoi(strings.TrimPrefix(u.Path, want))
		if err == nil && id > 0 {
			return id, true
		}
	}
	return 0, false
}

// fifoMap is a map that forgets its oldest entries beyond max.
type fifoMap[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	m     map[K]V
	order []K
}

func newFIFOMap[K comparable, V any](max int) *fifoMap[K, V] {
	return &fifoMap[K, V]{max: max, m: map[K]V{}}
}

func (f *fifoMap[K, V]) put(k K, v V) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[k]; !ok {
		f.order = append(f.order, k)
	}
	f.m[k] = v
	for len(f.order) > f.max {
		delete(f.m, f.order[0])
		f.order = f.order[1:]
	}
	if cap(f.order) > 4*f.max {
		f.order = append([]K(nil), f.order...)
	}
}

func (f *fifoMap[K, V]) get(k K) (V, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[k]
	return v, ok
}

// recentSet remembers the last keys seen (update ids, edited messages).
type recentSet struct{ m *fifoMap[int64, struct{}] }

func newRecentSet(max int) *recentSet { return &recentSet{m: newFIFOMap[int64, struct{}](max)} }

// add records k.
func (r *recentSet) add(k int64) { r.m.put(k, struct{}{}) }

// has reports whether k was recorded.
func (r *recentSet) has(k int64) bool {
	_, ok := r.m.get(k)
	return ok
}

// del forgets k.
func (f *fifoMap[K, V]) del(k K) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, k)
}
