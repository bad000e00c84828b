package bridgetest

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Leases and replica presence (bridge.Leases), timed by the state's clock
// as the SQL backends time them by the database's.

var _ bridge.Leases = (*MemState)(nil)

// AcquireLease takes or renews the lease name for holder until ttl from now.
func (s *MemState) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bridge.Lease, bool, error) {
	if name == "" || holder == "" {
		return bridge.Lease{}, false, fail(nil, "acquire lease %q for %q: the lease and its holder must be named", name, holder)
	}
	if ttl <= 0 {
		return bridge.Lease{}, false, fail(nil, "acquire lease %s: the TTL must be positive, got %s", name, ttl)
	}
	db, err := s.begin(ctx)
	if err != nil {
		return bridge.Lease{}, false, err
	}
	defer db.mu.Unlock()
	if db.leases == nil {
		db.leases = map[string]bridge.Lease{}
	}
	now := db.now()
	l, ok := db.leases[name]
	live := ok && l.ExpiresAt.After(now)
	if live && l.Holder != holder {
		return l, false, nil
	}
	if !live || l.Holder != holder {
		l.Token++ // a new tenure
	}
	l.Name, l.Holder, l.ExpiresAt = name, holder, stamp(now.Add(ttl))
	db.leases[name] = l
	return l, true, nil
}

// ReleaseLease ends holder's lease name now, keeping its token.
func (s *MemState) ReleaseLease(ctx context.Context, name, holder string) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	if l, ok := db.leases[name]; ok && l.Holder == holder {
		l.ExpiresAt = time.Time{}
		db.leases[name] = l
	}
	return nil
}

// CurrentLeases lists the unexpired leases by name.
func (s *MemState) CurrentLeases(ctx context.Context) ([]bridge.Lease, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	now := db.now()
	var out []bridge.Lease
	for _, l := range db.leases {
		if l.ExpiresAt.After(now) {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// HeartbeatReplica records that replica id lives until ttl from now.
func (s *MemState) HeartbeatReplica(ctx context.Context, id string, ttl time.Duration) (time.Time, error) {
	if id == "" || ttl <= 0 {
		return time.Time{}, fmt.Errorf("memstate: heartbeat replica %q: needs an ID and a positive TTL, got %s", id, ttl)
	}
	db, err := s.begin(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer db.mu.Unlock()
	if db.replicas == nil {
		db.replicas = map[string]time.Time{}
	}
	exp := stamp(db.now().Add(ttl))
	db.replicas[id] = exp
	return exp, nil
}

// LiveReplicas lists the replicas whose heartbeat has not expired, by ID.
func (s *MemState) LiveReplicas(ctx context.Context) ([]bridge.Replica, error) {
	db, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	now := db.now()
	var out []bridge.Replica
	for id, exp := range db.replicas {
		if exp.After(now) {
			out = append(out, bridge.Replica{ID: id, ExpiresAt: exp})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// RemoveReplica forgets replica id.
func (s *MemState) RemoveReplica(ctx context.Context, id string) error {
	db, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	delete(db.replicas, id)
	return nil
}
