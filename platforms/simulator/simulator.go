package simulator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Config configures a simulator. Zero values take the defaults.
type Config struct {
	// PartnerID and PartnerKey are the partner app the simulator accepts.
	PartnerID  int64
	PartnerKey string
	// Clock drives timestamps, token expiry, signature windows, slow faults,
	// push retries and scripted buyers. Defaults to the system clock.
	Clock  bridge.Clock
	Logger *slog.Logger
	// Seed makes tokens, request IDs and scripted buyers deterministic.
	Seed uint64
	// AccessTokenLifetime (default 4h) and RefreshTokenLifetime (default
	// 30 days) are the token lifetimes; tests shorten them.
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
	// AuthCodeLifetime is how long an authorization code is valid (10 min).
	AuthCodeLifetime time.Duration
	// TimestampWindow is how far a request's timestamp may be from the
	// clock (5 min).
	TimestampWindow time.Duration
	// PushCallbackURL receives signed webchat pushes; empty sends none.
	PushCallbackURL string
	// PushTimeout bounds one push delivery (2s, Shopee's).
	PushTimeout time.Duration
	// PushRetryWaits are the waits before the redeliveries of a failed push
	// (1s, 2s, 3s, Shopee's); after them the push is lost.
	PushRetryWaits []time.Duration
	// LostPushRetention is how long lost pushes stay listed (3 days).
	LostPushRetention time.Duration
}

// Defaults.
const (
	DefaultPartnerID  = 2001887
	DefaultPartnerKey = "shopbridge-simulator-partner-key-0123456789abcdef"
)

func (c *Config) setDefaults() {
	c.PartnerID = cmp.Or(c.PartnerID, DefaultPartnerID)
	c.PartnerKey = cmp.Or(c.PartnerKey, DefaultPartnerKey)
	if c.Clock == nil {
		c.Clock = bridge.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Seed = cmp.Or(c.Seed, 1)
	c.AccessTokenLifetime = cmp.Or(c.AccessTokenLifetime, 4*time.Hour)
	c.RefreshTokenLifetime = cmp.Or(c.RefreshTokenLifetime, 30*24*time.Hour)
	c.AuthCodeLifetime = cmp.Or(c.AuthCodeLifetime, 10*time.Minute)
	c.TimestampWindow = cmp.Or(c.TimestampWindow, 5*time.Minute)
	c.PushTimeout = cmp.Or(c.PushTimeout, 2*time.Second)
	if c.PushRetryWaits == nil {
		c.PushRetryWaits = []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	}
	c.LostPushRetention = cmp.Or(c.LostPushRetention, 72*time.Hour)
}

// Simulator is a wire-compatible marketplace. Create it with New; it is
// safe for concurrent use.
type Simulator struct {
	cfg   Config
	clock bridge.Clock
	log   *slog.Logger

	mu        sync.Mutex
	shops     map[string]*shopState
	shopOrder []string
	buyers    map[string]Buyer
	convSeq   int64
	msgSeq    int64
	lastNano  int64

	rngMu sync.Mutex
	rng   *rand.Rand

	faults *faults
	calls  *callCounter
	// dialects by platform; shopee is also kept typed for its extras
	// (push callback, lost pushes).
	dialects map[bridge.Platform]dialect
	shopee   *shopeeDialect

	handler http.Handler

	srvMu     sync.Mutex
	srv       *http.Server
	ln        net.Listener
	addr      string
	refusing  bool
	conns     map[net.Conn]http.ConnState
	started   bool
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// New returns a simulator with no shops. It starts nothing.
func New(cfg Config) *Simulator {
	cfg.setDefaults()
	s := &Simulator{
		cfg:    cfg,
		clock:  cfg.Clock,
		log:    cfg.Logger,
		shops:  map[string]*shopState{},
		buyers: map[string]Buyer{},
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)),
		faults: newFaults(),
		calls:  newCallCounter(),
		conns:  map[net.Conn]http.ConnState{},
		closed: make(chan struct{}),
	}
	s.shopee = newShopeeDialect(s)
	s.dialects = map[bridge.Platform]dialect{bridge.PlatformShopee: s.shopee, bridge.PlatformTikTok: newTikTokDialect(s)}
	mux := http.NewServeMux()
	for _, d := range s.dialects {
		d.routes(mux)
	}
	s.controlRoutes(mux)
	s.addDialect(mux, newLazadaDialect(s))
	s.lazadaControlRoutes(mux)
	s.handler = mux
	return s
}

// PartnerID is the partner ID the simulator accepts.
func (s *Simulator) PartnerID() int64 { return s.cfg.PartnerID }

// PartnerKey is the partner key the simulator signs and verifies with.
func (s *Simulator) PartnerKey() string { return s.cfg.PartnerKey }

// Clock is the simulator's clock.
func (s *Simulator) Clock() bridge.Clock { return s.clock }

// Handler serves the marketplace APIs and the /_sim/ control API. Mounted
// elsewhere (httptest.NewServer(sim.Handler())), every fault works except
// refuse, which then drops connections instead of refusing them; pushes are
// delivered only after Start.
func (s *Simulator) Handler() http.Handler { return s.handler }

// Start listens on addr ("127.0.0.1:0" for any free port), serves until
// Close or until ctx ends, and starts push delivery.
func (s *Simulator) Start(ctx context.Context, addr string) error {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.started {
		return errors.New("simulator: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("simulator: listen on %s: %w", addr, err)
	}
	s.started = true
	s.addr = ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState:         s.trackConn,
	}
	s.serveLocked(ln)
	for _, d := range s.dialects {
		d.startPushes()
	}
	// Not in wg: Close waits for wg and may be called from here.
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.closed:
		}
	}()
	s.log.Info("simulator listening", "url", "http://"+s.addr)
	return nil
}

func (s *Simulator) serveLocked(ln net.Listener) {
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
}

func (s *Simulator) trackConn(c net.Conn, st http.ConnState) {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	switch st {
	case http.StateNew:
		if s.refusing {
			c.Close()
			return
		}
		s.conns[c] = st
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	default:
		if _, ok := s.conns[c]; ok {
			s.conns[c] = st
		}
	}
}

// URL is the base URL of a started simulator ("http://127.0.0.1:port").
func (s *Simulator) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.addr == "" {
		return ""
	}
	return "http://" + s.addr
}

// Close stops serving and delivering pushes, and releases hanging requests.
func (s *Simulator) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srvMu.Lock()
		srv := s.srv
		// A connection a client opened ahead (an HTTP transport dials
		// spare connections under concurrent calls) and never sent a
		// request on would hold Shutdown for 5 s: nothing is lost by
		// closing it.
		for c, st := range s.conns {
			if st == http.StateNew {
				_ = c.Close()
			}
		}
		s.srvMu.Unlock()
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = srv.Shutdown(ctx)
			cancel()
			_ = srv.Close()
		}
	})
	s.wg.Wait()
	for _, d := range s.dialects {
		d.wait()
	}
	return nil
}

// SetFault installs a fault and returns its ID.
func (s *Simulator) SetFault(f Fault) (FaultID, error) {
	if err := f.validate(); err != nil {
		return 0, fmt.Errorf("simulator: %w", err)
	}
	id := s.faults.add(f, s.clock.Now())
	s.log.Info("fault set", "id", int(id), "kind", string(f.Kind), "path", f.Path, "shop_id", f.ShopID, "platform", string(f.Platform))
	if f.Kind == FaultRefuse && f.Platform == "" {
		s.refuse()
		if f.For > 0 {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				select {
				case <-s.clock.After(f.For):
					s.ClearFault(id)
				case <-s.closed:
				}
			}()
		}
	}
	return id, nil
}

// ClearFault removes one fault.
func (s *Simulator) ClearFault(id FaultID) {
	s.faults.remove(id)
	s.reopenIfNoRefuse()
}

// ClearFaults removes every fault (and reopens a refused listener).
func (s *Simulator) ClearFaults() {
	s.faults.remove(0)
	s.reopenIfNoRefuse()
}

// Faults lists the active faults.
func (s *Simulator) Faults() []ActiveFault { return s.faults.list(s.clock.Now()) }

// refuse closes the listener and every open connection.
func (s *Simulator) refuse() {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.refusing || s.ln == nil {
		s.refusing = true
		return
	}
	s.refusing = true
	_ = s.ln.Close()
	s.ln = nil
	for c := range s.conns {
		_ = c.Close()
	}
	clear(s.conns)
}

func (s *Simulator) reopenIfNoRefuse() {
	if s.faults.listenerRefused(s.clock.Now()) {
		return
	}
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if !s.refusing {
		return
	}
	s.refusing = false
	if s.srv == nil || s.addr == "" {
		return
	}
	select {
	case <-s.closed:
		return
	default:
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.log.Error("simulator: cannot listen again after refuse", "addr", s.addr, "err", err)
		return
	}
	s.serveLocked(ln)
}

// randHex returns n random bytes as hex from the seeded generator.
func (s *Simulator) randHex(n int) string {
	const digits = "0123456789abcdef"
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = digits[s.rng.IntN(16)]
	}
	return string(b)
}

// callCounter counts API calls per path.
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func newCallCounter() *callCounter { return &callCounter{n: map[string]int{}} }

func (c *callCounter) add(path string) {
	c.mu.Lock()
	c.n[path]++
	c.mu.Unlock()
}

// Calls returns the number of API calls per path since the last ResetCalls
// (control calls are not counted).
func (s *Simulator) Calls() map[string]int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	out := make(map[string]int, len(s.calls.n))
	for k, v := range s.calls.n {
		out[k] = v
	}
	return out
}

// TotalCalls is the sum of Calls.
func (s *Simulator) TotalCalls() int {
	n := 0
	for _, v := range s.Calls() {
		n += v
	}
	return n
}

// ResetCalls zeroes the call counters.
func (s *Simulator) ResetCalls() {
	s.calls.mu.Lock()
	clear(s.calls.n)
	s.calls.mu.Unlock()
}
