// Package leasetest has an in-memory bridge.Leases for tests: the database
// that several replicas' coordinators share, timed by a (fake) clock, with
// links that a test can cut or make hang to partition one replica.
package leasetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Fake is an in-memory bridge.Leases with the semantics of the state
// backends (state/statetest's leases and replicas groups): expiries on its
// clock (the "database's"), a token that grows with each tenure and
// survives a release, listings of unexpired rows by name. It is safe for
// concurrent use.
type Fake struct {
	clock bridge.Clock

	mu       sync.Mutex
	leases   map[string]bridge.Lease
	replicas map[string]time.Time
	calls    int
}

var _ bridge.Leases = (*Fake)(nil)

// New returns an empty fake timed by clock.
func New(clock bridge.Clock) *Fake {
	return &Fake{clock: clock, leases: map[string]bridge.Lease{}, replicas: map[string]time.Time{}}
}

// Calls counts the calls so far (of every link).
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Holder is who holds the lease name now ("" for nobody), for assertions.
func (f *Fake) Holder(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, ok := f.leases[name]; ok && l.ExpiresAt.After(f.clock.Now()) {
		return l.Holder
	}
	return ""
}

// Lease is the row of name as it stands, expired or not.
func (f *Fake) Lease(name string) (bridge.Lease, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.leases[name]
	return l, ok
}

func (f *Fake) begin(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	f.mu.Lock()
	f.calls++
	return f.clock.Now().UTC(), nil
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("leasetest: the TTL must be positive, got %s", ttl)
	}
	return nil
}

// AcquireLease takes, renews or refuses the lease (bridge.Leases).
func (f *Fake) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bridge.Lease, bool, error) {
	if name == "" || holder == "" {
		return bridge.Lease{}, false, errors.New("leasetest: the lease and its holder must be named")
	}
	if err := checkTTL(ttl); err != nil {
		return bridge.Lease{}, false, err
	}
	now, err := f.begin(ctx)
	if err != nil {
		return bridge.Lease{}, false, err
	}
	defer f.mu.Unlock()
	l, ok := f.leases[name]
	live := ok && l.ExpiresAt.After(now)
	switch {
	case !ok:
		l = bridge.Lease{Name: name, Holder: holder, Token: 1}
	case live && l.Holder != holder:
		return l, false, nil
	case live:
		// A renewal: the same tenure.
	default:
		l.Holder, l.Token = holder, l.Token+1
	}
	l.ExpiresAt = now.Add(ttl)
	f.leases[name] = l
	return l, true, nil
}

// ReleaseLease ends holder's lease now, keeping its token.
func (f *Fake) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := f.begin(ctx); err != nil {
		return err
	}
	defer f.mu.Unlock()
	if l, ok := f.leases[name]; ok && l.Holder == holder {
		l.ExpiresAt = time.Unix(0, 0).UTC()
		f.leases[name] = l
	}
	return nil
}

// CurrentLeases lists the unexpired leases by name.
func (f *Fake) CurrentLeases(ctx context.Context) ([]bridge.Lease, error) {
	now, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	var out []bridge.Lease
	for _, l := range f.leases {
		if l.ExpiresAt.After(now) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b bridge.Lease) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// HeartbeatReplica records that replica id is alive until ttl from now.
func (f *Fake) HeartbeatReplica(ctx context.Context, id string, ttl time.Duration) (time.Time, error) {
	if id == "" {
		return time.Time{}, errors.New("leasetest: the replica must be named")
	}
	if err := checkTTL(ttl); err != nil {
		return time.Time{}, err
	}
	now, err := f.begin(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer f.mu.Unlock()
	f.replicas[id] = now.Add(ttl)
	return f.replicas[id], nil
}

// LiveReplicas lists the replicas whose heartbeat has not expired, by ID.
func (f *Fake) LiveReplicas(ctx context.Context) ([]bridge.Replica, error) {
	now, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	var out []bridge.Replica
	for id, exp := range f.replicas {
		if exp.After(now) {
			out = append(out, bridge.Replica{ID: id, ExpiresAt: exp})
		}
	}
	slices.SortFunc(out, func(a, b bridge.Replica) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// RemoveReplica forgets replica id.
func (f *Fake) RemoveReplica(ctx context.Context, id string) error {
	if _, err := f.begin(ctx); err != nil {
		return err
	}
	defer f.mu.Unlock()
	delete(f.replicas, id)
	return nil
}

// ErrCut is what the calls of a cut link fail with.
var ErrCut = errors.New("leasetest: the link to the database is cut")

// Link is one replica's connection to a Fake, which a test can cut (every
// call fails with ErrCut) or make hang (every call waits until its context
// ends, as a replica partitioned from PostgreSQL waits on its socket).
type Link struct {
	*Fake

	mu    sync.Mutex
	state linkState
	// hung is closed by Restore, releasing the calls waiting on it.
	hung    chan struct{}
	waiting int
}

type linkState int

const (
	linkUp linkState = iota
	linkCut
	linkHung
)

// Link returns a new connection to f, up.
func (f *Fake) Link() *Link { return &Link{Fake: f} }

// Cut makes every call fail with ErrCut until Restore.
func (l *Link) Cut() { l.set(linkCut) }

// Hang makes every call wait until its context ends (then fail with the
// context's error) until Restore.
func (l *Link) Hang() { l.set(linkHung) }

// Restore brings the link back up.
func (l *Link) Restore() { l.set(linkUp) }

func (l *Link) set(s linkState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == linkHung && s != linkHung {
		close(l.hung)
	}
	if s == linkHung && l.state != linkHung {
		l.hung = make(chan struct{})
	}
	l.state = s
}

// Waiting counts the calls waiting on the hung link now.
func (l *Link) Waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiting
}

// gate lets a call through to the fake, or fails it as the link's state says.
func (l *Link) gate(ctx context.Context) error {
	l.mu.Lock()
	s, hung := l.state, l.hung
	if s == linkHung {
		l.waiting++
	}
	l.mu.Unlock()
	switch s {
	case linkCut:
		return ErrCut
	case linkHung:
		defer func() {
			l.mu.Lock()
			l.waiting--
			l.mu.Unlock()
		}()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-hung:
			return ErrCut
		}
	}
	return nil
}

// AcquireLease is the fake's, through the link.
func (l *Link) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bridge.Lease, bool, error) {
	if err := l.gate(ctx); err != nil {
		return bridge.Lease{}, false, err
	}
	return l.Fake.AcquireLease(ctx, name, holder, ttl)
}

// ReleaseLease is the fake's, through the link.
func (l *Link) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := l.gate(ctx); err != nil {
		return err
	}
	return l.Fake.ReleaseLease(ctx, name, holder)
}

// CurrentLeases is the fake's, through the link.
func (l *Link) CurrentLeases(ctx context.Context) ([]bridge.Lease, error) {
	if err := l.gate(ctx); err != nil {
		return nil, err
	}
	return l.Fake.CurrentLeases(ctx)
}

// HeartbeatReplica is the fake's, through the link.
func (l *Link) HeartbeatReplica(ctx context.Context, id string, ttl time.Duration) (time.Time, error) {
	if err := l.gate(ctx); err != nil {
		return time.Time{}, err
	}
	return l.Fake.HeartbeatReplica(ctx, id, ttl)
}

// LiveReplicas is the fake's, through the link.
func (l *Link) LiveReplicas(ctx context.Context) ([]bridge.Replica, error) {
	if err := l.gate(ctx); err != nil {
		return nil, err
	}
	return l.Fake.LiveReplicas(ctx)
}

// RemoveReplica is the fake's, through the link.
func (l *Link) RemoveReplica(ctx context.Context, id string) error {
	if err := l.gate(ctx); err != nil {
		return err
	}
	return l.Fake.RemoveReplica(ctx, id)
}
