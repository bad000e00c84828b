package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The daily inspection report is computed from the state store alone: every
// figure comes from an event recorded as it happened (incidents, sync runs,
// replies, first responses, engine starts, thread mapping changes,
// authorization attempts), so a report survives restarts and the CLI can
// compute the same report as the running bridge.
//
// Definitions the figures rely on:
//   - connectivity: incidents that overlap the period, per store each
//     incident naming it, with the incident's span clipped to the period
//     (a shared incident counts its whole span for each of its stores);
//     "down now" is an incident still open at report time;
//   - sync: p50/p95 by nearest rank over every sync run of the period;
//   - thread restoration: a conversation is re-attached when it had new
//     messages in the period after a boundary (the period start, or the
//     latest engine start before the messages) and its thread was mapped
//     before that boundary, so the messages went into its existing thread;
//     a second thread is a "duplicate" thread event (a thread opened for a
//     conversation that already had one); "replaced" threads are the
//     self-healing of deleted threads and are shown, not counted against;
//   - missed replies: conversations with a thread whose oldest unanswered
//     buyer message is older than the SLA at report time;
//   - first response: the reply that ended a buyer's wait, timed from the
//     oldest unanswered buyer message to the send.

// State is the read-only part of bridge.State a report is computed from.
type State interface {
	StoreState(ctx context.Context, id bridge.StoreID) (bridge.StoreState, error)
	Conversations(ctx context.Context, id bridge.StoreID) ([]bridge.ConversationRecord, error)
	InboundBacklog(ctx context.Context) ([]bridge.ConversationBacklog, error)
	Replies(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.Reply, error)
	UnfinishedReplies(ctx context.Context) ([]bridge.Reply, error)
	Incidents(ctx context.Context, since time.Time) ([]bridge.Incident, error)
	SyncRuns(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.SyncRun, error)
	Responses(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.ResponseEvent, error)
	Restarts(ctx context.Context, since time.Time) ([]bridge.RestartEvent, error)
	ThreadEvents(ctx context.Context, since time.Time) ([]bridge.ThreadEvent, error)
	LoadTokens(ctx context.Context, store bridge.StoreID) (bridge.Tokens, error)
	StoreAuthRecord(ctx context.Context, id bridge.StoreID) (bridge.StoreAuthRecord, error)
	LastAuthAttempt(ctx context.Context, id bridge.StoreID) (bridge.AuthAttempt, error)
}

// Source is what a report is computed from.
type Source struct {
	State  State
	Stores []bridge.Store
	// Now is the report's "now": current state, waits and expiries.
	Now time.Time
	// ConfigTokens names stores whose tokens come from the configuration
	// file and were not saved in state yet.
	ConfigTokens map[bridge.StoreID]bool
}

// Build computes the report of [since, until) with cfg's SLA and
// thresholds (defaults applied to zero fields).
func Build(ctx context.Context, src Source, cfg Config, since, until time.Time) (bridge.Report, error) {
	cfg.SetDefaults()
	st := src.State
	now := src.Now
	if now.IsZero() {
		now = until
	}
	loc := location(cfg.Timezone)
	rep := bridge.Report{
		Since: since, Until: until, GeneratedAt: now, Location: loc,
		SLA: cfg.SLA, Thresholds: cfg.Thresholds, MaxListed: cfg.MaxListed,
	}
	rep.Title = Title(since, until, loc)
	in := func(t time.Time) bool { return !t.Before(since) && t.Before(until) }

	incidents, err := st.Incidents(ctx, since)
	if err != nil {
		return rep, fmt.Errorf("report: incidents: %w", err)
	}
	runs, err := st.SyncRuns(ctx, "", since)
	if err != nil {
		return rep, fmt.Errorf("report: sync runs: %w", err)
	}
	convs, err := st.Conversations(ctx, "")
	if err != nil {
		return rep, fmt.Errorf("report: conversations: %w", err)
	}
	threadEvents, err := st.ThreadEvents(ctx, since)
	if err != nil {
		return rep, fmt.Errorf("report: thread events: %w", err)
	}
	restarts, err := st.Restarts(ctx, since)
	if err != nil {
		return rep, fmt.Errorf("report: restarts: %w", err)
	}
	// A new install's first start is no restart: with nothing saved it
	// cannot resume, and it is not the full resync of a restart that lost
	// its saved state. It is the first start the state ever recorded.
	var firstStart time.Time
	if all, err := st.Restarts(ctx, time.Time{}); err != nil {
		return rep, fmt.Errorf("report: restarts: %w", err)
	} else if len(all) > 0 && !all[0].Resumed {
		firstStart = all[0].At
	}
	replies, err := st.Replies(ctx, "", since)
	if err != nil {
		return rep, fmt.Errorf("report: replies: %w", err)
	}
	unfinished, err := st.UnfinishedReplies(ctx)
	if err != nil {
		return rep, fmt.Errorf("report: pending replies: %w", err)
	}
	responses, err := st.Responses(ctx, "", since)
	if err != nil {
		return rep, fmt.Errorf("report: responses: %w", err)
	}
	backlog, err := st.InboundBacklog(ctx)
	if err != nil {
		return rep, fmt.Errorf("report: inbound backlog: %w", err)
	}
	backlogOf := map[bridge.StoreID]*bridge.BacklogStats{}
	for _, b := range backlog {
		bs := backlogOf[b.Store]
		if bs == nil {
			bs = &bridge.BacklogStats{}
			backlogOf[b.Store] = bs
		}
		addBacklog(bs, b.Pending, b.Oldest)
	}

	// Restarts of the period, oldest first.
	var starts []time.Time
	for _, r := range restarts {
		if !in(r.At) {
			continue
		}
		starts = append(starts, r.At)
		if !r.Resumed && r.At.Equal(firstStart) {
			rep.Restarts.FirstStart = r.At
			continue
		}
		rep.Restarts.Events = append(rep.Restarts.Events, r)
		if r.Resumed {
			rep.Restarts.Resumed++
		} else {
			rep.Restarts.Full++
		}
	}

	// Incidents: clipped spans within the period.
	var spans []clippedIncident
	for _, inc := range incidents {
		end := inc.EndedAt
		if end.IsZero() {
			end = now
		}
		from, to := later(inc.StartedAt, since), end
		if to.After(until) {
			to = until
		}
		if !inc.StartedAt.Before(until) || to.Before(from) {
			continue
		}
		spans = append(spans, clippedIncident{inc, from, to})
		rep.Incidents = append(rep.Incidents, inc)
	}

	// Thread mapping changes of the period, per conversation.
	mappedAt := map[conversationKey]time.Time{}
	threadStats := map[bridge.StoreID]*bridge.ThreadStats{}
	duplicates := map[conversationKey]bool{}
	for _, ev := range threadEvents {
		if !in(ev.At) {
			continue
		}
		ts := threadStats[ev.Store]
		if ts == nil {
			ts = &bridge.ThreadStats{}
			threadStats[ev.Store] = ts
		}
		k := conversationKey{ev.Store, ev.Conversation}
		switch ev.Kind {
		case bridge.ThreadOpened:
			ts.Opened++
			mappedAt[k] = later(mappedAt[k], ev.At)
		case bridge.ThreadReplaced:
			ts.Replaced++
			mappedAt[k] = later(mappedAt[k], ev.At)
		case bridge.ThreadDuplicate:
			if !duplicates[k] {
				duplicates[k] = true
				ts.Duplicates++
			}
		}
	}

	agents := map[string]*agentSamples{}
	var agentOrder []string
	var total storeSamples
	for _, s := range src.Stores {
		sr := bridge.StoreReport{Store: s}
		if bs := backlogOf[s.ID]; bs != nil {
			sr.Backlog = *bs
		}
		var samples storeSamples

		// Connectivity.
		for _, sp := range spans {
			if sp.in.Scope == "marketplace" && slices.Contains(sp.in.Stores, s.ID) {
				addIncident(&sr.Connectivity, sp)
			}
		}

		// Sync health.
		ss, err := st.StoreState(ctx, s.ID)
		if err != nil {
			return rep, fmt.Errorf("report: state of store %s: %w", s.ID, err)
		}
		sr.Sync.LastOK, sr.Sync.Paused = ss.LastSyncAt, ss.Paused
		for _, r := range runs {
			if r.Store != s.ID || !in(r.StartedAt) {
				continue
			}
			sr.Sync.Runs++
			if !r.OK {
				sr.Sync.Failed++
			}
			if r.Duration > cfg.Thresholds.SlowSync {
				sr.Sync.Slow++
			}
			samples.sync = append(samples.sync, r.Duration)
		}
		sr.Sync.P50, sr.Sync.P95 = percentile(samples.sync, 50), percentile(samples.sync, 95)

		// Threads.
		if ts := threadStats[s.ID]; ts != nil {
			sr.Threads = *ts
		}
		for _, c := range convs {
			if c.Store != s.ID {
				continue
			}
			if reattached(c, mappedAt[conversationKey{c.Store, c.ID}], since, until, starts) {
				sr.Threads.Reattached++
			}
			if !c.Thread.IsZero() && !c.AwaitingSince.IsZero() && now.Sub(c.AwaitingSince) > cfg.SLA {
				sr.Missed = append(sr.Missed, bridge.MissedReply{
					Store: s, Conversation: c.ID, BuyerName: c.BuyerName, Thread: c.Thread, Link: c.Link,
					AwaitingSince: c.AwaitingSince, Waiting: now.Sub(c.AwaitingSince),
				})
			}
		}
		sortMissedReplies(sr.Missed)

		// Authorization.
		if sr.Auth, err = authStats(ctx, st, s, src.ConfigTokens[s.ID], now, cfg.Thresholds.TokenWarn); err != nil {
			return rep, fmt.Errorf("report: authorization of store %s: %w", s.ID, err)
		}

		// Replies.
		reasons := map[string]int{}
		for _, r := range replies {
			if r.Store != s.ID || !in(r.CreatedAt) {
				continue
			}
			switch r.Status {
			case bridge.ReplySent:
				sr.Replies.Sent++
				samples.latency = append(samples.latency, r.SentAt.Sub(r.CreatedAt))
			case bridge.ReplyFailed:
				sr.Replies.Failed++
				reason := strings.TrimSpace(r.Reason)
				if reason == "" {
					reason = "unknown"
				}
				reasons[reason]++
			}
		}
		for _, r := range unfinished {
			if r.Store != s.ID {
				continue
			}
			sr.Replies.Pending++
			if now.Sub(r.CreatedAt) > cfg.Thresholds.PendingWarn {
				sr.Replies.Stuck++
			}
		}
		sr.Replies.Reasons = sortFailureReasons(reasons)
		sr.Replies.LatencyP95 = percentile(samples.latency, 95)
		samples.reasons = reasons

		// First responses.
		for _, r := range responses {
			if r.Store != s.ID || !in(r.RespondedAt) {
				continue
			}
			w := r.Waited()
			samples.response = append(samples.response, w)
			key := r.AgentID
			if key == "" {
				key = "name:" + r.AgentName
			}
			a := agents[key]
			if a == nil {
				a = &agentSamples{AgentResponse: bridge.AgentResponse{AgentID: r.AgentID}}
				agents[key] = a
				agentOrder = append(agentOrder, key)
			}
			if r.AgentName != "" {
				a.AgentName = r.AgentName
			}
			a.waits = append(a.waits, w)
		}
		sr.Response = durationStats(samples.response, cfg.SLA)

		sr.Checks = storeChecks(sr, cfg, now)
		rep.Stores = append(rep.Stores, sr)
		rep.Missed = append(rep.Missed, sr.Missed...)
		total.add(samples)
	}
	sortMissedReplies(rep.Missed)

	// Chat surface incidents.
	for _, sp := range spans {
		if sp.in.Scope != "marketplace" {
			addIncident(&rep.Chat, sp)
		}
	}
	if rep.Chat.Incidents > 0 {
		rep.ChatCheck = newChecker(cfg, now).connectivity(rep.Chat, false)
	}

	rep.Total = totals(rep, spans, total, cfg)

	for _, k := range agentOrder {
		a := agents[k]
		a.DurationStats = durationStats(a.waits, cfg.SLA)
		rep.Agents = append(rep.Agents, a.AgentResponse)
	}
	sort.SliceStable(rep.Agents, func(i, j int) bool {
		ai, aj := rep.Agents[i], rep.Agents[j]
		if ai.P90 != aj.P90 {
			return ai.P90 > aj.P90
		}
		return ai.Label() < aj.Label()
	})

	rep.Checks = summaryChecks(rep, cfg, now)
	return rep, nil
}

// conversationKey names a conversation.
type conversationKey struct {
	store bridge.StoreID
	conv  bridge.ConversationID
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// clippedIncident is an incident with its span clipped to the period.
type clippedIncident struct {
	in       bridge.Incident
	from, to time.Time
}

// addBacklog counts a conversation's pending messages.
func addBacklog(b *bridge.BacklogStats, pending int, oldest time.Time) {
	b.Pending += pending
	if !oldest.IsZero() && (b.Oldest.IsZero() || oldest.Before(b.Oldest)) {
		b.Oldest = oldest
	}
}

// addIncident counts one incident.
func addIncident(c *bridge.ConnectivityStats, ci clippedIncident) {
	c.Incidents++
	d := ci.to.Sub(ci.from)
	c.Downtime += d
	c.Longest = max(c.Longest, d)
	if ci.in.EndedAt.IsZero() {
		if !c.DownNow || ci.in.StartedAt.Before(c.DownSince) {
			c.DownSince = ci.in.StartedAt
		}
		c.DownNow = true
	} else if ci.in.CatchUpFailed {
		c.CatchUpFailed = true
	}
}

// reattached reports whether a conversation's new messages in the period
// went into a thread it already had before the period or before the
// latest engine start preceding them.
func reattached(c bridge.ConversationRecord, mapped time.Time, since, until time.Time, starts []time.Time) bool {
	last := later(c.LastBuyerAt, c.LastSellerAt)
	if c.Thread.IsZero() || last.Before(since) || !last.Before(until) {
		return false
	}
	boundary := since
	for _, s := range starts {
		if !s.After(last) && s.After(boundary) {
			boundary = s
		}
	}
	return mapped.Before(boundary)
}

func sortMissedReplies(m []bridge.MissedReply) {
	sort.SliceStable(m, func(i, j int) bool {
		if !m[i].AwaitingSince.Equal(m[j].AwaitingSince) {
			return m[i].AwaitingSince.Before(m[j].AwaitingSince)
		}
		if m[i].Store.ID != m[j].Store.ID {
			return m[i].Store.ID < m[j].Store.ID
		}
		return m[i].Conversation < m[j].Conversation
	})
}

func sortFailureReasons(m map[string]int) []bridge.ReasonCount {
	out := make([]bridge.ReasonCount, 0, len(m))
	for r, n := range m {
		out = append(out, bridge.ReasonCount{Reason: r, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// storeSamples are one store's raw durations, summed for the totals.
type storeSamples struct {
	sync, latency, response []time.Duration
	reasons                 map[string]int
}

func (t *storeSamples) add(s storeSamples) {
	t.sync = append(t.sync, s.sync...)
	t.latency = append(t.latency, s.latency...)
	t.response = append(t.response, s.response...)
	if t.reasons == nil {
		t.reasons = map[string]int{}
	}
	for r, n := range s.reasons {
		t.reasons[r] += n
	}
}

type agentSamples struct {
	bridge.AgentResponse
	waits []time.Duration
}

// totals sums the stores: incidents are counted once however many stores
// they name, percentiles are taken over every store's samples.
func totals(rep bridge.Report, incidents []clippedIncident, s storeSamples, cfg Config) bridge.StoreReport {
	t := bridge.StoreReport{Store: bridge.Store{Name: "All stores"}}
	for _, ci := range incidents {
		addIncident(&t.Connectivity, ci)
	}
	for _, sr := range rep.Stores {
		if sr.Connectivity.DownNow {
			t.Connectivity.DownStores = append(t.Connectivity.DownStores, sr.Store.ID)
		}
		t.Sync.Runs += sr.Sync.Runs
		t.Sync.Failed += sr.Sync.Failed
		t.Sync.Slow += sr.Sync.Slow
		if syncStale(sr.Sync, rep.GeneratedAt, cfg.Thresholds.StaleSync) {
			t.Sync.Stale++
		}
		t.Threads.Opened += sr.Threads.Opened
		t.Threads.Reattached += sr.Threads.Reattached
		t.Threads.Replaced += sr.Threads.Replaced
		t.Threads.Duplicates += sr.Threads.Duplicates
		switch sr.Check(bridge.CheckAuth).Verdict {
		case bridge.VerdictOK:
			t.Auth.Authorized++
		case bridge.VerdictWarn:
			t.Auth.Warning++
		default:
			t.Auth.Failing++
		}
		t.Replies.Sent += sr.Replies.Sent
		t.Replies.Failed += sr.Replies.Failed
		t.Replies.Pending += sr.Replies.Pending
		t.Replies.Stuck += sr.Replies.Stuck
		addBacklog(&t.Backlog, sr.Backlog.Pending, sr.Backlog.Oldest)
	}
	t.Sync.P50, t.Sync.P95 = percentile(s.sync, 50), percentile(s.sync, 95)
	t.Replies.Reasons = sortFailureReasons(s.reasons)
	t.Replies.LatencyP95 = percentile(s.latency, 95)
	t.Response = durationStats(s.response, cfg.SLA)
	t.Missed = rep.Missed
	return t
}

// authStats reads a store's authorization health.
func authStats(ctx context.Context, st State, s bridge.Store, configTokens bool, now time.Time, warn time.Duration) (bridge.AuthStats, error) {
	sa, err := bridge.StoreAuthStatus(ctx, st, s.ID)
	if err != nil {
		return bridge.AuthStats{}, err
	}
	a := bridge.AuthStats{
		HasTokens: sa.HasTokens, AccessExpiresAt: sa.AccessExpiresAt, RefreshExpiresAt: sa.RefreshExpiresAt,
		ProxyExpiresAt: s.ProxyExpiry, NeedsUpdate: sa.NeedsUpdate, Reason: sa.Reason,
	}
	switch att, err := st.LastAuthAttempt(ctx, s.ID); {
	case errors.Is(err, bridge.ErrNotFound):
	case err != nil:
		return a, fmt.Errorf("last authorization attempt of %s: %w", s.ID, err)
	default:
		a.LastAttempt = &att
	}
	switch {
	case a.NeedsUpdate:
		a.Status = "needs update"
	case !a.HasTokens && configTokens:
		a.Status = statusConfigTokens
	case !a.HasTokens:
		a.Status = "no saved tokens"
	case tokensExpired(a, now):
		a.Status = "expired"
	default:
		a.Status = "authorized"
	}
	return a, nil
}

// tokensExpired: the refresh token has expired, or there is none to renew
// an expired access token.
func tokensExpired(a bridge.AuthStats, now time.Time) bool {
	if !a.RefreshExpiresAt.IsZero() {
		return !now.Before(a.RefreshExpiresAt)
	}
	return false
}

// percentile is the nearest-rank percentile p (0–100) of ds; 0 for none.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := (p*len(s) + 99) / 100 // ceil(p/100 · n)
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

func durationStats(ds []time.Duration, sla time.Duration) bridge.DurationStats {
	out := bridge.DurationStats{Count: len(ds), P50: percentile(ds, 50), P90: percentile(ds, 90)}
	for _, d := range ds {
		if d > sla {
			out.Late++
		}
	}
	return out
}
