package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/report"
)

// reporterFixture runs a Reporter on a fake clock and a SQLite state.
type reporterFixture struct {
	t     *testing.T
	clock *bridgetest.Clock
	path  string
	state *crashableState
	chat  bridge.Chat
	rc    *reportChat
	rep   *report.Reporter
}

// crashableState stops writing once crashed, like a process that died.
type crashableState struct {
	bridge.State
	crashed atomic.Bool
}

func (s *crashableState) SaveReportDelivery(ctx context.Context, d bridge.ReportDelivery) error {
	if s.crashed.Load() {
		return errors.New("the process died")
	}
	return s.State.SaveReportDelivery(ctx, d)
}

func newReporterFixture(t *testing.T, start time.Time, finder bool, cfg report.Config) *reporterFixture {
	t.Helper()
	f := &reporterFixture{t: t, clock: bridgetest.NewClock(start), path: reportDB(t)}
	f.rc = newReportChat(false)
	f.chat = f.rc
	if finder {
		f.chat = findingChat{f.rc}
	}
	f.start(cfg)
	return f
}

// start opens the state and starts a reporter (again, after a "crash").
func (f *reporterFixture) start(cfg report.Config) {
	f.t.Helper()
	f.state = &crashableState{State: openReportState(f.t, f.path, f.clock)}
	eng := engine.New(engine.Config{}, engine.Deps{State: f.state, Chat: f.chat, Stores: []bridge.Store{storeA}, Clock: f.clock})
	rep, err := newReporter(eng, f.state, f.chat, f.clock, cfg)
	reportMust(f.t, "NewReporter", err)
	f.rep = rep
	reportMust(f.t, "Start", rep.Start(context.Background()))
	f.t.Cleanup(f.stop)
}

func (f *reporterFixture) stop() {
	if f.rep == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.rep.Stop(ctx); err != nil {
		f.t.Errorf("Stop: %v", err)
	}
	f.state.State.Close()
	f.rep = nil
}

// runUntilPosts advances the clock until n reports were posted in all.
func (f *reporterFixture) runUntilPosts(n int) []postedReport {
	f.t.Helper()
	reportAdvanceUntil(f.t, f.clock, func() bool { return len(f.rc.Posts()) >= n })
	return f.rc.Posts()
}

// delivery reads a scheduled report's delivery record.
func (f *reporterFixture) delivery(key string) bridge.ReportDelivery {
	f.t.Helper()
	d, err := f.state.State.ReportDelivery(context.Background(), key)
	reportMust(f.t, "ReportDelivery", err)
	return d
}

func berlin9() report.Config {
	return report.Config{Schedules: []report.Schedule{{Name: "eu", Time: "09:00", Timezone: "Europe/Berlin", Channel: "C-report-eu"}}}
}

func TestScheduleFiresAtLocalTimeAcrossDST(t *testing.T) {
	// Europe/Berlin springs forward on 2026-03-29: 09:00 is 08:00 UTC
	// before, 07:00 UTC after, and that day is 23 hours long.
	f := newReporterFixture(t, time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC), false, berlin9())
	posts := f.runUntilPosts(3)
	want := []struct {
		at, since time.Time
		key       string
		zone      string
	}{
		{time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 27, 8, 0, 0, 0, time.UTC), "eu@2026-03-28", "CET"},
		{time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC), "eu@2026-03-29", "CEST"},
		{time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC), "eu@2026-03-30", "CEST"},
	}
	if len(posts) != len(want) {
		t.Fatalf("%d reports posted, want %d", len(posts), len(want))
	}
	for i, w := range want {
		p := posts[i]
		if !p.At.Equal(w.at) || !p.Report.Until.Equal(w.at) || !p.Report.Since.Equal(w.since) || p.Report.Key != w.key || p.Channel != "C-report-eu" {
			t.Errorf("report %d: posted at %s for [%s, %s) key %q to %q; want at %s for [%s, %s) key %q to C-report-eu",
				i+1, p.At, p.Report.Since, p.Report.Until, p.Report.Key, p.Channel, w.at, w.since, w.at, w.key)
		}
		if !strings.HasSuffix(p.Report.Title, "09:00 "+w.zone) {
			t.Errorf("report %d title %q, want it to end at 09:00 %s", i+1, p.Report.Title, w.zone)
		}
		if d := f.delivery(w.key); d.Status != bridge.DeliveryPosted || d.Attempts != 1 {
			t.Errorf("report %d delivery record = %v, want posted after 1 attempt", i+1, d)
		}
	}
	if got := posts[1].Report.Until.Sub(posts[1].Report.Since); got != 23*time.Hour {
		t.Errorf("the DST day's report covers %s, want 23h (since the previous report)", got)
	}
}

func TestScheduleTimesAroundNewYorkDSTChanges(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		name  string
		clock string
		from  time.Time
		want  []time.Time
	}{
		{"spring forward: 02:30 does not exist on Mar 8, fires after the gap", "02:30",
			time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC),
			[]time.Time{
				time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), // 03:30 EDT
				time.Date(2026, 3, 9, 6, 30, 0, 0, time.UTC), // 02:30 EDT
			}},
		{"fall back: 01:30 happens twice on Nov 1, fires once", "01:30",
			time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC),
			[]time.Time{
				time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), // 01:30 EDT, the first one
				time.Date(2026, 11, 2, 6, 30, 0, 0, time.UTC), // 01:30 EST
			}},
		{"09:00 stays 09:00 local across the fall back", "09:00",
			time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC),
			[]time.Time{
				time.Date(2026, 10, 31, 13, 0, 0, 0, time.UTC), // 09:00 EDT
				time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC),  // 09:00 EST
				time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC),
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := report.Config{Schedules: []report.Schedule{{Name: "us", Time: tc.clock, Timezone: "America/New_York"}}}
			f := newReporterFixture(t, tc.from, false, cfg)
			posts := f.runUntilPosts(len(tc.want))
			for i, w := range tc.want {
				if !posts[i].At.Equal(w) {
					t.Errorf("report %d posted at %s (%s), want %s (%s)", i+1, posts[i].At, posts[i].At.In(ny), w, w.In(ny))
				}
			}
			// Nothing more fires on the same local day.
			f.clock.Set(tc.want[len(tc.want)-1].Add(12 * time.Hour))
			if n := len(f.rc.Posts()); n != len(tc.want) {
				t.Errorf("%d reports posted, want %d", n, len(tc.want))
			}
		})
	}
}

func TestNoDoublePostAfterCrashBetweenPostingAndRecording(t *testing.T) {
	fire := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC) // 09:00 Berlin
	for _, finder := range []bool{true, false} {
		name := map[bool]string{true: "surface can look for the report", false: "surface cannot look"}[finder]
		t.Run(name, func(t *testing.T) {
			f := newReporterFixture(t, fire.Add(-time.Minute), finder, berlin9())
			// The process dies right after the surface accepted the report.
			f.rc.onPost = func(bridge.Report) { f.state.crashed.Store(true) }
			f.runUntilPosts(1)
			f.rc.onPost = nil
			f.stop()

			// Restart a little later, on the same state and surface.
			f.clock.Advance(5 * time.Minute)
			stale := f.clock.Waiters() // timers the stopped reporter left behind
			f.start(berlin9())
			// The restarted reporter resolves the intent, then waits for tomorrow.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			reportMust(t, "BlockUntil", f.clock.BlockUntil(ctx, stale+1))
			if n := len(f.rc.Posts()); n != 1 {
				t.Fatalf("%d reports posted after the restart, want 1", n)
			}
			d := f.delivery("eu@2026-03-10")
			wantStatus := map[bool]bridge.DeliveryStatus{true: bridge.DeliveryPosted, false: bridge.DeliveryUnconfirmed}[finder]
			if d.Status != wantStatus || d.Attempts != 1 {
				t.Errorf("delivery record after the restart = %v, want %s after 1 attempt", d, wantStatus)
			}
			if finder && f.rc.looked != 1 {
				t.Errorf("the surface was asked %d times whether the report is there, want 1", f.rc.looked)
			}
			// The next day's report is posted once, as usual.
			posts := f.runUntilPosts(2)
			if len(posts) != 2 || posts[1].Report.Key != "eu@2026-03-11" {
				t.Fatalf("posts after the next fire = %d (last key %q), want 2 with eu@2026-03-11", len(posts), posts[len(posts)-1].Report.Key)
			}
			wantSince := fire // since the confirmed report
			if !finder {
				wantSince = posts[1].Report.Until.Add(-24 * time.Hour) // the unconfirmed one does not count
			}
			if !posts[1].Report.Since.Equal(wantSince) {
				t.Errorf("next report since %s, want %s", posts[1].Report.Since, wantSince)
			}
		})
	}
}

func TestIntentWithoutPostIsPostedOnceAfterRestart(t *testing.T) {
	// The bridge recorded the intent and died before the surface got the
	// report: a surface that can look finds nothing, and it is posted once.
	fire := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	clock := bridgetest.NewClock(fire.Add(10 * time.Minute))
	path := reportDB(t)
	st := openReportState(t, path, clock)
	intent := bridge.ReportDelivery{Key: "eu@2026-03-10", Schedule: "eu", Status: bridge.DeliveryPosting,
		Since: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC), Attempts: 1}
	reportMust(t, "SaveReportDelivery", st.SaveReportDelivery(context.Background(), intent))
	st.Close()

	f := &reporterFixture{t: t, clock: clock, path: path, rc: newReportChat(false)}
	f.chat = findingChat{f.rc}
	f.start(berlin9())
	posts := f.runUntilPosts(1)
	if len(posts) != 1 || posts[0].Report.Key != "eu@2026-03-10" || !posts[0].Report.Since.Equal(fire.Add(-24*time.Hour)) {
		t.Fatalf("posts = %+v, want the 2026-03-10 report once", posts)
	}
	if d := f.delivery("eu@2026-03-10"); d.Status != bridge.DeliveryPosted || d.Attempts != 2 {
		t.Errorf("delivery record = %v, want posted after 2 attempts", d)
	}
}

func TestFailedPostIsRetriedAndPostedOnce(t *testing.T) {
	fire := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	f := newReporterFixture(t, fire.Add(-time.Minute), true, berlin9())
	f.rc.mu.Lock()
	f.rc.failing = 2
	f.rc.mu.Unlock()
	posts := f.runUntilPosts(1)
	// Backoff 1m, then 2m.
	if want := fire.Add(3 * time.Minute); len(posts) != 1 || !posts[0].At.Equal(want) {
		t.Errorf("posted %d, first at %s, want once at %s", len(posts), posts[0].At, want)
	}
	if d := f.delivery("eu@2026-03-10"); d.Status != bridge.DeliveryPosted || d.Attempts != 3 {
		t.Errorf("delivery record = %v, want posted after 3 attempts", d)
	}
	// The surface was asked before each retry whether the failed post got through.
	if f.rc.looked != 2 {
		t.Errorf("looked %d times, want 2", f.rc.looked)
	}
}

func TestLateReportPostedWithinTheWindowOnly(t *testing.T) {
	fire := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	t.Run("within the window", func(t *testing.T) {
		f := newReporterFixture(t, fire.Add(90*time.Minute), false, berlin9())
		posts := f.runUntilPosts(1)
		if posts[0].Report.Key != "eu@2026-03-10" || !posts[0].At.Equal(fire.Add(90*time.Minute)) {
			t.Errorf("late report %q posted at %s, want eu@2026-03-10 at start", posts[0].Report.Key, posts[0].At)
		}
	})
	t.Run("beyond the window", func(t *testing.T) {
		f := newReporterFixture(t, fire.Add(3*time.Hour), false, berlin9())
		posts := f.runUntilPosts(1)
		if posts[0].Report.Key != "eu@2026-03-11" {
			t.Errorf("first report %q, want the next day's (eu@2026-03-11)", posts[0].Report.Key)
		}
	})
}

func TestReportCommandPostsOnRequest(t *testing.T) {
	d := scriptDay(t)
	ctx := context.Background()
	resp := d.eng.Commands().Run(ctx, bridge.CommandRequest{Surface: "fake", UserID: "U1", Channel: "C-ops", Text: "report"})
	if resp.Error || !strings.HasPrefix(resp.Text, "Posted the inspection report (Mar 9 09:00 → Mar 10 09:00) to the report channel: ❌ 3 stores") {
		t.Errorf("report command answered %q", resp.Text)
	}
	resp = d.eng.Commands().Run(ctx, bridge.CommandRequest{Surface: "fake", UserID: "U1", Channel: "C-ops", Text: "report 7d here"})
	if resp.Error || !strings.Contains(resp.Text, "(Mar 3 09:00 → Mar 10 09:00) to this channel") {
		t.Errorf("report 7d here answered %q", resp.Text)
	}
	posts := d.chat.Posts()
	if len(posts) != 2 || posts[0].Channel != "" || posts[1].Channel != "C-ops" || posts[0].Report.Key != "" {
		t.Fatalf("posts = %d (%+v), want the report channel then C-ops, without a schedule key", len(posts), posts)
	}
	if got := posts[1].Report.Until.Sub(posts[1].Report.Since); got != 7*24*time.Hour {
		t.Errorf("report 7d covers %s", got)
	}
	resp = d.eng.Commands().Run(ctx, bridge.CommandRequest{Surface: "fake", Text: "report yesterday"})
	if !resp.Error || !strings.Contains(resp.Text, `"yesterday" is not a period like 24h or 7d`) {
		t.Errorf("report yesterday answered %q", resp.Text)
	}
}

func TestReportCommandWithoutReportSurfaceAnswersWithText(t *testing.T) {
	clock := bridgetest.NewClock(dayEnd)
	st := openReportState(t, reportDB(t), clock)
	chat := bridgetest.NewChat()
	eng := engine.New(engine.Config{}, engine.Deps{State: st, Chat: chat, Stores: []bridge.Store{storeA}, Clock: clock})
	if _, err := newReporter(eng, st, chat, clock, report.Config{}); err != nil {
		t.Fatal(err)
	}
	resp := eng.Commands().Run(context.Background(), bridge.CommandRequest{Text: "report"})
	if resp.Error || !strings.HasPrefix(resp.Text, "Daily inspection · Mar 9 08:00 → Mar 10 08:00 UTC\n") || !strings.Contains(resp.Text, "— Missed replies —") {
		t.Errorf("report on a surface without reports answered %q", resp.Text)
	}
}

func TestReportConfigValidation(t *testing.T) {
	cfg := report.Config{
		Timezone: "Mars/Olympus",
		SLA:      -time.Minute,
		Schedules: []report.Schedule{
			{Name: "a", Time: "9am", Timezone: "Europe/Berlin"},
			{Name: "a", Time: "25:00", Timezone: "Nowhere/City"},
		},
		Thresholds: bridge.ReportThresholds{FailureRateCritical: 2},
	}
	cfg.SetDefaults()
	got := strings.Join(cfg.Validate(), "\n")
	for _, want := range []string{
		`report.timezone: "Mars/Olympus" is not an IANA time zone`,
		`report.schedules[0].time: "9am" is not a time of day like 09:00 (24-hour HH:MM)`,
		`report.schedules[1].time: "25:00" is not a time of day`,
		`report.schedules[1].timezone: "Nowhere/City" is not an IANA time zone`,
		`report.schedules[1].name: "a" is used by report.schedules[0] too`,
		`report.sla: must not be negative, got -1m0s`,
		`report.thresholds.failure_rate_critical: 2 is not a share between 0 and 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	def := report.DefaultConfig()
	if p := def.Validate(); len(p) != 0 {
		t.Errorf("defaults are invalid: %v", p)
	}
	if def.SLA != 15*time.Minute || def.Thresholds.TokenWarn != 7*24*time.Hour || def.Thresholds.SlowSync != 10*time.Second || def.Thresholds.ResponseWarn != 15*time.Minute {
		t.Errorf("defaults = %+v", def)
	}
}

// With two replicas, only the holder of the report lease posts; a report
// due while the lease changes hands is posted once, by the new holder.
func TestOnlyTheReportLeaseHolderPosts(t *testing.T) {
	fire := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	clock := bridgetest.NewClock(fire.Add(-time.Minute))
	st := openReportState(t, reportDB(t), clock)
	rc := newReportChat(false)
	var owner atomic.Int32 // which replica holds the lease; 0: none
	owner.Store(2)
	for i := int32(1); i <= 2; i++ {
		eng := engine.New(engine.Config{}, engine.Deps{State: st, Chat: rc, Stores: []bridge.Store{storeA}, Clock: clock})
		rep, err := report.New(berlin9(), report.Deps{State: st, Chat: rc, Stores: eng.Stores, Clock: clock,
			Owns: func() bool { return owner.Load() == i }})
		reportMust(t, "New", err)
		reportMust(t, "Start", rep.Start(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = rep.Stop(ctx)
		})
	}
	// The clock moves from timer to timer, each time once both schedulers
	// wait on it again: the lease changes hands between their turns.
	until := func(cond func() bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for {
			reportMust(t, "both schedulers parked", clock.BlockUntil(ctx, 2))
			if cond() {
				return
			}
			d, _ := clock.NextTimer()
			clock.Advance(d)
		}
	}
	until(func() bool { return len(rc.Posts()) >= 1 })
	// The next day the lease is between holders when the report is due,
	// then replica 1 takes it.
	owner.Store(0)
	next := fire.Add(24 * time.Hour)
	until(func() bool { return !clock.Now().Before(next.Add(2 * time.Minute)) })
	if n := len(rc.Posts()); n != 1 {
		t.Fatalf("%d reports posted while no replica held the lease, want still 1", n)
	}
	owner.Store(1)
	until(func() bool { return len(rc.Posts()) >= 2 })
	until(func() bool { return !clock.Now().Before(next.Add(3 * time.Hour)) })
	posts := rc.Posts()
	if len(posts) != 2 || posts[0].Report.Key != "eu@2026-03-10" || posts[1].Report.Key != "eu@2026-03-11" || !posts[1].At.After(next) {
		t.Fatalf("posts %+v, want the 10th and, after the handover, the 11th once each", posts)
	}
}
