package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Server is the bridge's one HTTP listener. Adapters register their routes
// on it (marketplace pushes, Slack HTTP mode, the Telegram webhook,
// authorization callbacks); it serves /healthz itself.
type Server struct {
	cfg  HTTPConfig
	log  *slog.Logger
	mux  *http.ServeMux
	srv  *http.Server
	addr string

	mu     sync.Mutex
	health func() (bool, string)
	ready  func() (bool, string)
}

var _ bridge.Routes = (*Server)(nil)

// NewServer builds the listener; it does not listen until Start. Its
// timeouts are always set (defaults for the unset ones): without a read
// timeout a client that stalls mid-body would hold a handler forever.
func NewServer(cfg HTTPConfig, log *slog.Logger) *Server {
	cfg.SetDefaults()
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.srv = &http.Server{
		Handler:           http.MaxBytesHandler(s.mux, cfg.MaxBodyBytes),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// Handle registers a route.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// SetHealth installs the readiness check behind /healthz.
func (s *Server) SetHealth(f func() (bool, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health = f
}

// SetReady installs the readiness check behind /readyz: whether this
// replica does its share of the work (see engine.Engine.Ready).
func (s *Server) SetReady(f func() (bool, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready = f
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.ready
	s.mu.Unlock()
	s.answer(w, f)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.health
	s.mu.Unlock()
	s.answer(w, f)
}

// answer writes a check's verdict: 200 with its text, or 503.
func (s *Server) answer(w http.ResponseWriter, f func() (bool, string)) {
	ok, text := true, "ok"
	if f != nil {
		ok, text = f()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, text)
}

// Start listens and serves in the background.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("http.listen: %s is in use by another process (another shopbridge?): choose another address or stop it: %w", s.cfg.Listen, err)
	}
	if err != nil {
		return fmt.Errorf("http.listen: cannot listen on %s: %w", s.cfg.Listen, err)
	}
	s.addr = ln.Addr().String()
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http listener stopped", "err", err)
		}
	}()
	s.log.Info("http listener started", "addr", s.addr)
	return nil
}

// Addr is the address it listens on, once started.
func (s *Server) Addr() string { return s.addr }

// serverDrain bounds how long Stop waits for the requests being answered.
const serverDrain = 2 * time.Second

// Stop shuts the listener down gracefully: it stops accepting, lets the
// requests being answered finish for up to serverDrain (or until ctx
// ends), then closes whatever is left, so a client that stalls in the
// middle of a request cannot hold the stop (nor use up the time the state
// database needs to close after it).
func (s *Server) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, serverDrain)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.log.Warn("http listener: closing connections still busy at stop", "err", err)
		return s.srv.Close()
	}
	return nil
}
