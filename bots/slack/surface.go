// Package slack is shopbridge's Slack chat surface: one thread per buyer
// conversation, agents' thread replies relayed back with status reactions,
// connectivity alerts edited in place, Retry buttons and the /shopbridge
// slash command. It speaks Slack through github.com/slack-go/slack, over
// Socket Mode by default or signed HTTP requests behind a load balancer.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// Name is the surface's name in commands, incidents and logs.
const Name = "slack"

// Deps are what the surface needs from the application.
type Deps struct {
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Clock times pacing, retries, the watchdog and signature windows; nil is the system clock.
	Clock bridge.Clock
	// Routes is the bridge's HTTP listener; HTTP mode registers its three
	// endpoints on it. Required in HTTP mode.
	Routes bridge.Routes
	// HTTPClient makes Web API calls; nil builds one with Config.RequestTimeout.
	HTTPClient *http.Client
	// Refusals counts HTTP-mode requests refused (bad signatures, stale
	// timestamps, unreadable bodies) and bounds their log lines; nil builds
	// one logging to Logger (the application shares one across endpoints).
	Refusals *bridge.Refusals
}

// Surface is the Slack chat surface. It implements bridge.Chat and the
// optional bridge.BatchPoster, bridge.PostedChecker, bridge.Router,
// bridge.MessageUpdater, bridge.ReportPoster, bridge.InspectionPoster and
// bridge.InspectionFinder.
type Surface struct {
	cfg    Config
	log    *slog.Logger
	clock  bridge.Clock
	http   *http.Client
	api    *slack.Client
	pacer  *pacer
	health *health
	// refusals counts refused HTTP-mode requests.
	refusals *bridge.Refusals
	// life ends when AbortCalls is called; every Web API call ends with it.
	life  context.Context
	abort context.CancelCauseFunc

	// listen is set while Listen runs: the handler and its context.
	listen atomic.Pointer[listener]
	// identity is the bot's own user and bot ID (from auth.test).
	identity atomic.Pointer[identity]

	inbound chan inboundEvent
	events  *dedup
	msgs    *dedup

	threads *threadBook
	replies *replyBook
	posts   *postBook
	admins  *adminBook
	names   *nameBook
	// renamed remembers configured channels Slack answered for under
	// another ID, so the warning is logged once.
	renamed *boundedMap[string, bool]

	// async tracks goroutines started for acknowledged work, so Listen
	// returns only when they are done.
	async tracker
	// activity is the clock's UnixNano of the last byte read from the socket.
	activity atomic.Int64
}

type listener struct {
	ctx context.Context
	h   bridge.ChatHandler
}

type identity struct {
	UserID string
	BotID  string
	TeamID string
	URL    string
}

var (
	_ bridge.Chat             = (*Surface)(nil)
	_ bridge.BatchPoster      = (*Surface)(nil)
	_ bridge.PostedChecker    = (*Surface)(nil)
	_ bridge.Router           = (*Surface)(nil)
	_ bridge.MessageUpdater   = (*Surface)(nil)
	_ bridge.ReportPoster     = (*Surface)(nil)
	_ bridge.InspectionPoster = (*Surface)(nil)
	_ bridge.InspectionFinder = (*Surface)(nil)
)

// New builds the surface from a config (defaults applied, then validated).
// It starts nothing: the engine calls Listen. In HTTP mode it registers
// /slack/events, /slack/commands and /slack/interactivity on deps.Routes;
// they answer 503 until Listen runs.
func New(cfg Config, deps Deps) (*Surface, error) {
	cfg.SetDefaults()
	if problems := cfg.Validate(); len(problems) > 0 {
		return nil, fmt.Errorf("slack config: %s", strings.Join(problems, "; "))
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = bridge.SystemClock{}
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: cfg.RequestTimeout}
	}
	if cfg.Mode == ModeHTTP && deps.Routes == nil {
		return nil, errors.New("slack: http mode needs the bridge's HTTP routes")
	}
	log := deps.Logger.With("surface", Name)
	if deps.Refusals == nil {
		deps.Refusals = bridge.NewRefusals(log, deps.Clock, 0)
	}
	s := &Surface{
		cfg:      cfg,
		log:      log,
		clock:    deps.Clock,
		http:     deps.HTTPClient,
		pacer:    newPacer(deps.Clock),
		refusals: deps.Refusals,
		inbound:  make(chan inboundEvent, inboundQueue),
		events:   newDedup(deps.Clock, cfg.DedupWindow, dedupMax),
		msgs:     newDedup(deps.Clock, cfg.DedupWindow, dedupMax),
		threads:  newThreadBook(),
		replies:  newReplyBook(),
		posts:    newPostBook(),
		admins:   newAdminBook(cfg),
		names:    newNameBook(),
		renamed:  newBoundedMap[string, bool](1000),
	}
	s.health = newHealth(s)
	s.life, s.abort = context.WithCancelCause(context.Background())
	s.api = slack.New(cfg.BotToken,
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionHTTPClient(deps.HTTPClient),
		slack.OptionLog(libLogger{log}),
	)
	if cfg.Mode == ModeHTTP {
		s.registerRoutes(deps.Routes)
	}
	return s, nil
}

// Name returns "slack".
func (s *Surface) Name() string { return Name }

// Config returns the effective configuration (defaults applied). Callers
// must not log it: it holds the tokens.
func (s *Surface) Config() Config { return s.cfg }

// handler returns the running Listen's handler and context, if any.
func (s *Surface) handler() (bridge.ChatHandler, context.Context, bool) {
	l := s.listen.Load()
	if l == nil {
		return nil, nil, false
	}
	return l.h, l.ctx, true
}

// goAsync runs f in a goroutine that Listen waits for. After Listen has
// returned, f is not run.
func (s *Surface) goAsync(f func()) { s.async.Go(f) }

// tracker is a WaitGroup that can be closed, so no goroutine starts while
// (or after) it is waited for.
type tracker struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// Go runs f unless the tracker is closed.
func (t *tracker) Go(f func()) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return false
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

// closeAndWait refuses new goroutines and waits for the running ones.
func (t *tracker) closeAndWait() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
}

// open accepts goroutines again (a new Listen).
func (t *tracker) open() {
	t.mu.Lock()
	t.closed = false
	t.mu.Unlock()
}

// libLogger routes slack-go's own log lines to slog at debug level.
type libLogger struct{ log *slog.Logger }

func (l libLogger) Output(_ int, msg string) error {
	l.log.Debug(strings.TrimSpace(msg), "source", "slack-go")
	return nil
}
