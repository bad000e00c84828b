package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Config configures the daily inspection report: when and where it is
// posted, the reply SLA, and the thresholds behind each checklist verdict.
type Config struct {
	// Schedules post the report at a local time; several are allowed (for
	// example one per region channel). None means on request only.
	Schedules []Schedule `yaml:"schedules"`
	// Timezone renders reports made on request (the command and the CLI);
	// default the first schedule's, else UTC.
	Timezone string `yaml:"timezone"`
	// SLA is how long a buyer may wait for an answer before the conversation
	// counts as a missed reply (default 15m).
	SLA time.Duration `yaml:"sla"`
	// Period is what a report covers when there is no previous report of its
	// schedule (default 24h); otherwise it covers since the previous one, at
	// most MaxPeriod (default 7 days).
	Period    time.Duration `yaml:"period"`
	MaxPeriod time.Duration `yaml:"max_period"`
	// LateWindow: a scheduled report that could not be posted at its time
	// (the bridge was down) is still posted when the bridge is back within
	// this window (default 2h); later, the next report covers its period.
	LateWindow time.Duration `yaml:"late_window"`
	// RetryBackoff is the first wait before a failed post is retried,
	// doubling up to 30 minutes, at most RetryAttempts times (defaults 1m, 8).
	RetryBackoff  time.Duration `yaml:"retry_backoff"`
	RetryAttempts int           `yaml:"retry_attempts"`
	// MaxListed bounds the missed replies listed by name (default 20).
	MaxListed  int                     `yaml:"max_listed"`
	Thresholds bridge.ReportThresholds `yaml:"thresholds"`
}

// Schedule is one scheduled report.
type Schedule struct {
	// Name identifies the schedule in state (default "HH:MM Zone").
	Name string `yaml:"name"`
	// Time is the local time of day, "HH:MM" (24-hour).
	Time string `yaml:"time"`
	// Timezone is an IANA time zone such as "Asia/Kuala_Lumpur" (default UTC).
	Timezone string `yaml:"timezone"`
	// Channel overrides the surface's report channel.
	Channel string `yaml:"channel"`
	// Stores and Sites restrict the report to some stores (by ID, by site
	// code); both empty means every store.
	Stores []string `yaml:"stores"`
	Sites  []string `yaml:"sites"`
}

// SetDefaults fills what the configuration leaves out.
func (c *Config) SetDefaults() {
	if c.SLA == 0 {
		c.SLA = 15 * time.Minute
	}
	if c.Period == 0 {
		c.Period = 24 * time.Hour
	}
	if c.MaxPeriod == 0 {
		c.MaxPeriod = 7 * 24 * time.Hour
	}
	if c.LateWindow == 0 {
		c.LateWindow = 2 * time.Hour
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = time.Minute
	}
	if c.RetryAttempts == 0 {
		c.RetryAttempts = 8
	}
	if c.MaxListed == 0 {
		c.MaxListed = 20
	}
	if c.Timezone == "" && len(c.Schedules) > 0 {
		c.Timezone = c.Schedules[0].Timezone
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	for i := range c.Schedules {
		s := &c.Schedules[i]
		if s.Timezone == "" {
			s.Timezone = "UTC"
		}
		if s.Name == "" {
			s.Name = strings.TrimSpace(s.Time + " " + s.Timezone)
		}
	}
	t := &c.Thresholds
	if t.BacklogWarn == 0 {
		t.BacklogWarn = 10 * time.Minute
	}
	if t.DowntimeCritical == 0 {
		t.DowntimeCritical = 30 * time.Minute
	}
	if t.SlowSync == 0 {
		t.SlowSync = 10 * time.Second
	}
	if t.SlowSyncsCritical == 0 {
		t.SlowSyncsCritical = 10
	}
	if t.StaleSync == 0 {
		t.StaleSync = 15 * time.Minute
	}
	if t.TokenWarn == 0 {
		t.TokenWarn = 7 * 24 * time.Hour
	}
	if t.SendLatencyWarn == 0 {
		t.SendLatencyWarn = 30 * time.Second
	}
	if t.FailureRateCritical == 0 {
		t.FailureRateCritical = 0.1
	}
	if t.PendingWarn == 0 {
		t.PendingWarn = 5 * time.Minute
	}
	if t.MissedCritical == 0 {
		t.MissedCritical = 5
	}
	if t.ResponseWarn == 0 {
		t.ResponseWarn = c.SLA
	}
	if t.ResponseCritical == 0 {
		t.ResponseCritical = time.Hour
	}
	if t.FullResyncsWarn == 0 {
		t.FullResyncsWarn = 1
	}
}

// DefaultConfig returns the defaults, without schedules.
func DefaultConfig() Config {
	var c Config
	c.SetDefaults()
	return c
}

// Validate returns one line per problem, prefixed with the YAML path
// ("report.schedules[0].time: …").
func (c Config) Validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if _, err := time.LoadLocation(c.Timezone); c.Timezone != "" && err != nil {
		add("report.timezone: %q is not an IANA time zone (like Asia/Kuala_Lumpur)", c.Timezone)
	}
	names := map[string]int{}
	for i, s := range c.Schedules {
		where := fmt.Sprintf("report.schedules[%d]", i)
		if _, _, err := parseClock(s.Time); err != nil {
			add("%s.time: %q is not a time of day like 09:00 (24-hour HH:MM)", where, s.Time)
		}
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			add("%s.timezone: %q is not an IANA time zone (like Europe/Berlin)", where, s.Timezone)
		}
		if s.Name != "" {
			if j, dup := names[s.Name]; dup {
				add("%s.name: %q is used by report.schedules[%d] too (give each schedule its own name)", where, s.Name, j)
			} else {
				names[s.Name] = i
			}
		}
	}
	for name, d := range map[string]time.Duration{
		"report.sla": c.SLA, "report.period": c.Period, "report.max_period": c.MaxPeriod,
		"report.late_window": c.LateWindow, "report.retry_backoff": c.RetryBackoff,
		"report.thresholds.downtime_critical": c.Thresholds.DowntimeCritical,
		"report.thresholds.slow_sync":         c.Thresholds.SlowSync,
		"report.thresholds.stale_sync":        c.Thresholds.StaleSync,
		"report.thresholds.token_warn":        c.Thresholds.TokenWarn,
		"report.thresholds.send_latency_warn": c.Thresholds.SendLatencyWarn,
		"report.thresholds.pending_warn":      c.Thresholds.PendingWarn,
		"report.thresholds.response_warn":     c.Thresholds.ResponseWarn,
		"report.thresholds.response_critical": c.Thresholds.ResponseCritical,
		"report.thresholds.backlog_warn":      c.Thresholds.BacklogWarn,
	} {
		if d < 0 {
			add("%s: must not be negative, got %s", name, d)
		}
	}
	for name, n := range map[string]int{
		"report.retry_attempts": c.RetryAttempts, "report.max_listed": c.MaxListed,
		"report.thresholds.slow_syncs_critical": c.Thresholds.SlowSyncsCritical,
		"report.thresholds.missed_critical":     c.Thresholds.MissedCritical,
		"report.thresholds.full_resyncs_warn":   c.Thresholds.FullResyncsWarn,
	} {
		if n < 0 {
			add("%s: must not be negative, got %d", name, n)
		}
	}
	if r := c.Thresholds.FailureRateCritical; r < 0 || r > 1 {
		add("report.thresholds.failure_rate_critical: %g is not a share between 0 and 1 (0.1 is 10%%)", r)
	}
	if c.Period > 0 && c.MaxPeriod > 0 && c.MaxPeriod < c.Period {
		add("report.max_period: %s is shorter than report.period %s", c.MaxPeriod, c.Period)
	}
	if w, cr := c.Thresholds.ResponseWarn, c.Thresholds.ResponseCritical; w > 0 && cr > 0 && cr < w {
		add("report.thresholds.response_critical: %s is shorter than response_warn %s", cr, w)
	}
	return p
}

// parseClock parses "HH:MM" (24-hour).
func parseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, 0, err
	}
	return t.Hour(), t.Minute(), nil
}

// location loads a time zone, UTC for "" or an unknown one (Validate
// reports those).
func location(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}
