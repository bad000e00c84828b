// Package lease shares the jobs that must run once among the replicas of
// one state database: a Coordinator per replica heartbeats it, computes its
// fair share of a set of lease names among the live replicas (Assign),
// takes and renews those leases through bridge.Leases, gives up the ones
// another replica should hold (a replica joined), and fences: a lease it
// cannot renew is dropped — OnLost — before the database could let another
// replica take it.
//
// It imports bridge, nothing else of the project. The engine decides what
// work a lease name stands for (Store, Destination, TelegramUpdates,
// Report, Alerts) and starts and stops it from the callbacks.
//
// # Timing
//
// Every RenewEvery (default TTL/3) the coordinator runs a round (Step):
// heartbeat, list the live replicas and the current leases, then acquire or
// renew each name it should hold. The database times every expiry on its
// own clock (bridge.Leases); the coordinator times its side on its clock,
// counting from just before it asked: a lease renewed by a call that
// started at s is held locally until s + TTL - Margin, which is before the
// database's expiry whatever the two clocks read. When that moment passes
// without a newer renewal — the database is slow, unreachable or hangs —
// OnLost is called then, from a timer, even while the round that should
// have renewed it is still waiting; the work has Margin to stop before
// another replica may take the lease. Each call to the database is cut
// after RenewEvery.
//
// A replica that dies keeps its leases until they expire (TTL after its
// last renewal) and its heartbeat until the same; the next round of a
// survivor after that takes them: a takeover within TTL + RenewEvery
// (TakeoverBound; 13.3 s by default, within the 15 s the deployment aims
// for). A replica that stops cleanly (Run returning) releases its leases
// and its heartbeat at once.
//
// # Sharing
//
// Each replica computes the same Assign of the names over the live
// replicas (the replicas must share the set of names: the same config). It
// acquires the names assigned to it; it releases (OnLost first, then
// ReleaseLease) the ones it holds that are assigned to another live
// replica, which takes them in its next round; and it adopts a name that
// has been free for a whole RenewEvery although its owner is live (the
// owner cannot take it), keeping it until the live replicas change.
package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Config times the coordinator.
type Config struct {
	// TTL is how long a lease and a heartbeat last without renewal
	// (default 10 s).
	TTL time.Duration
	// RenewEvery is the interval of the rounds (default TTL/3), and the
	// longest a call to the database may take.
	RenewEvery time.Duration
	// Margin is how long before the database's expiry the holder drops a
	// lease it could not renew (default TTL/5): the time its work has to
	// stop.
	Margin time.Duration
}

// SetDefaults fills in what the config leaves out.
func (c *Config) SetDefaults() {
	if c.TTL == 0 {
		c.TTL = 10 * time.Second
	}
	if c.RenewEvery == 0 {
		c.RenewEvery = c.TTL / 3
	}
	if c.Margin == 0 {
		c.Margin = c.TTL / 5
	}
}

// Validate reports a config under which leases would lapse between
// renewals (after SetDefaults).
func (c Config) Validate() error {
	switch {
	case c.TTL <= 0:
		return fmt.Errorf("lease: TTL must be positive, got %s", c.TTL)
	case c.RenewEvery <= 0:
		return fmt.Errorf("lease: the renew interval must be positive, got %s", c.RenewEvery)
	case c.Margin < 0:
		return fmt.Errorf("lease: the margin must not be negative, got %s", c.Margin)
	case c.RenewEvery+c.Margin >= c.TTL:
		return fmt.Errorf("lease: the renew interval (%s) plus the margin (%s) must be shorter than the TTL (%s), or leases lapse between renewals",
			c.RenewEvery, c.Margin, c.TTL)
	}
	return nil
}

// TakeoverBound is the longest a dead replica's leases stay unheld: their
// TTL, then at most one round of a survivor.
func (c Config) TakeoverBound() time.Duration { return c.TTL + c.RenewEvery }

// Deps are what a coordinator works with.
type Deps struct {
	Leases bridge.Leases
	// Holder is this replica's ID (NewHolderID), unique among replicas.
	Holder string
	// Names are the lease names to share (SetNames changes them).
	Names []string
	// Clock times the rounds and the local end of each lease; nil is the
	// system clock.
	Clock  bridge.Clock
	Logger *slog.Logger
	// OnAcquired is called when this replica starts a tenure of a lease:
	// start its work, stamped with token. OnLost is called when the tenure
	// ends — given up, taken, or not renewed in time — before the lease is
	// released: stop the work, within Margin. Calls are in order, one at a
	// time, from the coordinator's goroutines; they may call Held and Holds,
	// nothing else of the coordinator. Either may be nil.
	OnAcquired func(name string, token int64)
	OnLost     func(name string)
}

// HeldLease is a lease this replica holds.
type HeldLease struct {
	Name  string
	Token int64
	// Since is when this tenure started, Until when it ends unless renewed
	// (TTL - Margin after the start of the last renewal), on the
	// coordinator's clock.
	Since, Until time.Time
	// Adopted: the lease was free although another live replica should
	// hold it, so this one took it.
	Adopted bool
}

// Stats count the coordinator's tenures since it started.
type Stats struct {
	// Acquired is the tenures started, Released the ones given up
	// (rebalanced, or at stop), Lost the ones that ended otherwise (not
	// renewed in time, or taken by another replica).
	Acquired, Released, Lost int64
}

// Coordinator is one replica's side of the lease sharing.
type Coordinator struct {
	cfg    Config
	leases bridge.Leases
	holder string
	clock  bridge.Clock
	log    *slog.Logger
	onAcq  func(string, int64)
	onLost func(string)

	// round serialises Step.
	round sync.Mutex

	mu        sync.Mutex
	names     []string
	held      map[string]*HeldLease
	members   string               // the live replicas of the last round, joined
	replicas  []string             // the same, as a list
	freeSince map[string]time.Time // names seen free while another replica should take them
	stats     Stats
	events    []event
	stopTimer func() bool // the fencing timer armed for the earliest Until
	timerAt   time.Time
	timerGen  int // which arming the timer is, so a late one leaves a newer one be
	stopped   bool

	// deliver serialises the callbacks.
	deliver sync.Mutex
}

// event is a callback to make.
type event struct {
	name     string
	token    int64
	acquired bool
}

// New returns a coordinator; Run runs it.
func New(cfg Config, d Deps) (*Coordinator, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Leases == nil {
		return nil, errors.New("lease: no Leases")
	}
	if d.Holder == "" {
		return nil, errors.New("lease: the replica needs a holder ID")
	}
	if d.Clock == nil {
		d.Clock = bridge.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Coordinator{
		cfg: cfg, leases: d.Leases, holder: d.Holder, clock: d.Clock,
		log:   d.Logger.With("component", "lease", "replica", d.Holder),
		onAcq: d.OnAcquired, onLost: d.OnLost,
		names: uniqueSorted(d.Names), held: map[string]*HeldLease{}, freeSince: map[string]time.Time{},
	}, nil
}

// Holder is this replica's ID.
func (c *Coordinator) Holder() string { return c.holder }

// Config is the coordinator's timing, defaults applied.
func (c *Coordinator) Config() Config { return c.cfg }

// SetNames replaces the lease names to share (stores added or removed);
// the next round acts on them.
func (c *Coordinator) SetNames(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = uniqueSorted(names)
}

// Held lists the leases this replica holds now, by name.
func (c *Coordinator) Held() []HeldLease {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []HeldLease
	for _, h := range c.held {
		if now.Before(h.Until) {
			out = append(out, *h)
		}
	}
	slices.SortFunc(out, func(a, b HeldLease) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Holds reports whether this replica holds the lease name now, and its
// token: what leased work checks before it acts.
func (c *Coordinator) Holds(name string) (token int64, ok bool) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.held[name]; h != nil && now.Before(h.Until) {
		return h.Token, true
	}
	return 0, false
}

// Replicas lists the live replicas seen by the last round, by ID.
func (c *Coordinator) Replicas() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.replicas)
}

// Stats counts the tenures so far.
func (c *Coordinator) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Run runs a round every RenewEvery until ctx ends, then stops: OnLost for
// every lease held, each released, and the heartbeat removed, so that the
// other replicas take over at once.
func (c *Coordinator) Run(ctx context.Context) error {
	for {
		start := c.clock.Now()
		c.Step(ctx)
		wait := c.cfg.RenewEvery - c.clock.Now().Sub(start)
		if ctx.Err() == nil && wait > 0 {
			select {
			case <-ctx.Done():
			case <-c.clock.After(wait):
			}
		}
		if ctx.Err() != nil {
			c.stop()
			return nil
		}
	}
}

// Step runs one round now: heartbeat, look at the live replicas and the
// current leases, then acquire, renew or give up each name. Run calls it
// every RenewEvery; a caller may call it to act at once (after SetNames).
func (c *Coordinator) Step(ctx context.Context) {
	c.round.Lock()
	defer c.round.Unlock()
	defer c.arm()
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if stopped || ctx.Err() != nil {
		return
	}
	names, replicas, current, err := c.look(ctx)
	if err != nil {
		// Without the picture, keep what is held: renew it.
		c.log.Warn("lease round: cannot see the replicas and leases; renewing the leases held", "err", err)
		for _, h := range c.Held() {
			c.acquire(ctx, h.Name, h.Adopted)
		}
		return
	}
	members := strings.Join(replicas, ",")
	owner := Assign(names, replicas)
	now := c.clock.Now()

	c.mu.Lock()
	if members != c.members {
		if c.members != "" {
			c.log.Info("live replicas changed: rebalancing", "replicas", replicas)
		}
		c.members, c.replicas = members, replicas
		// Adoptions last while the replicas do.
		for _, h := range c.held {
			h.Adopted = false
		}
		clear(c.freeSince)
	}
	type plan struct {
		name    string
		act     int
		adopted bool
	}
	const (
		renew = iota
		giveUp
		take
		releaseStale
	)
	var plans []plan
	for _, n := range names {
		h := c.held[n]
		cur, taken := current[n]
		mine := owner[n] == c.holder
		switch {
		case h != nil:
			if mine || h.Adopted {
				plans = append(plans, plan{n, renew, !mine})
			} else {
				plans = append(plans, plan{n, giveUp, false})
			}
		case taken && cur.Holder != c.holder:
			delete(c.freeSince, n)
		case taken:
			// Ours in the database, not in our books (a renewal answered
			// too late): take it back if it is ours, else let it go now.
			if mine {
				plans = append(plans, plan{n, take, false})
			} else {
				plans = append(plans, plan{n, releaseStale, false})
			}
		case mine:
			plans = append(plans, plan{n, take, false})
		default:
			since, seen := c.freeSince[n]
			switch {
			case !seen:
				c.freeSince[n] = now
			case now.Sub(since) >= c.cfg.RenewEvery:
				plans = append(plans, plan{n, take, true})
			}
		}
	}
	for n := range c.held {
		if !slices.Contains(names, n) {
			plans = append(plans, plan{n, giveUp, false})
		}
	}
	c.mu.Unlock()

	for _, p := range plans {
		if ctx.Err() != nil {
			return
		}
		switch p.act {
		case renew, take:
			c.acquire(ctx, p.name, p.adopted)
		case giveUp:
			c.giveUp(ctx, p.name)
		case releaseStale:
			c.release(ctx, p.name)
		}
	}
}

// look heartbeats and reads the names, the live replicas (with this one)
// and the current leases.
func (c *Coordinator) look(ctx context.Context) (names, replicas []string, current map[string]bridge.Lease, err error) {
	if err := c.call(ctx, func(ctx context.Context) error {
		_, err := c.leases.HeartbeatReplica(ctx, c.holder, c.cfg.TTL)
		return err
	}); err != nil {
		return nil, nil, nil, fmt.Errorf("heartbeat: %w", err)
	}
	var live []bridge.Replica
	if err := c.call(ctx, func(ctx context.Context) (err error) {
		live, err = c.leases.LiveReplicas(ctx)
		return err
	}); err != nil {
		return nil, nil, nil, fmt.Errorf("list replicas: %w", err)
	}
	var leases []bridge.Lease
	if err := c.call(ctx, func(ctx context.Context) (err error) {
		leases, err = c.leases.CurrentLeases(ctx)
		return err
	}); err != nil {
		return nil, nil, nil, fmt.Errorf("list leases: %w", err)
	}
	replicas = []string{c.holder}
	for _, r := range live {
		replicas = append(replicas, r.ID)
	}
	current = make(map[string]bridge.Lease, len(leases))
	for _, l := range leases {
		current[l.Name] = l
	}
	c.mu.Lock()
	names = c.names
	c.mu.Unlock()
	return names, uniqueSorted(replicas), current, nil
}

// acquire takes or renews name and books the outcome.
func (c *Coordinator) acquire(ctx context.Context, name string, adopted bool) {
	start := c.clock.Now()
	var (
		l    bridge.Lease
		held bool
	)
	err := c.call(ctx, func(ctx context.Context) (err error) {
		l, held, err = c.leases.AcquireLease(ctx, name, c.holder, c.cfg.TTL)
		return err
	})
	now := c.clock.Now()
	until := start.Add(c.cfg.TTL - c.cfg.Margin)

	c.mu.Lock()
	h := c.held[name]
	if h != nil && !now.Before(h.Until) {
		// Its time passed while asking: lost, whatever the answer.
		c.endLocked(name, "not renewed in time", false)
		h = nil
	}
	switch {
	case err != nil:
		if h != nil {
			c.log.Warn("lease not renewed; retrying", "lease", name, "held_until", h.Until, "err", err)
		} else {
			c.log.Warn("lease not acquired", "lease", name, "err", err)
		}
	case !held:
		if h != nil {
			c.endLocked(name, "taken by "+l.Holder, false)
		}
		delete(c.freeSince, name)
	case !now.Before(until):
		// Granted, but the answer came too late to count on it.
		if h != nil {
			c.endLocked(name, "renewal answered too late", false)
		}
		c.log.Warn("lease answer came too late to use", "lease", name, "took", now.Sub(start))
	case h != nil && h.Token == l.Token:
		h.Until = until
		h.Adopted = adopted
	default:
		if h != nil {
			// A new tenure under our feet (our lease lapsed in the
			// database and we took it again): the old one ended.
			c.endLocked(name, "lapsed in the database", false)
		}
		c.held[name] = &HeldLease{Name: name, Token: l.Token, Since: now, Until: until, Adopted: adopted}
		delete(c.freeSince, name)
		c.stats.Acquired++
		c.events = append(c.events, event{name: name, token: l.Token, acquired: true})
		c.log.Info("lease acquired", "lease", name, "token", l.Token, "adopted", adopted)
	}
	c.mu.Unlock()
	c.flush()
}

// giveUp ends the tenure of name (OnLost, delivered before anything else)
// and releases the lease for the replica that should hold it.
func (c *Coordinator) giveUp(ctx context.Context, name string) {
	c.mu.Lock()
	if c.held[name] == nil {
		c.mu.Unlock()
		return
	}
	c.endLocked(name, "given up to rebalance", true)
	c.mu.Unlock()
	c.flush()
	c.release(ctx, name)
}

// release releases name in the database.
func (c *Coordinator) release(ctx context.Context, name string) {
	if err := c.call(ctx, func(ctx context.Context) error {
		return c.leases.ReleaseLease(ctx, name, c.holder)
	}); err != nil {
		c.log.Warn("lease not released (it will expire)", "lease", name, "err", err)
	}
}

// endLocked ends the tenure of name: booked, and OnLost queued.
func (c *Coordinator) endLocked(name, why string, given bool) {
	h := c.held[name]
	if h == nil {
		return
	}
	delete(c.held, name)
	if given {
		c.stats.Released++
		c.log.Info("lease released", "lease", name, "token", h.Token, "why", why)
	} else {
		c.stats.Lost++
		c.log.Warn("lease lost: its work stops", "lease", name, "token", h.Token, "why", why)
	}
	c.events = append(c.events, event{name: name, token: h.Token})
}

// flush makes the queued callbacks, in order; when it returns, every
// callback queued before it was called has been made.
func (c *Coordinator) flush() {
	c.deliver.Lock()
	defer c.deliver.Unlock()
	for {
		c.mu.Lock()
		if len(c.events) == 0 {
			c.mu.Unlock()
			return
		}
		e := c.events[0]
		c.events = c.events[1:]
		c.mu.Unlock()
		switch {
		case e.acquired && c.onAcq != nil:
			c.onAcq(e.name, e.token)
		case !e.acquired && c.onLost != nil:
			c.onLost(e.name)
		}
	}
}
