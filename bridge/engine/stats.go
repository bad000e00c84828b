package engine

import (
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Stats is a snapshot of the engine's health and counters since start, for
// metrics endpoints and probes.
type Stats struct {
	Stores []StoreStats
	// ChatUp is false while the chat surface is down; StateUp while the
	// state database fails.
	ChatUp  bool
	StateUp bool
	// RepliesSent and RepliesFailed count replies that ended so since start.
	RepliesSent   uint64
	RepliesFailed uint64
	// RepliesQueued is how many replies wait for a worker now.
	RepliesQueued int
}

// StoreStats is one store's part of Stats.
type StoreStats struct {
	Store    bridge.StoreID
	Platform bridge.Platform
	Site     string
	// Up is false while the store is down (past the failure threshold) or
	// its tokens are refused; DownReason is then "unreachable" or
	// "needs_update".
	Up         bool
	DownReason string
	// Recorded counts new messages recorded in the inbound queue to be
	// posted; Relayed counts messages posted into threads.
	Recorded         uint64
	Relayed          uint64
	SyncsOK          uint64
	SyncsFailed      uint64
	LastSyncDuration time.Duration
	// LastSyncOK is when the last successful sync ended (zero: none yet).
	LastSyncOK time.Time
}

// Stats returns a snapshot of the engine's counters.
func (e *Engine) Stats() Stats {
	out := Stats{ChatUp: !e.mon.ChatHealth().Down, StateUp: !e.mon.StateHealth().Down}
	for _, s := range e.Stores() {
		h := e.mon.StoreHealth(s.ID)
		ss := StoreStats{Store: s.ID, Platform: s.Platform, Site: s.Site, Up: h.Up()}
		switch {
		case h.NeedsUpdate:
			ss.DownReason = "needs_update"
		case h.Down:
			ss.DownReason = "unreachable"
		}
		if sy := e.syncerFor(s.ID); sy != nil {
			sy.mu.Lock()
			ss.Recorded, ss.SyncsOK, ss.SyncsFailed = sy.recorded, sy.syncsOK, sy.syncsFailed
			ss.LastSyncDuration, ss.LastSyncOK = sy.lastDuration, sy.lastOK
			sy.mu.Unlock()
		}
		ss.Relayed = e.relay.postedCount(s.ID)
		out.Stores = append(out.Stores, ss)
	}
	o := e.outbox
	o.mu.Lock()
	out.RepliesSent, out.RepliesFailed, out.RepliesQueued = o.sent, o.failed, len(o.queue)
	o.mu.Unlock()
	return out
}
