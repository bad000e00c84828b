package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/internal/reportfmt"
)

// checker decides the verdicts of the checklist and words the figures.
type checker struct {
	cfg Config
	th  bridge.ReportThresholds
	now time.Time
	loc *time.Location
}

func newChecker(cfg Config, now time.Time) checker {
	return checker{cfg: cfg, th: cfg.Thresholds, now: now, loc: location(cfg.Timezone)}
}

// storeChecks decides a store's verdicts (every item but restarts).
func storeChecks(sr bridge.StoreReport, cfg Config, now time.Time) []bridge.Check {
	k := newChecker(cfg, now)
	return []bridge.Check{
		k.connectivity(sr.Connectivity, false),
		k.sync(sr.Sync),
		k.backlog(sr.Backlog),
		k.threads(sr.Threads),
		k.auth(sr.Auth),
		k.replies(sr.Replies),
		k.missed(sr.Missed, sr.Response.Late),
		k.response(sr.Response),
	}
}

// summaryChecks decides the summary: for each item the worst of the total
// (where a total means something) and of every store, with the deciding
// store named in the rule.
func summaryChecks(rep bridge.Report, cfg Config, now time.Time) []bridge.Check {
	k := newChecker(cfg, now)
	t := rep.Total
	var out []bridge.Check
	for _, item := range bridge.CheckItems {
		var c bridge.Check
		switch item {
		case bridge.CheckConnectivity:
			c = k.connectivity(t.Connectivity, true)
			if rep.Chat.Incidents > 0 {
				chat := rep.ChatCheck
				chat.Rule = "chat surface: " + chat.Rule
				if chat.Verdict > c.Verdict {
					c.Verdict, c.Rule = chat.Verdict, chat.Rule
				}
			}
		case bridge.CheckSync:
			c = bridge.Check{Item: item, Text: k.syncTotalText(t.Sync), Rule: fmt.Sprintf("no sync over %s", reportfmt.Duration(k.th.SlowSync))}
		case bridge.CheckThreads:
			c = k.threads(t.Threads)
		case bridge.CheckAuth:
			unknown := 0
			for _, sr := range rep.Stores {
				if sr.Auth.Status == statusConfigTokens && sr.Check(bridge.CheckAuth).Verdict == bridge.VerdictWarn {
					unknown++
				}
			}
			c = bridge.Check{Item: item, Text: k.authTotalText(t.Auth, len(rep.Stores), unknown), Rule: fmt.Sprintf("no expiry within %s", reportfmt.Duration(k.th.TokenWarn))}
		case bridge.CheckReplies:
			c = k.replies(t.Replies)
		case bridge.CheckRestarts:
			c = k.restarts(rep.Restarts)
		case bridge.CheckMissed:
			c = k.missed(rep.Missed, t.Response.Late)
		case bridge.CheckResponse:
			c = k.response(t.Response)
		case bridge.CheckBacklog:
			c = k.backlog(t.Backlog)
		}
		if item != bridge.CheckRestarts {
			for _, sr := range rep.Stores {
				sc := sr.Check(item)
				if sc.Verdict > c.Verdict {
					c.Verdict = sc.Verdict
					c.Rule = sr.Name() + ": " + sc.Rule
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func (k checker) connectivity(c bridge.ConnectivityStats, total bool) bridge.Check {
	out := bridge.Check{Item: bridge.CheckConnectivity}
	var b []string
	if c.Incidents == 0 {
		b = append(b, "no incident")
	} else {
		b = append(b, fmt.Sprintf("%s, %s down in total, longest %s", reportfmt.Plural(c.Incidents, "incident"), reportfmt.Duration(c.Downtime), reportfmt.Duration(c.Longest)))
	}
	switch {
	case total && len(c.DownStores) > 0:
		b = append(b, fmt.Sprintf("%s down now", reportfmt.Plural(len(c.DownStores), "store")))
	case total && c.DownNow:
		b = append(b, "down now since "+k.at(c.DownSince))
	case total:
		b = append(b, "all up now")
	case c.DownNow:
		b = append(b, "down since "+k.at(c.DownSince))
	case c.CatchUpFailed:
		b = append(b, "up, but the catch-up sync failed")
	default:
		b = append(b, "up")
	}
	out.Text = strings.Join(b, "; ")
	switch {
	case c.DownNow:
		out.Verdict, out.Rule = bridge.VerdictFail, "down at report time"
	case c.Downtime > k.th.DowntimeCritical:
		out.Verdict, out.Rule = bridge.VerdictFail, fmt.Sprintf("%s down > %s", reportfmt.Duration(c.Downtime), reportfmt.Duration(k.th.DowntimeCritical))
	case c.CatchUpFailed:
		out.Verdict, out.Rule = bridge.VerdictWarn, "catch-up sync failed: run `sync retry`"
	case c.Incidents > 0:
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("%s, %s down ≤ %s", reportfmt.Plural(c.Incidents, "incident"), reportfmt.Duration(c.Downtime), reportfmt.Duration(k.th.DowntimeCritical))
	default:
		out.Rule = "no incident"
	}
	return out
}

// syncStale reports a store that should sync but has not succeeded lately.
func syncStale(s bridge.SyncStats, now time.Time, stale time.Duration) bool {
	return !s.Paused && (s.LastOK.IsZero() || now.Sub(s.LastOK) > stale)
}

func (k checker) syncFigures(s bridge.SyncStats) string {
	if s.Runs == 0 {
		return "no sync in the period"
	}
	t := fmt.Sprintf("p50 %s, p95 %s over %s", reportfmt.Duration(s.P50), reportfmt.Duration(s.P95), reportfmt.Plural(s.Runs, "sync"))
	if s.Failed > 0 {
		t += fmt.Sprintf(" (%d failed)", s.Failed)
	}
	return t + fmt.Sprintf("; %d over %s", s.Slow, reportfmt.Duration(k.th.SlowSync))
}

func (k checker) sync(s bridge.SyncStats) bridge.Check {
	out := bridge.Check{Item: bridge.CheckSync}
	last := "never synced"
	if !s.LastOK.IsZero() {
		last = "last successful " + k.at(s.LastOK)
	}
	out.Text = k.syncFigures(s) + "; " + last
	if s.Paused {
		out.Text = "paused; " + out.Text
	}
	switch {
	case s.Paused:
		out.Rule = "store paused"
	case s.LastOK.IsZero():
		out.Verdict, out.Rule = bridge.VerdictFail, "never synced successfully"
	case syncStale(s, k.now, k.th.StaleSync):
		out.Verdict, out.Rule = bridge.VerdictFail, fmt.Sprintf("no successful sync for %s > %s", reportfmt.Duration(k.now.Sub(s.LastOK)), reportfmt.Duration(k.th.StaleSync))
	case s.Slow >= k.th.SlowSyncsCritical:
		out.Verdict, out.Rule = bridge.VerdictFail, fmt.Sprintf("%d syncs over %s ≥ %d", s.Slow, reportfmt.Duration(k.th.SlowSync), k.th.SlowSyncsCritical)
	case s.Slow > 0:
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("%s over %s (❌ from %d)", reportfmt.Plural(s.Slow, "sync"), reportfmt.Duration(k.th.SlowSync), k.th.SlowSyncsCritical)
	default:
		out.Rule = fmt.Sprintf("no sync over %s", reportfmt.Duration(k.th.SlowSync))
	}
	return out
}

func (k checker) syncTotalText(s bridge.SyncStats) string {
	t := k.syncFigures(s)
	if s.Stale > 0 {
		t += fmt.Sprintf("; %s not syncing", reportfmt.Plural(s.Stale, "store"))
	}
	return t
}

func (k checker) threads(t bridge.ThreadStats) bridge.Check {
	out := bridge.Check{Item: bridge.CheckThreads}
	parts := []string{
		fmt.Sprintf("%d re-attached to their thread", t.Reattached),
		reportfmt.Plural(t.Opened, "new thread"),
	}
	if t.Replaced > 0 {
		parts = append(parts, fmt.Sprintf("%d re-opened after deletion", t.Replaced))
	}
	if t.Duplicates > 0 {
		parts = append(parts, fmt.Sprintf("%s GOT A SECOND THREAD", reportfmt.Plural(t.Duplicates, "CONVERSATION")))
		out.Verdict, out.Rule = bridge.VerdictFail, reportfmt.Plural(t.Duplicates, "second thread")+", must be 0"
	} else {
		parts = append(parts, "0 second threads")
		out.Rule = "0 second threads"
	}
	out.Text = strings.Join(parts, ", ")
	return out
}

func (k checker) auth(a bridge.AuthStats) bridge.Check {
	out := bridge.Check{Item: bridge.CheckAuth}
	parts := []string{a.Status}
	if a.NeedsUpdate && a.Reason != "" {
		parts[0] += " (" + a.Reason + ")"
	}
	if !a.AccessExpiresAt.IsZero() {
		parts = append(parts, "access token until "+k.at(a.AccessExpiresAt))
	}
	if !a.RefreshExpiresAt.IsZero() {
		parts = append(parts, "refresh token until "+k.at(a.RefreshExpiresAt)+" ("+k.until(a.RefreshExpiresAt)+")")
	}
	if !a.ProxyExpiresAt.IsZero() {
		parts = append(parts, "proxy until "+k.at(a.ProxyExpiresAt)+" ("+k.until(a.ProxyExpiresAt)+")")
	}
	if l := a.LastAttempt; l != nil {
		res := "ok"
		if !l.OK {
			res = "failed"
			if l.Detail != "" {
				res += ": " + l.Detail
			}
		}
		parts = append(parts, "last update "+k.at(l.At)+" "+res)
	}
	out.Text = strings.Join(parts, "; ")
	warn := k.th.TokenWarn
	within := func(t time.Time) bool { return !t.IsZero() && t.Sub(k.now) <= warn }
	switch {
	case a.NeedsUpdate:
		out.Verdict, out.Rule = bridge.VerdictFail, "needs update: run `store update`"
	case a.Status == "no saved tokens":
		out.Verdict, out.Rule = bridge.VerdictFail, "not authorized: run `store update`"
	case a.Status == "expired":
		out.Verdict, out.Rule = bridge.VerdictFail, "refresh token expired"
	case !a.ProxyExpiresAt.IsZero() && !k.now.Before(a.ProxyExpiresAt):
		out.Verdict, out.Rule = bridge.VerdictFail, "proxy expired"
	case a.LastAttempt != nil && !a.LastAttempt.OK:
		out.Verdict, out.Rule = bridge.VerdictFail, "last update attempt failed"
	case a.Status == statusConfigTokens:
		out.Verdict, out.Rule = bridge.VerdictWarn, "tokens from the config: expiry unknown until the first refresh"
	case within(a.RefreshExpiresAt):
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("refresh token expires %s ≤ %s", k.until(a.RefreshExpiresAt), reportfmt.Duration(warn))
	case within(a.ProxyExpiresAt):
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("proxy expires %s ≤ %s", k.until(a.ProxyExpiresAt), reportfmt.Duration(warn))
	default:
		out.Rule = fmt.Sprintf("no expiry within %s", reportfmt.Duration(warn))
	}
	return out
}

// statusConfigTokens is the authorization status of a store whose tokens
// come from the config file: they work, but their expiry is unknown until
// the bridge refreshes them the first time.
const statusConfigTokens = "tokens from config"

// authTotalText counts the stores by authorization: ok, expiry unknown
// (tokens from the config, counted among the warnings but not expiring
// that anyone knows), expiring soon, needing an update.
func (k checker) authTotalText(a bridge.AuthStats, stores, unknown int) string {
	if stores == 0 {
		return "no store"
	}
	t := fmt.Sprintf("%d of %d stores ok", a.Authorized, stores)
	if unknown > 0 {
		t += fmt.Sprintf(", %d with tokens from the config (expiry unknown until their first refresh)", unknown)
	}
	if n := a.Warning - unknown; n > 0 {
		t += fmt.Sprintf(", %d expiring soon", n)
	}
	if a.Failing == 1 {
		t += ", 1 needs update"
	} else if a.Failing > 1 {
		t += fmt.Sprintf(", %d need update", a.Failing)
	}
	return t
}

func (k checker) replies(r bridge.ReplyStats) bridge.Check {
	out := bridge.Check{Item: bridge.CheckReplies}
	t := fmt.Sprintf("%d sent, %d failed, %d pending", r.Sent, r.Failed, r.Pending)
	if r.Sent > 0 {
		t += "; send p95 " + reportfmt.Duration(r.LatencyP95)
	}
	if len(r.Reasons) > 0 {
		t += fmt.Sprintf("; top failure: %s (%d)", r.Reasons[0].Reason, r.Reasons[0].Count)
	}
	out.Text = t
	crit := k.th.FailureRateCritical
	switch {
	case r.Failed > 0 && r.FailureRate() > crit:
		out.Verdict, out.Rule = bridge.VerdictFail, fmt.Sprintf("%s failed > %s", reportfmt.Percent(r.FailureRate()), reportfmt.Percent(crit))
	case r.Failed > 0:
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("%s failed (❌ above %s)", reportfmt.Plural(r.Failed, "reply"), reportfmt.Percent(crit))
	case r.Stuck > 0:
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("%s pending longer than %s", reportfmt.Plural(r.Stuck, "reply"), reportfmt.Duration(k.th.PendingWarn))
	case r.LatencyP95 > k.th.SendLatencyWarn:
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("send p95 %s > %s", reportfmt.Duration(r.LatencyP95), reportfmt.Duration(k.th.SendLatencyWarn))
	default:
		out.Rule = fmt.Sprintf("no failure, send p95 ≤ %s", reportfmt.Duration(k.th.SendLatencyWarn))
	}
	return out
}

func (k checker) missed(m []bridge.MissedReply, late int) bridge.Check {
	out := bridge.Check{Item: bridge.CheckMissed}
	sla := reportfmt.Duration(k.cfg.SLA)
	if len(m) == 0 {
		out.Text = "no buyer waiting longer than " + sla
	} else {
		out.Text = fmt.Sprintf("%s waiting longer than %s, oldest %s", reportfmt.Plural(len(m), "conversation"), sla, reportfmt.Duration(m[0].Waiting))
	}
	if late > 0 {
		out.Text += fmt.Sprintf("; %s after more than %s", reportfmt.Plural(late, "first response"), sla)
	}
	switch n := len(m); {
	case n >= k.th.MissedCritical:
		out.Verdict, out.Rule = bridge.VerdictFail, fmt.Sprintf("%d waiting > %s, ≥ %d", n, sla, k.th.MissedCritical)
	case n > 0:
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("%d waiting > %s (❌ from %d)", n, sla, k.th.MissedCritical)
	default:
		out.Rule = "SLA " + sla
	}
	return out
}

func (k checker) response(d bridge.DurationStats) bridge.Check {
	out := bridge.Check{Item: bridge.CheckResponse}
	if d.Count == 0 {
		out.Text, out.Rule = "no first response in the period", fmt.Sprintf("p90 ≤ %s", reportfmt.Duration(k.th.ResponseWarn))
		return out
	}
	out.Text = fmt.Sprintf("first response p50 %s, p90 %s over %s", reportfmt.Duration(d.P50), reportfmt.Duration(d.P90), reportfmt.Plural(d.Count, "response"))
	switch {
	case d.P90 > k.th.ResponseCritical:
		out.Verdict, out.Rule = bridge.VerdictFail, fmt.Sprintf("p90 %s > %s", reportfmt.Duration(d.P90), reportfmt.Duration(k.th.ResponseCritical))
	case d.P90 > k.th.ResponseWarn:
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("p90 %s > %s", reportfmt.Duration(d.P90), reportfmt.Duration(k.th.ResponseWarn))
	default:
		out.Rule = fmt.Sprintf("p90 ≤ %s", reportfmt.Duration(k.th.ResponseWarn))
	}
	return out
}

// backlog: buyer messages recorded but not posted yet. Being behind is
// normal under a burst (the chat's rate limits); a message waiting longer
// than BacklogWarn is ⚠️.
func (k checker) backlog(b bridge.BacklogStats) bridge.Check {
	out := bridge.Check{Item: bridge.CheckBacklog, Rule: fmt.Sprintf("nothing waiting longer than %s", reportfmt.Duration(k.th.BacklogWarn))}
	if b.Pending == 0 {
		out.Text = "nothing waiting"
		return out
	}
	age := k.now.Sub(b.Oldest)
	out.Text = fmt.Sprintf("%s waiting to be posted, oldest %s", reportfmt.Plural(b.Pending, "message"), reportfmt.Duration(age))
	if age > k.th.BacklogWarn {
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("oldest %s > %s", reportfmt.Duration(age), reportfmt.Duration(k.th.BacklogWarn))
	}
	return out
}

func (k checker) restarts(r bridge.RestartStats) bridge.Check {
	out := bridge.Check{Item: bridge.CheckRestarts}
	n := r.Resumed + r.Full
	if n == 0 {
		out.Text, out.Rule = "no restart", "no full resync"
		if !r.FirstStart.IsZero() {
			out.Text = "no restart (first start of a new install)"
		}
		return out
	}
	out.Text = fmt.Sprintf("%s: %d resumed from saved state, %s", reportfmt.Plural(n, "restart"), r.Resumed, reportfmt.Plural(r.Full, "full resync"))
	if r.Full >= k.th.FullResyncsWarn {
		out.Verdict, out.Rule = bridge.VerdictWarn, fmt.Sprintf("%s ≥ %d", reportfmt.Plural(r.Full, "full resync"), k.th.FullResyncsWarn)
	} else {
		out.Rule = "every restart resumed"
	}
	return out
}

// at renders a time in the report's zone: "Mar 8 10:02", with the year
// when it is not the report's.
func (k checker) at(t time.Time) string { return reportfmt.Time(t, k.loc, k.now) }

// until renders the time left before t: "5d", "3h", or "expired".
func (k checker) until(t time.Time) string {
	d := t.Sub(k.now)
	if d <= 0 {
		return "expired"
	}
	return "in " + reportfmt.Duration(d)
}

// Title is a report's title: "Daily inspection · Mar 8 09:00 → Mar 9 09:00 CET".
func Title(since, until time.Time, loc *time.Location) string {
	return "Daily inspection · " + reportfmt.Time(since, loc, until) + " → " + reportfmt.Time(until, loc, until) + " " + until.In(loc).Format("MST")
}
