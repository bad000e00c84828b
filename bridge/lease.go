package bridge

import (
	"context"
	"time"
)

// Leases is the coordination port of several replicas sharing one state
// database: named leases, each held by one replica at a time for a TTL, and
// the replicas' presence, so that the work can be spread evenly among the
// live ones. A lease names one job that must run once ("store:<id>", a chat
// destination, "telegram-updates", "report", "alerts"); bridge/lease
// decides which replica asks for which lease.
//
// Times are the database's: the backend computes every expiry from its own
// clock (PostgreSQL's now(), SQLite's unixepoch), never from the caller's,
// so the replicas' clocks may disagree without two of them holding one
// lease. Expiries come back for display and metrics; a holder that needs to
// know when its lease may lapse counts TTL from before it asked (the
// database's expiry is later than that), on its own clock — see
// bridge/lease. SQLite implements the same semantics for its single
// process, so the engine has one code path.
//
// Every method is safe for concurrent use by any number of replicas.
type Leases interface {
	// AcquireLease takes the lease name for holder until ttl from now, when
	// nobody holds it or its holder's lease has expired; when holder holds it
	// already, it renews it (a new expiry, the same token). held reports
	// whether holder holds the lease now. The Lease is the lease as it
	// stands: holder's when held, else the other holder's (whose expiry
	// tells when to try again). The token grows by one with each new tenure
	// (a takeover by another holder, or the same holder taking the lease
	// again after it expired or was released) and never goes back, so work
	// stamped with a token can be fenced: a write carrying a smaller token
	// than the lease's is from a holder that lost it. ttl must be positive.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (lease Lease, held bool, err error)
	// ReleaseLease gives the lease up at once when holder holds it, so that
	// another replica can take it without waiting for the expiry; it does
	// nothing when holder does not hold it. The lease's token is kept (the
	// next holder's is larger).
	ReleaseLease(ctx context.Context, name, holder string) error
	// CurrentLeases lists the leases held now (unexpired), by name.
	CurrentLeases(ctx context.Context) ([]Lease, error)

	// HeartbeatReplica records that replica id is alive until ttl from now
	// and returns that expiry. ttl must be positive.
	HeartbeatReplica(ctx context.Context, id string, ttl time.Duration) (expires time.Time, err error)
	// LiveReplicas lists the replicas whose heartbeat has not expired, by ID.
	LiveReplicas(ctx context.Context) ([]Replica, error)
	// RemoveReplica forgets replica id (a clean shutdown), so that the
	// others rebalance without waiting for its heartbeat to expire.
	RemoveReplica(ctx context.Context, id string) error
}

// Lease is a named lease as the state database holds it.
type Lease struct {
	Name   string
	Holder string
	// Token is the fencing token of the holder's tenure: larger for every
	// later tenure of this lease.
	Token int64
	// ExpiresAt is when the lease lapses unless renewed, on the database's
	// clock.
	ExpiresAt time.Time
}

// Replica is a live replica: its ID and when its heartbeat expires, on the
// database's clock.
type Replica struct {
	ID        string
	ExpiresAt time.Time
}
