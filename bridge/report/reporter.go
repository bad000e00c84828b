package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/internal/reportfmt"
)

// ErrNoSurface is returned when the chat surface can post no report.
var ErrNoSurface = errors.New("the chat surface cannot post reports")

// Post posts a report through the surface's richest capability:
// bridge.InspectionPoster, else ReportPoster with the plain text (which has no
// channel choice), else ErrNoSurface.
func Post(ctx context.Context, chat bridge.Chat, channel string, r bridge.Report) (bridge.ChatMessageRef, error) {
	if p, ok := chat.(bridge.InspectionPoster); ok {
		return p.PostInspection(ctx, channel, r)
	}
	if p, ok := chat.(bridge.ReportPoster); ok {
		body := strings.TrimPrefix(r.Text(nil), r.Title+"\n")
		return p.PostReport(ctx, r.Title, body)
	}
	return bridge.ChatMessageRef{}, ErrNoSurface
}

// Reporter computes the daily inspection report, posts it on its schedules
// and on request (the `report` command).
//
// A scheduled report is posted at most once: before posting, the reporter
// records its intent under the report's key (schedule and local date) in
// ReportDeliveries; after posting, the posted message. A post that failed is
// retried with backoff. If the bridge stopped between posting and
// recording, the intent is found at the next start: a surface that can
// look (bridge.InspectionFinder) is asked whether the report is there, and it is
// posted only if it is not; on a surface that cannot look, it is not posted
// again (marked unconfirmed and logged) — a report is never posted twice.
type Reporter struct {
	state        ReporterState
	chat         bridge.Chat
	stores       func() []bridge.Store
	clock        bridge.Clock
	cfg          Config
	schedules    []schedule
	configTokens map[bridge.StoreID]bool
	log          *slog.Logger
	owns         func() bool

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	running bool
}

// Option configures a Reporter.
type Option func(*Reporter)

// WithConfigTokens names stores whose tokens come from the configuration
// file: until the bridge saves refreshed ones, the report says so instead
// of "no saved tokens".
func WithConfigTokens(ids ...bridge.StoreID) Option {
	return func(r *Reporter) {
		for _, id := range ids {
			r.configTokens[id] = true
		}
	}
}

// ReporterState is what the reporter reads and keeps: the state a report
// is computed from, and the records of its scheduled reports.
type ReporterState interface {
	State
	bridge.ReportDeliveries
}

// Deps are what the reporter runs on.
type Deps struct {
	State ReporterState
	// Chat is the surface reports are posted through (InspectionPoster,
	// else ReportPoster; InspectionFinder after a crash).
	Chat bridge.Chat
	// Stores returns the current store list (the engine's: it may change).
	Stores func() []bridge.Store
	Clock  bridge.Clock
	Logger *slog.Logger
	// Owns, with several replicas, says whether this replica posts the
	// reports (it holds lease.Report); nil: it does. The others keep their
	// schedules and try again, so a report due while the lease changes
	// hands is posted by the new holder.
	Owns func() bool
}

// New builds the reporter; its `report` command joins the engine's
// when it is registered (Engine.Register). Nothing runs until Start.
func New(cfg Config, d Deps, opts ...Option) (*Reporter, error) {
	cfg.SetDefaults()
	if p := cfg.Validate(); len(p) > 0 {
		return nil, fmt.Errorf("report configuration: %s", strings.Join(p, "; "))
	}
	if d.Clock == nil {
		d.Clock = bridge.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Stores == nil {
		d.Stores = func() []bridge.Store { return nil }
	}
	r := &Reporter{
		state: d.State, chat: d.Chat, stores: d.Stores, clock: d.Clock,
		cfg: cfg, configTokens: map[bridge.StoreID]bool{}, log: d.Logger.With("component", "report"), owns: d.Owns,
	}
	for _, s := range cfg.Schedules {
		rs, err := newSchedule(s)
		if err != nil {
			return nil, err
		}
		r.schedules = append(r.schedules, rs)
	}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Commands is `report`.
func (r *Reporter) Commands() []bridge.Command {
	return []bridge.Command{{
		Name: "report", Args: "[24h|7d] [here]",
		Help: "post the daily inspection report now, for the past 24 h or the given period (here: in this channel)",
		Run:  r.command,
	}}
}

// Config returns the effective configuration.
func (r *Reporter) Config() Config { return r.cfg }

// Start runs one scheduler per schedule until Stop.
func (r *Reporter) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		return nil
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel, r.done, r.running = cancel, make(chan struct{}), true
	var wg sync.WaitGroup
	for _, s := range r.schedules {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run(runCtx, s)
		}()
	}
	go func() { wg.Wait(); close(r.done) }()
	if len(r.schedules) > 0 {
		r.log.Info("report schedules started", "schedules", len(r.schedules))
	}
	return nil
}

// Stop stops the schedulers and waits for them (a post in flight is
// cancelled; its intent is resolved at the next start).
func (r *Reporter) Stop(ctx context.Context) error {
	r.mu.Lock()
	if !r.running {
		r.mu.Unlock()
		return nil
	}
	r.running = false
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("report: stop: %w", ctx.Err())
	}
}

// Build computes the report of [since, until) for the given stores (all
// the engine's when nil), rendered in the time zone tz ("" for the
// configured one).
func (r *Reporter) Build(ctx context.Context, since, until time.Time, stores []bridge.Store, tz string) (bridge.Report, error) {
	if stores == nil {
		stores = r.stores()
	}
	cfg := r.cfg
	if tz != "" {
		cfg.Timezone = tz
	}
	return Build(ctx, Source{
		State: r.state, Stores: stores, Now: r.clock.Now(), ConfigTokens: r.configTokens,
	}, cfg, since, until)
}

// run is one schedule's loop.
func (r *Reporter) run(ctx context.Context, s schedule) {
	clock := r.clock
	last := s.prev(clock.Now())
	// The latest report due before this start: posted late within the
	// window, or resolved if a crash cut its posting short.
	r.deliverWithRetry(ctx, s, last, true)
	for {
		next := s.next(last)
		for now := clock.Now(); now.Before(next); now = clock.Now() {
			// Wake at least hourly, so a wall clock that jumped is noticed.
			if !r.wait(ctx, min(next.Sub(now), time.Hour)) {
				return
			}
		}
		// After a jump past several fire times only the latest is due.
		fire := s.prev(clock.Now())
		r.deliverWithRetry(ctx, s, fire, false)
		last = fire
	}
}

// wait waits for d on the reporter's clock, or until ctx ends; it reports
// whether d passed.
func (r *Reporter) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-r.clock.After(d):
		return true
	}
}

// deliverWithRetry delivers a scheduled report, retrying a failed post with
// backoff until it is posted, the attempts run out, or the schedule's next
// report is due (it then covers this period too).
func (r *Reporter) deliverWithRetry(ctx context.Context, s schedule, fire time.Time, late bool) {
	backoff := r.cfg.RetryBackoff
	nextFire := s.next(fire)
	for attempt := 1; ; attempt++ {
		if !r.deliver(ctx, s, fire, late) || ctx.Err() != nil {
			return
		}
		if attempt >= r.cfg.RetryAttempts {
			if !r.owner() {
				return
			}
			r.log.Error("giving up posting the report; the next one covers its period", "schedule", s.Name, "key", s.key(fire), "attempts", attempt)
			return
		}
		if !r.clock.Now().Add(backoff).Before(nextFire) {
			return
		}
		if !r.wait(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, 30*time.Minute)
	}
}

func (r *Reporter) loadDelivery(ctx context.Context, key string) (bridge.ReportDelivery, bool, error) {
	d, err := r.state.ReportDelivery(ctx, key)
	if errors.Is(err, bridge.ErrNotFound) {
		return bridge.ReportDelivery{Key: key}, false, nil
	}
	if err != nil {
		return bridge.ReportDelivery{}, false, err
	}
	return d, true, nil
}

func (r *Reporter) saveDelivery(ctx context.Context, d bridge.ReportDelivery) error {
	d.UpdatedAt = r.clock.Now().UTC()
	return r.state.SaveReportDelivery(context.WithoutCancel(ctx), d)
}

// deliver posts the report of one fire time unless it was posted, and
// reports whether a retry is due. late marks a report due before this
// start: it is posted only within the late window.
func (r *Reporter) deliver(ctx context.Context, s schedule, fire time.Time, late bool) (retry bool) {
	if !r.owner() {
		return true // the holder posts it; this replica looks again later
	}
	key := s.key(fire)
	log := r.log.With("schedule", s.Name, "key", key)
	d, found, err := r.loadDelivery(ctx, key)
	if err != nil {
		log.Error("could not read the report's delivery record", "err", err)
		return true
	}
	switch d.Status {
	case bridge.DeliveryPosted, bridge.DeliveryUnconfirmed:
		return false
	case bridge.DeliveryPosting, bridge.DeliveryFailed:
		// An attempt was made and its outcome was not recorded (a crash) or
		// it failed (the post may still have reached the surface).
		if finder, ok := r.chat.(bridge.InspectionFinder); ok {
			ref, there, ferr := finder.FindInspection(ctx, s.Channel, key, d.Until.Add(-time.Hour))
			switch {
			case ferr != nil && d.Status == bridge.DeliveryPosting:
				log.Warn("could not check whether the report was posted before the restart; will look again", "err", ferr)
				return true
			case ferr == nil && there:
				d.Status, d.Ref, d.Error = bridge.DeliveryPosted, ref, ""
				if err := r.saveDelivery(ctx, d); err != nil {
					log.Error("could not record the report as posted", "err", err)
				}
				log.Info("the report was already posted; not posting it again", "message", ref.ID)
				return false
			}
		} else if d.Status == bridge.DeliveryPosting {
			d.Status = bridge.DeliveryUnconfirmed
			if err := r.saveDelivery(ctx, d); err != nil {
				log.Error("could not record the report as unconfirmed", "err", err)
			}
			log.Warn("the bridge stopped while posting this report and the surface cannot tell whether it arrived; " +
				"not posting it again (run `report` to post one now)")
			return false
		}
	}
	now := r.clock.Now()
	if late && now.Sub(fire) > r.cfg.LateWindow {
		return false
	}
	if !found {
		d.Schedule, d.Until = s.Name, fire
		d.Since = r.periodStart(ctx, s, fire)
	}
	// The intent, before anything is posted.
	d.Status, d.Attempts, d.Error = bridge.DeliveryPosting, d.Attempts+1, ""
	if err := r.saveDelivery(ctx, d); err != nil {
		log.Error("could not record the report's intent; not posting", "err", err)
		return true
	}
	var stores []bridge.Store
	for _, st := range r.stores() {
		if s.covers(st) {
			stores = append(stores, st)
		}
	}
	rep, err := r.Build(ctx, d.Since, d.Until, stores, s.Timezone)
	if err == nil {
		rep.Key = key
		var ref bridge.ChatMessageRef
		ref, err = Post(ctx, r.chat, s.Channel, rep)
		if !ref.IsZero() {
			if err != nil {
				log.Warn("report summary posted, but not all of its details", "err", err)
			}
			d.Status, d.Ref, d.Error = bridge.DeliveryPosted, ref, ""
			if err := r.saveDelivery(ctx, d); err != nil {
				// Never retried: the report is out.
				log.Error("could not record the report as posted", "err", err)
			}
			log.Info("report posted", "message", ref.ID, "since", d.Since, "until", d.Until)
			return false
		}
	}
	d.Status, d.Error = bridge.DeliveryFailed, bridge.ReasonOf(err)
	if serr := r.saveDelivery(ctx, d); serr != nil {
		log.Error("could not record the report's failure", "err", serr)
	}
	log.Warn("could not post the report; will retry", "attempt", d.Attempts, "err", err)
	return true
}

// periodStart is where a scheduled report's period begins: at the end of
// the schedule's previous report, within MaxPeriod; else Period before.
func (r *Reporter) periodStart(ctx context.Context, s schedule, until time.Time) time.Time {
	since := until.Add(-r.cfg.Period)
	last, err := r.state.LastReportPosted(ctx, s.Name)
	if err != nil {
		r.log.Warn("could not read the end of the schedule's previous report", "schedule", s.Name, "err", err)
		return since
	}
	if last.IsZero() || !last.Before(until) || until.Sub(last) > r.cfg.MaxPeriod {
		return since
	}
	return last
}

// command is `report [period] [here]`.
func (r *Reporter) command(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
	period, here := r.cfg.Period, false
	for _, a := range args {
		if strings.EqualFold(a, "here") {
			here = true
			continue
		}
		d, err := ParsePeriod(a)
		if err != nil {
			return bridge.CommandResponse{Text: "Usage: report [24h|7d] [here] — " + err.Error(), Error: true}
		}
		period = d
	}
	now := r.clock.Now()
	rep, err := r.Build(ctx, now.Add(-period), now, nil, "")
	if err != nil {
		r.log.Error("could not compute the report", "err", err)
		return bridge.CommandResponse{Text: "Could not compute the report; the error is logged.", Error: true}
	}
	channel := ""
	if here {
		channel = req.Channel
	}
	ref, err := Post(ctx, r.chat, channel, rep)
	switch {
	case errors.Is(err, ErrNoSurface):
		return bridge.CommandResponse{Text: rep.Text(nil)}
	case ref.IsZero() && err != nil:
		r.log.Warn("could not post the report on request", "err", err)
		return bridge.CommandResponse{Text: "Could not post the report: " + bridge.ReasonOf(err), Error: true}
	case err != nil:
		r.log.Warn("report summary posted, but not all of its details", "err", err)
	}
	where := "the report channel"
	if here {
		where = "this channel"
	}
	return bridge.CommandResponse{Text: fmt.Sprintf("Posted the inspection report (%s) to %s: %s.", periodText(rep), where, rep.Headline())}
}

func periodText(r bridge.Report) string {
	return reportfmt.Time(r.Since, r.Location, r.Until) + " → " + reportfmt.Time(r.Until, r.Location, r.Until)
}

// ParsePeriod parses a report period: a Go duration ("24h", "90m")
// or a number of days ("7d"), at most 90 days.
func ParsePeriod(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(strings.ToLower(s), "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a period like 24h or 7d", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a period like 24h or 7d", s)
		}
	}
	if d <= 0 || d > 90*24*time.Hour {
		return 0, fmt.Errorf("%q must be between 1m and 90d", s)
	}
	return d, nil
}

// owner reports whether this replica posts the reports.
func (r *Reporter) owner() bool { return r.owns == nil || r.owns() }
