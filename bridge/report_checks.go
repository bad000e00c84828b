package bridge

import (
	"fmt"
	"strings"
	"time"
)

// reportChecker decides the verdicts of the checklist and words the figures.
type reportChecker struct {
	cfg ReportConfig
	th  ReportThresholds
	now time.Time
	loc *time.Location
}

func newReportChecker(cfg ReportConfig, now time.Time) reportChecker {
	return reportChecker{cfg: cfg, th: cfg.Thresholds, now: now, loc: reportLocation(cfg.Timezone)}
}

// storeChecks decides a store's verdicts (every item but restarts).
func storeChecks(sr StoreReport, cfg ReportConfig, now time.Time) []Check {
	k := newReportChecker(cfg, now)
	return []Check{
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
func summaryChecks(rep Report, cfg ReportConfig, now time.Time) []Check {
	k := newReportChecker(cfg, now)
	t := rep.Total
	var out []Check
	for _, item := range CheckItems {
		var c Check
		switch item {
		case CheckConnectivity:
			c = k.connectivity(t.Connectivity, true)
			if rep.Chat.Incidents > 0 {
				chat := k.connectivity(rep.Chat, false)
				chat.Rule = "chat surface: " + chat.Rule
				if chat.Verdict > c.Verdict {
					c.Verdict, c.Rule = chat.Verdict, chat.Rule
				}
			}
		case CheckSync:
			c = Check{Item: item, Text: k.syncTotalText(t.Sync), Rule: fmt.Sprintf("no sync over %s", reportDur(k.th.SlowSync))}
		case CheckThreads:
			c = k.threads(t.Threads)
		case CheckAuth:
			c = Check{Item: item, Text: k.authTotalText(t.Auth, len(rep.Stores)), Rule: fmt.Sprintf("no expiry within %s", reportDur(k.th.TokenWarn))}
		case CheckReplies:
			c = k.replies(t.Replies)
		case CheckRestarts:
			c = k.restarts(rep.Restarts)
		case CheckMissed:
			c = k.missed(rep.Missed, t.Response.Late)
		case CheckResponse:
			c = k.response(t.Response)
		case CheckBacklog:
			c = k.backlog(t.Backlog)
		}
		if item != CheckRestarts {
			for _, sr := range rep.Stores {
				sc := sr.Check(item)
				if sc.Verdict > c.Verdict {
					c.Verdict = sc.Verdict
					c.Rule = reportStoreName(sr.Store) + ": " + sc.Rule
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// reportStoreName is a store's short name in reports: "shopee MY Main".
func reportStoreName(s Store) string {
	if s.Name == "" && s.Site == "" {
		return string(s.ID)
	}
	return s.Label()
}

func (k reportChecker) connectivity(c ConnectivityStats, total bool) Check {
	out := Check{Item: CheckConnectivity}
	var b []string
	if c.Incidents == 0 {
		b = append(b, "no incident")
	} else {
		b = append(b, fmt.Sprintf("%s, %s down in total, longest %s", reportPlural(c.Incidents, "incident"), reportDur(c.Downtime), reportDur(c.Longest)))
	}
	switch {
	case total && len(c.DownStores) > 0:
		b = append(b, fmt.Sprintf("%s down now", reportPlural(len(c.DownStores), "store")))
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
		out.Verdict, out.Rule = VerdictFail, "down at report time"
	case c.Downtime > k.th.DowntimeCritical:
		out.Verdict, out.Rule = VerdictFail, fmt.Sprintf("%s down > %s", reportDur(c.Downtime), reportDur(k.th.DowntimeCritical))
	case c.CatchUpFailed:
		out.Verdict, out.Rule = VerdictWarn, "catch-up sync failed: run `sync retry`"
	case c.Incidents > 0:
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("%s, %s down ≤ %s", reportPlural(c.Incidents, "incident"), reportDur(c.Downtime), reportDur(k.th.DowntimeCritical))
	default:
		out.Rule = "no incident"
	}
	return out
}

// syncStale reports a store that should sync but has not succeeded lately.
func syncStale(s SyncStats, now time.Time, stale time.Duration) bool {
	return !s.Paused && (s.LastOK.IsZero() || now.Sub(s.LastOK) > stale)
}

func (k reportChecker) syncFigures(s SyncStats) string {
	if s.Runs == 0 {
		return "no sync in the period"
	}
	t := fmt.Sprintf("p50 %s, p95 %s over %s", reportDur(s.P50), reportDur(s.P95), reportPlural(s.Runs, "sync"))
	if s.Failed > 0 {
		t += fmt.Sprintf(" (%d failed)", s.Failed)
	}
	return t + fmt.Sprintf("; %d over %s", s.Slow, reportDur(k.th.SlowSync))
}

func (k reportChecker) sync(s SyncStats) Check {
	out := Check{Item: CheckSync}
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
		out.Verdict, out.Rule = VerdictFail, "never synced successfully"
	case syncStale(s, k.now, k.th.StaleSync):
		out.Verdict, out.Rule = VerdictFail, fmt.Sprintf("no successful sync for %s > %s", reportDur(k.now.Sub(s.LastOK)), reportDur(k.th.StaleSync))
	case s.Slow >= k.th.SlowSyncsCritical:
		out.Verdict, out.Rule = VerdictFail, fmt.Sprintf("%d syncs over %s ≥ %d", s.Slow, reportDur(k.th.SlowSync), k.th.SlowSyncsCritical)
	case s.Slow > 0:
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("%s over %s (❌ from %d)", reportPlural(s.Slow, "sync"), reportDur(k.th.SlowSync), k.th.SlowSyncsCritical)
	default:
		out.Rule = fmt.Sprintf("no sync over %s", reportDur(k.th.SlowSync))
	}
	return out
}

func (k reportChecker) syncTotalText(s SyncStats) string {
	t := k.syncFigures(s)
	if s.Stale > 0 {
		t += fmt.Sprintf("; %s not syncing", reportPlural(s.Stale, "store"))
	}
	return t
}

func (k reportChecker) threads(t ThreadStats) Check {
	out := Check{Item: CheckThreads}
	parts := []string{
		fmt.Sprintf("%d re-attached to their thread", t.Reattached),
		reportPlural(t.Opened, "new thread"),
	}
	if t.Replaced > 0 {
		parts = append(parts, fmt.Sprintf("%d re-opened after deletion", t.Replaced))
	}
	if t.Duplicates > 0 {
		parts = append(parts, fmt.Sprintf("%s GOT A SECOND THREAD", reportPlural(t.Duplicates, "CONVERSATION")))
		out.Verdict, out.Rule = VerdictFail, reportPlural(t.Duplicates, "second thread")+", must be 0"
	} else {
		parts = append(parts, "0 second threads")
		out.Rule = "0 second threads"
	}
	out.Text = strings.Join(parts, ", ")
	return out
}

func (k reportChecker) auth(a AuthStats) Check {
	out := Check{Item: CheckAuth}
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
		out.Verdict, out.Rule = VerdictFail, "needs update: run `store update`"
	case a.Status == "no saved tokens":
		out.Verdict, out.Rule = VerdictFail, "not authorized: run `store update`"
	case a.Status == "expired":
		out.Verdict, out.Rule = VerdictFail, "refresh token expired"
	case !a.ProxyExpiresAt.IsZero() && !k.now.Before(a.ProxyExpiresAt):
		out.Verdict, out.Rule = VerdictFail, "proxy expired"
	case a.LastAttempt != nil && !a.LastAttempt.OK:
		out.Verdict, out.Rule = VerdictFail, "last update attempt failed"
	case a.Status == "tokens from config":
		out.Verdict, out.Rule = VerdictWarn, "tokens from the config: expiry unknown until the first refresh"
	case within(a.RefreshExpiresAt):
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("refresh token expires %s ≤ %s", k.until(a.RefreshExpiresAt), reportDur(warn))
	case within(a.ProxyExpiresAt):
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("proxy expires %s ≤ %s", k.until(a.ProxyExpiresAt), reportDur(warn))
	default:
		out.Rule = fmt.Sprintf("no expiry within %s", reportDur(warn))
	}
	return out
}

func (k reportChecker) authTotalText(a AuthStats, stores int) string {
	if stores == 0 {
		return "no store"
	}
	t := fmt.Sprintf("%d of %d stores ok", a.Authorized, stores)
	if a.Warning > 0 {
		t += fmt.Sprintf(", %d expiring soon", a.Warning)
	}
	if a.Failing == 1 {
		t += ", 1 needs update"
	} else if a.Failing > 1 {
		t += fmt.Sprintf(", %d need update", a.Failing)
	}
	return t
}

func (k reportChecker) replies(r ReplyStats) Check {
	out := Check{Item: CheckReplies}
	t := fmt.Sprintf("%d sent, %d failed, %d pending", r.Sent, r.Failed, r.Pending)
	if r.Sent > 0 {
		t += "; send p95 " + reportDur(r.LatencyP95)
	}
	if len(r.Reasons) > 0 {
		t += fmt.Sprintf("; top failure: %s (%d)", r.Reasons[0].Reason, r.Reasons[0].Count)
	}
	out.Text = t
	crit := k.th.FailureRateCritical
	switch {
	case r.Failed > 0 && r.FailureRate() > crit:
		out.Verdict, out.Rule = VerdictFail, fmt.Sprintf("%s failed > %s", reportPct(r.FailureRate()), reportPct(crit))
	case r.Failed > 0:
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("%s failed (❌ above %s)", reportPlural(r.Failed, "reply"), reportPct(crit))
	case r.Stuck > 0:
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("%s pending longer than %s", reportPlural(r.Stuck, "reply"), reportDur(k.th.PendingWarn))
	case r.LatencyP95 > k.th.SendLatencyWarn:
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("send p95 %s > %s", reportDur(r.LatencyP95), reportDur(k.th.SendLatencyWarn))
	default:
		out.Rule = fmt.Sprintf("no failure, send p95 ≤ %s", reportDur(k.th.SendLatencyWarn))
	}
	return out
}

func (k reportChecker) missed(m []MissedReply, late int) Check {
	out := Check{Item: CheckMissed}
	sla := reportDur(k.cfg.SLA)
	if len(m) == 0 {
		out.Text = "no buyer waiting longer than " + sla
	} else {
		out.Text = fmt.Sprintf("%s waiting longer than %s, oldest %s", reportPlural(len(m), "conversation"), sla, reportDur(m[0].Waiting))
	}
	if late > 0 {
		out.Text += fmt.Sprintf("; %s after more than %s", reportPlural(late, "first response"), sla)
	}
	switch n := len(m); {
	case n >= k.th.MissedCritical:
		out.Verdict, out.Rule = VerdictFail, fmt.Sprintf("%d waiting > %s, ≥ %d", n, sla, k.th.MissedCritical)
	case n > 0:
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("%d waiting > %s (❌ from %d)", n, sla, k.th.MissedCritical)
	default:
		out.Rule = "SLA " + sla
	}
	return out
}

func (k reportChecker) response(d DurationStats) Check {
	out := Check{Item: CheckResponse}
	if d.Count == 0 {
		out.Text, out.Rule = "no first response in the period", fmt.Sprintf("p90 ≤ %s", reportDur(k.th.ResponseWarn))
		return out
	}
	out.Text = fmt.Sprintf("first response p50 %s, p90 %s over %s", reportDur(d.P50), reportDur(d.P90), reportPlural(d.Count, "conversation"))
	switch {
	case d.P90 > k.th.ResponseCritical:
		out.Verdict, out.Rule = VerdictFail, fmt.Sprintf("p90 %s > %s", reportDur(d.P90), reportDur(k.th.ResponseCritical))
	case d.P90 > k.th.ResponseWarn:
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("p90 %s > %s", reportDur(d.P90), reportDur(k.th.ResponseWarn))
	default:
		out.Rule = fmt.Sprintf("p90 ≤ %s", reportDur(k.th.ResponseWarn))
	}
	return out
}

// backlog: buyer messages recorded but not posted yet. Being behind is
// normal under a burst (the chat's rate limits); a message waiting longer
// than BacklogWarn is ⚠️.
func (k reportChecker) backlog(b BacklogStats) Check {
	out := Check{Item: CheckBacklog, Rule: fmt.Sprintf("nothing waiting longer than %s", reportDur(k.th.BacklogWarn))}
	if b.Pending == 0 {
		out.Text = "nothing waiting"
		return out
	}
	age := k.now.Sub(b.Oldest)
	out.Text = fmt.Sprintf("%s waiting to be posted, oldest %s", reportPlural(b.Pending, "message"), reportDur(age))
	if age > k.th.BacklogWarn {
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("oldest %s > %s", reportDur(age), reportDur(k.th.BacklogWarn))
	}
	return out
}

func (k reportChecker) restarts(r RestartStats) Check {
	out := Check{Item: CheckRestarts}
	n := r.Resumed + r.Full
	if n == 0 {
		out.Text, out.Rule = "no restart", "no full resync"
		return out
	}
	out.Text = fmt.Sprintf("%s: %d resumed from saved state, %s", reportPlural(n, "restart"), r.Resumed, reportPlural(r.Full, "full resync"))
	if r.Full >= k.th.FullResyncsWarn {
		out.Verdict, out.Rule = VerdictWarn, fmt.Sprintf("%s ≥ %d", reportPlural(r.Full, "full resync"), k.th.FullResyncsWarn)
	} else {
		out.Rule = "every restart resumed"
	}
	return out
}

// at renders a time in the report's zone: "Mar 8 10:02", with the year
// when it is not the report's.
func (k reportChecker) at(t time.Time) string { return reportTime(t, k.loc, k.now) }

// until renders the time left before t: "5d", "3h", or "expired".
func (k reportChecker) until(t time.Time) string {
	d := t.Sub(k.now)
	if d <= 0 {
		return "expired"
	}
	return "in " + reportDur(d)
}

func reportTime(t time.Time, loc *time.Location, ref time.Time) string {
	t = t.In(loc)
	if t.Year() != ref.In(loc).Year() {
		return t.Format("Jan 2 2006 15:04")
	}
	return t.Format("Jan 2 15:04")
}

// ReportTitle is a report's title: "Daily inspection · Mar 8 09:00 → Mar 9 09:00 CET".
func ReportTitle(since, until time.Time, loc *time.Location) string {
	return "Daily inspection · " + reportTime(since, loc, until) + " → " + reportTime(until, loc, until) + " " + until.In(loc).Format("MST")
}

// reportDur renders a duration for people: 350ms, 1.2s, 45s, 4m30s, 2h05m, 3d4h.
func reportDur(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + reportDur(-d)
	case d == 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		s := fmt.Sprintf("%.1fs", d.Seconds())
		return strings.Replace(s, ".0s", "s", 1)
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		m, s := int(d.Minutes()), int(d.Seconds())%60
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, s)
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

func reportPct(f float64) string {
	s := fmt.Sprintf("%.1f", f*100)
	return strings.TrimSuffix(s, ".0") + "%"
}

// reportPlural renders "1 incident", "2 incidents", "3 replies".
func reportPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ay"):
		noun = noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "sh"), strings.HasSuffix(noun, "ch"):
		noun += "es"
	case strings.ToUpper(noun) == noun:
		noun += "S"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
