package console

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// Channel is the channel of every console thread and message reference.
const Channel = "console"

// Deps are what the surface needs from the application.
type Deps struct {
	// Out receives the printed lines (nil: discarded).
	Out io.Writer
	// In is read line by line for replies and commands (nil: no input).
	In io.Reader
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Clock stamps typed replies (default: the system clock).
	Clock bridge.Clock
	// Meta is optional (see MetaStore).
	Meta MetaStore
	// Replies is optional (see ReplyStore); bridge.State fits.
	Replies ReplyStore
}

// Surface is the console chat surface. It implements bridge.Chat and the
// optional bridge.MessageUpdater, bridge.ReportPoster and
// bridge.InspectionPoster; every method is safe for concurrent use.
type Surface struct {
	cfg   Config
	log   *slog.Logger
	clock bridge.Clock
	in    io.Reader
	out   *printer
	paint painter

	threadIDs *counter
	msgIDs    *counter
	alertIDs  *counter

	mu       sync.Mutex
	threads  map[string]*thread
	order    []*thread
	posted   map[bridge.MessageID]int
	statuses map[bridge.ChatMessageRef]bridge.Reply
	pending  map[bridge.ChatMessageRef]*pendingReply
	replies  ReplyStore
	alerts   []*alertRecord
	alertBy  map[string]*alertRecord
	reports  []ReportInfo
	handler  bridge.ChatHandler
	ready    chan struct{}
	changed  chan struct{}

	readerOnce sync.Once
	lines      chan string
	// commands are the bridge commands typed and still running; Listen
	// waits for them before it returns.
	commands sync.WaitGroup
}

var (
	_ bridge.Chat             = (*Surface)(nil)
	_ bridge.MessageUpdater   = (*Surface)(nil)
	_ bridge.ReportPoster     = (*Surface)(nil)
	_ bridge.InspectionPoster = (*Surface)(nil)
)

// New builds the surface. Nothing runs until the engine calls Listen.
func New(cfg Config, deps Deps) (*Surface, error) {
	cfg.SetDefaults()
	if probs := cfg.Validate(); len(probs) > 0 {
		return nil, errors.New(strings.Join(probs, "\n"))
	}
	if deps.Out == nil {
		deps.Out = io.Discard
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = bridge.SystemClock{}
	}
	s := &Surface{
		cfg:       cfg,
		log:       deps.Logger,
		clock:     deps.Clock,
		in:        deps.In,
		out:       &printer{w: deps.Out, log: deps.Logger},
		paint:     painter{color: cfg.Color},
		threadIDs: newCounter("T", metaThreads, 1, deps.Meta, deps.Logger),
		msgIDs:    newCounter("C", metaMessages, 256, deps.Meta, deps.Logger),
		alertIDs:  newCounter("A", metaAlerts, 16, deps.Meta, deps.Logger),
		threads:   map[string]*thread{},
		posted:    map[bridge.MessageID]int{},
		statuses:  map[bridge.ChatMessageRef]bridge.Reply{},
		pending:   map[bridge.ChatMessageRef]*pendingReply{},
		replies:   deps.Replies,
		alertBy:   map[string]*alertRecord{},
		ready:     make(chan struct{}),
		changed:   make(chan struct{}),
		lines:     make(chan string),
	}
	return s, nil
}

// Name is "console".
func (s *Surface) Name() string { return Channel }

// notifyLocked wakes whoever waits on Changed.
func (s *Surface) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed is closed at the next change of what the surface recorded
// (threads, posts, statuses, alerts), for tests and the demo to wait on.
func (s *Surface) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// printer writes whole lines to Out, one event per Write under a mutex, so
// concurrent events never interleave within a line. A failing Out (a closed
// terminal) is logged once and otherwise ignored: the bridge must not retry
// posts, and so duplicate them, because nobody is watching.
type printer struct {
	mu     sync.Mutex
	w      io.Writer
	log    *slog.Logger
	failed bool
}

func (p *printer) print(text string) {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, text); err != nil && !p.failed {
		p.failed = true
		p.log.Warn("console: cannot write to the output; events are still recorded", "err", err)
	}
}
