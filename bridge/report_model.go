package bridge

import (
	"context"
	"time"
)

// The daily inspection report as the surfaces receive it: its figures per
// store and in total, the checklist's verdicts and the thresholds behind
// them. bridge/report computes it from the state; report_render.go words it
// as lines, which each surface formats its own way.

// InspectionPoster is the optional capability of a surface to post the
// daily inspection report in its own format (Block Kit, HTML, plain text):
// summary first, details after it (in its thread where the surface has
// threads), each message within the surface's limits. channel "" is the
// surface's report channel. It returns the summary message; when the summary
// was posted but details failed it returns the summary and the error.
type InspectionPoster interface {
	PostInspection(ctx context.Context, channel string, r Report) (ChatMessageRef, error)
}

// InspectionFinder is the optional capability of a surface to tell whether a
// report (by Report.Key) was already posted to channel since a time. After a
// crash between posting a scheduled report and recording it, the reporter
// asks it before posting again.
type InspectionFinder interface {
	FindInspection(ctx context.Context, channel, key string, since time.Time) (ChatMessageRef, bool, error)
}

// Verdict is a checklist line's result.
type Verdict int

// Verdicts, from good to bad.
const (
	VerdictOK Verdict = iota
	VerdictWarn
	VerdictFail
)

// Mark is the verdict's emoji: ✅ ⚠️ ❌.
func (v Verdict) Mark() string {
	switch v {
	case VerdictWarn:
		return "⚠️"
	case VerdictFail:
		return "❌"
	}
	return "✅"
}

// String is "ok", "warning" or "failing".
func (v Verdict) String() string {
	switch v {
	case VerdictWarn:
		return "warning"
	case VerdictFail:
		return "failing"
	}
	return "ok"
}

// CheckItem names a line of the inspection checklist.
type CheckItem string

// The checklist, in report order.
const (
	CheckConnectivity CheckItem = "connectivity"
	CheckSync         CheckItem = "sync"
	CheckThreads      CheckItem = "threads"
	CheckAuth         CheckItem = "authorization"
	CheckReplies      CheckItem = "replies"
	CheckRestarts     CheckItem = "restarts"
	CheckMissed       CheckItem = "missed"
	CheckResponse     CheckItem = "response"
	CheckBacklog      CheckItem = "backlog"
)

// CheckItems lists the checklist in report order.
var CheckItems = []CheckItem{CheckConnectivity, CheckSync, CheckThreads, CheckAuth, CheckReplies, CheckRestarts, CheckMissed, CheckResponse, CheckBacklog}

// Title is the checklist line's name.
func (c CheckItem) Title() string {
	switch c {
	case CheckConnectivity:
		return "Network connection"
	case CheckSync:
		return "Session sync"
	case CheckThreads:
		return "Thread restoration"
	case CheckAuth:
		return "Store authorization"
	case CheckReplies:
		return "Message sending"
	case CheckRestarts:
		return "Restarts"
	case CheckMissed:
		return "Missed replies"
	case CheckResponse:
		return "Response time"
	case CheckBacklog:
		return "Waiting to be posted"
	}
	return string(c)
}

// Check is one checklist line: its verdict, the figures, and the threshold
// that decided the verdict.
type Check struct {
	Item    CheckItem
	Verdict Verdict
	// Text holds the figures ("2 incidents, 45m down, longest 30m").
	Text string
	// Rule is the threshold that decided ("45m down > 30m").
	Rule string
}

// Report is one daily inspection report.
type Report struct {
	Title string
	// Key identifies a scheduled report's period ("09:00 Europe/Berlin@2026-03-29");
	// empty for one made on request. Surfaces that can attach metadata
	// carry it, so InspectionFinder can find the report again.
	Key         string
	Since       time.Time
	Until       time.Time
	GeneratedAt time.Time
	// Location is the time zone the report is rendered in.
	Location   *time.Location
	SLA        time.Duration
	Thresholds ReportThresholds
	// Checks is the summary: one line per checklist item, for all stores.
	Checks []Check
	Stores []StoreReport
	// Total sums the stores (Auth is not summed; see Checks).
	Total StoreReport
	// Chat is the chat surface's own connectivity; ChatCheck is its line
	// (set when it had incidents).
	Chat      ConnectivityStats
	ChatCheck Check
	// Incidents are the incidents that overlap the period, by start.
	Incidents []Incident
	// Missed lists every store's missed replies, oldest first.
	Missed   []MissedReply
	Agents   []AgentResponse
	Restarts RestartStats
	// MaxListed bounds the missed replies listed by name.
	MaxListed int
}

// Check returns the summary line of an item.
func (r Report) Check(item CheckItem) Check {
	for _, c := range r.Checks {
		if c.Item == item {
			return c
		}
	}
	return Check{Item: item}
}

// Verdict is the worst verdict of the summary.
func (r Report) Verdict() Verdict {
	v := VerdictOK
	for _, c := range r.Checks {
		v = max(v, c.Verdict)
	}
	return v
}

// StoreReport is one store's figures and verdicts.
type StoreReport struct {
	Store        Store
	Connectivity ConnectivityStats
	Sync         SyncStats
	Threads      ThreadStats
	Auth         AuthStats
	Replies      ReplyStats
	// Missed is the store's missed replies, oldest first.
	Missed   []MissedReply
	Response DurationStats
	// Backlog is what waits in the inbound queue to be posted, now.
	Backlog BacklogStats
	// Checks has the store's verdict per item (all but restarts).
	Checks []Check
}

// Name is the store's short name in reports: "shopee MY Main".
func (s StoreReport) Name() string { return storeName(s.Store) }

// storeName is a store's short name in reports.
func storeName(s Store) string {
	if s.Name == "" && s.Site == "" {
		return string(s.ID)
	}
	return s.Label()
}

// Check returns the store's line of an item.
func (s StoreReport) Check(item CheckItem) Check {
	for _, c := range s.Checks {
		if c.Item == item {
			return c
		}
	}
	return Check{Item: item}
}

// ConnectivityStats are incidents overlapping the period.
type ConnectivityStats struct {
	Incidents int
	// Downtime sums the incidents' spans within the period; Longest is the
	// longest of them.
	Downtime time.Duration
	Longest  time.Duration
	// DownNow is set while an incident is open at report time.
	DownNow   bool
	DownSince time.Time
	// CatchUpFailed is set when an incident ended but its catch-up sync failed.
	CatchUpFailed bool
	// DownStores names the stores down at report time (totals only).
	DownStores []StoreID
}

// SyncStats are the store's sync runs in the period.
type SyncStats struct {
	Runs   int
	Failed int
	// Slow counts runs that took longer than the SlowSync threshold.
	Slow     int
	P50, P95 time.Duration
	// LastOK is when the last successful sync ran (from the store's state,
	// so possibly before the period); zero when it never did.
	LastOK time.Time
	Paused bool
	// Stale counts stores whose last successful sync is too old (totals only).
	Stale int
}

// ThreadStats is what happened to conversation threads in the period.
type ThreadStats struct {
	// Opened counts conversations that got their first thread.
	Opened int
	// Reattached counts conversations whose new messages went into the
	// thread they already had before the period or before a restart.
	Reattached int
	// Replaced counts threads re-opened after the old one was deleted
	// (self-healing, legitimate).
	Replaced int
	// Duplicates counts conversations that got a second thread; it must be 0.
	Duplicates int
}

// AuthStats is a store's authorization health at report time.
type AuthStats struct {
	// Status is "authorized", "needs update", "no saved tokens",
	// "tokens from config", or "expired".
	Status           string
	HasTokens        bool
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	ProxyExpiresAt   time.Time
	NeedsUpdate      bool
	Reason           string
	// LastAttempt is the last authorization or refresh attempt, if any.
	LastAttempt *AuthAttempt
	// Counts per status (totals only).
	Authorized, Failing, Warning int
}

// ReplyStats are the replies created in the period, and the ones pending now.
type ReplyStats struct {
	Sent    int
	Failed  int
	Pending int
	// Stuck counts pending replies older than the PendingWarn threshold.
	Stuck int
	// Reasons are the failure reasons, most frequent first.
	Reasons []ReasonCount
	// LatencyP95 is the send latency (queued → sent) p95.
	LatencyP95 time.Duration
}

// FailureRate is failed / (sent + failed), 0 without finished replies.
func (r ReplyStats) FailureRate() float64 {
	if r.Sent+r.Failed == 0 {
		return 0
	}
	return float64(r.Failed) / float64(r.Sent+r.Failed)
}

// ReasonCount is one failure reason and how often it occurred.
type ReasonCount struct {
	Reason string
	Count  int
}

// MissedReply is a conversation whose buyer has waited longer than the SLA.
type MissedReply struct {
	Store        Store
	Conversation ConversationID
	BuyerName    string
	// Thread is the conversation's thread: surfaces turn it into a link.
	Thread ThreadRef
	// Link opens the conversation in the marketplace's seller centre.
	Link          string
	AwaitingSince time.Time
	Waiting       time.Duration
}

// DurationStats summarises durations: how many, p50 and p90.
type DurationStats struct {
	Count    int
	P50, P90 time.Duration
	// Late counts durations above the SLA.
	Late int
}

// AgentResponse is one agent's first-response times.
type AgentResponse struct {
	AgentID   string
	AgentName string
	DurationStats
}

// Label names the agent: the name, else the ID.
func (a AgentResponse) Label() string {
	if a.AgentName != "" {
		return a.AgentName
	}
	if a.AgentID != "" {
		return a.AgentID
	}
	return "unknown agent"
}

// BacklogStats are the buyer messages recorded but not yet posted.
type BacklogStats struct {
	Pending int
	// Oldest is when the oldest of them was recorded (zero: none).
	Oldest time.Time
}

// RestartStats are the engine starts of the period.
type RestartStats struct {
	Resumed int
	Full    int
	Events  []RestartEvent
	// FirstStart is the first start of a new state database, when it is in
	// the period: not a restart, so in neither count.
	FirstStart time.Time
}

// ReportThresholds decide each checklist line's verdict (✅ ⚠️ ❌).
type ReportThresholds struct {
	// DowntimeCritical: more downtime than this in the period is ❌ (default
	// 30m); any incident is ⚠️, a store down at report time ❌.
	DowntimeCritical time.Duration `yaml:"downtime_critical"`
	// SlowSync is the "loading too long" line of the panel (default 10s):
	// one sync slower is ⚠️, SlowSyncsCritical of them ❌ (default 10).
	SlowSync          time.Duration `yaml:"slow_sync"`
	SlowSyncsCritical int           `yaml:"slow_syncs_critical"`
	// StaleSync: no successful sync for longer is ❌ (default 15m).
	StaleSync time.Duration `yaml:"stale_sync"`
	// TokenWarn: a refresh token or proxy expiring within this is ⚠️
	// (default 168h, 7 days); expired is ❌.
	TokenWarn time.Duration `yaml:"token_warn"`
	// SendLatencyWarn: a send latency p95 above it is ⚠️ (default 30s).
	SendLatencyWarn time.Duration `yaml:"send_latency_warn"`
	// FailureRateCritical: more failed replies than this share of finished
	// ones is ❌ (default 0.1); any failure is ⚠️.
	FailureRateCritical float64 `yaml:"failure_rate_critical"`
	// PendingWarn: a reply still unsent after this is ⚠️ (default 5m).
	PendingWarn time.Duration `yaml:"pending_warn"`
	// MissedCritical: this many conversations waiting beyond the SLA is ❌
	// (default 5); one is ⚠️.
	MissedCritical int `yaml:"missed_critical"`
	// ResponseWarn and ResponseCritical bound the first-response p90
	// (defaults: the SLA, and 1h).
	ResponseWarn     time.Duration `yaml:"response_warn"`
	ResponseCritical time.Duration `yaml:"response_critical"`
	// FullResyncsWarn: this many restarts without saved state is ⚠️ (default 1).
	FullResyncsWarn int `yaml:"full_resyncs_warn"`
	// BacklogWarn: a buyer message recorded but not posted for longer is ⚠️
	// (default 10m).
	BacklogWarn time.Duration `yaml:"backlog_warn"`
}
