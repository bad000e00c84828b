package console

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// MetaStore is a small key/value store; bridge.State satisfies it. With it
// the thread, message and alert counters survive a restart, so a persistent
// database never sees a tag (T3) or a chat message reference (C12) reused
// for something else: the schema keeps one thread per conversation and one
// outbox row per chat message, and a reused C12 would read as a duplicate.
type MetaStore interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
}

// Meta keys of the counters.
const (
	metaThreads  = "console.next_thread"
	metaMessages = "console.next_message"
	metaAlerts   = "console.next_alert"
)

// counter hands out 1, 2, 3, … With a MetaStore it reserves numbers in
// blocks and saves the end of the block before handing out from it, so a
// restart continues after every number ever used (skipping the unused rest
// of the block). Numbers seen in references it did not hand out (an earlier
// run without a MetaStore) move it forward too.
type counter struct {
	mu       sync.Mutex
	prefix   string
	key      string
	block    int64
	meta     MetaStore
	log      *slog.Logger
	loaded   bool
	next     int64
	reserved int64
}

func newCounter(prefix, key string, block int64, meta MetaStore, log *slog.Logger) *counter {
	return &counter{prefix: prefix, key: key, block: block, meta: meta, log: log, next: 1}
}

// take returns the next number's reference, "T4".
func (c *counter) take(ctx context.Context) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked(ctx)
	n := c.next
	c.next++
	if c.meta != nil && n >= c.reserved {
		c.reserved = n + c.block
		// The save must land even when the caller's request is cancelled
		// right now: the number is handed out either way.
		if err := c.meta.SetMeta(context.WithoutCancel(ctx), c.key, strconv.FormatInt(c.reserved, 10)); err != nil {
			c.log.Warn("console: could not save a counter; tags may repeat after a restart", "key", c.key, "err", err)
		}
	}
	return c.prefix + strconv.FormatInt(n, 10)
}

func (c *counter) loadLocked(ctx context.Context) {
	if c.loaded || c.meta == nil {
		c.loaded = true
		return
	}
	v, err := c.meta.Meta(ctx, c.key)
	switch {
	case errors.Is(err, bridge.ErrNotFound):
	case err != nil:
		// Try again at the next take; until then count on from what we saw.
		c.log.Warn("console: could not load a counter", "key", c.key, "err", err)
		return
	default:
		if n, perr := strconv.ParseInt(v, 10, 64); perr == nil && n > c.next {
			c.next = n
			c.reserved = n
		}
	}
	c.loaded = true
}

// seen moves the counter past a reference it meets ("T7" → next is 8 or more).
func (c *counter) seen(ref string) {
	n, ok := number(c.prefix, ref)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n >= c.next {
		c.next = n + 1
	}
}

// issued reports whether ref may have been handed out: its number is below
// the next one (with a MetaStore, possibly in the unused rest of a block).
// A reference above it was never handed out by this counter.
func (c *counter) issued(ctx context.Context, ref string) bool {
	n, ok := number(c.prefix, ref)
	if !ok {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadLocked(ctx)
	return n < c.next
}

// number parses "T7" with prefix "T" as 7.
func number(prefix, ref string) (int64, bool) {
	digits, ok := strings.CutPrefix(ref, prefix)
	if !ok || digits == "" || len(digits) > 18 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n > 0
}
