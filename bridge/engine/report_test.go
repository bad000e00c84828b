package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/report"
)

// The scripted day: 2026-03-09 09:00 → 2026-03-10 09:00 Europe/Berlin (CET,
// UTC+1), three stores, known incidents, syncs, threads, replies, waits,
// restarts and authorization states. Every figure and every verdict of the
// report is checked.
var (
	dayStart = time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	dayEnd   = dayStart.Add(24 * time.Hour)
)

func dayAt(d time.Duration) time.Time { return dayStart.Add(d) }

var (
	storeA = bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY",
		ProxyURL: "http://proxy.example:3128", ProxyExpiry: dayEnd.Add(72 * time.Hour)}
	storeB = bridge.Store{ID: "lazada-sg", Platform: bridge.PlatformLazada, ShopID: "2002", Name: "SG Shop", Site: "SG"}
	storeC = bridge.Store{ID: "tiktok-th", Platform: bridge.PlatformTikTok, ShopID: "3003", Name: "TH Shop", Site: "TH"}
)

type scriptedDay struct {
	clock *bridgetest.Clock
	state bridge.State
	chat  *reportChat
	eng   *engine.Engine
	rep   *report.Reporter
}

func th(n string) bridge.ThreadRef { return bridge.ThreadRef{Channel: "C-inbox", ID: "17000000." + n} }

// scriptDay writes the day into a fresh state, in time order (the state
// times thread events with the fake clock).
func scriptDay(t *testing.T) *scriptedDay {
	t.Helper()
	ctx := context.Background()
	clock := bridgetest.NewClock(dayStart.Add(-72 * time.Hour))
	st := openReportState(t, reportDB(t), clock)
	conv := func(s bridge.Store, id string, thread bridge.ThreadRef, buyer string) bridge.ConversationRecord {
		now := clock.Now()
		return bridge.ConversationRecord{Store: s.ID, ID: bridge.ConversationID(id), BuyerName: buyer, Thread: thread,
			Link: "https://seller.example/" + id, CreatedAt: now, UpdatedAt: now}
	}
	create := func(c bridge.ConversationRecord) {
		reportMust(t, "CreateConversation "+string(c.ID), st.CreateConversation(ctx, c))
	}
	update := func(c bridge.ConversationRecord) {
		reportMust(t, "UpdateConversation "+string(c.ID), st.UpdateConversation(ctx, c))
	}

	// Before the period: conversations with their threads, a restart, an incident.
	c6 := conv(storeC, "c6", th("6"), "Old Buyer")
	c6.LastBuyerAt, c6.AwaitingSince = dayStart.Add(-71*time.Hour), dayStart.Add(-71*time.Hour)
	create(c6)
	clock.Set(dayStart.Add(-48 * time.Hour))
	c1 := conv(storeA, "c1", th("1"), "Ana Buyer")
	c1.LastBuyerAt = clock.Now()
	create(c1)
	clock.Set(dayStart.Add(-24 * time.Hour))
	c4 := conv(storeB, "c4", th("4"), "Bo")
	create(c4)
	reportMust(t, "RecordRestart", st.RecordRestart(ctx, bridge.RestartEvent{At: clock.Now(), Stores: 3}))
	openIncident(t, st, bridge.Incident{Scope: "marketplace", Stores: []bridge.StoreID{storeA.ID}, StartedAt: dayAt(-3 * time.Hour), EndedAt: dayAt(-2 * time.Hour)})

	// Incidents overlapping the period.
	openIncident(t, st, bridge.Incident{Scope: "marketplace", Stores: []bridge.StoreID{storeC.ID}, Error: "dial tcp: i/o timeout",
		StartedAt: dayAt(-30 * time.Minute), EndedAt: dayAt(15 * time.Minute), CaughtUp: 2})
	openIncident(t, st, bridge.Incident{Scope: "marketplace", Stores: []bridge.StoreID{storeA.ID, storeB.ID}, Error: "503",
		StartedAt: dayAt(2 * time.Hour), EndedAt: dayAt(2*time.Hour + 10*time.Minute), CaughtUp: 5})
	openIncident(t, st, bridge.Incident{Scope: "marketplace", Stores: []bridge.StoreID{storeA.ID}, Error: "503",
		StartedAt: dayAt(5 * time.Hour), EndedAt: dayAt(5*time.Hour + 40*time.Minute)})
	openIncident(t, st, bridge.Incident{Scope: "slack", Error: "socket closed",
		StartedAt: dayAt(20 * time.Hour), EndedAt: dayAt(20*time.Hour + 3*time.Minute)})
	openIncident(t, st, bridge.Incident{Scope: "marketplace", Stores: []bridge.StoreID{storeB.ID}, Error: "connection refused",
		StartedAt: dayEnd.Add(-20 * time.Minute)})

	// The day's conversations.
	clock.Set(dayAt(time.Hour))
	c2 := conv(storeA, "c2", th("2"), "Chen")
	c2.LastBuyerAt, c2.LastSellerAt = clock.Now(), clock.Now().Add(2*time.Minute)
	create(c2)
	clock.Set(dayAt(2 * time.Hour))
	c7 := conv(storeC, "c7", bridge.ThreadRef{}, "Silent")
	c7.LastBuyerAt, c7.AwaitingSince = clock.Now(), clock.Now()
	create(c7)
	clock.Set(dayAt(3 * time.Hour))
	c1.LastBuyerAt, c1.LastSellerAt = dayAt(3*time.Hour), dayAt(3*time.Hour+5*time.Minute)
	update(c1)
	clock.Set(dayAt(4 * time.Hour))
	c4.Thread, c4.LastBuyerAt = th("4b"), clock.Now() // the old thread was deleted
	update(c4)
	reportMust(t, "RecordRestart", st.RecordRestart(ctx, bridge.RestartEvent{At: dayAt(6 * time.Hour), Resumed: true, Stores: 3, StoresWithCursor: 3}))
	clock.Set(dayAt(7 * time.Hour))
	c2.LastBuyerAt, c2.AwaitingSince = clock.Now(), clock.Now()
	update(c2)
	clock.Set(dayAt(8 * time.Hour))
	c3 := conv(storeA, "c3", th("3"), "Dewi")
	c3.LastBuyerAt, c3.LastSellerAt = clock.Now(), clock.Now().Add(2*time.Minute)
	create(c3)
	clock.Set(dayAt(9 * time.Hour))
	c5 := conv(storeB, "c5", th("5"), "Eka")
	c5.LastBuyerAt = clock.Now()
	create(c5)
	clock.Set(dayAt(9*time.Hour + time.Minute))
	if err := st.CreateConversation(ctx, conv(storeB, "c5", th("5b"), "Eka")); err == nil {
		t.Fatal("a second thread for c5 was accepted")
	}
	reportMust(t, "RecordRestart", st.RecordRestart(ctx, bridge.RestartEvent{At: dayAt(14 * time.Hour), Stores: 3}))
	clock.Set(dayAt(23*time.Hour + 30*time.Minute))
	c5.LastBuyerAt, c5.AwaitingSince = clock.Now(), clock.Now()
	update(c5)
	clock.Set(dayAt(23*time.Hour + 50*time.Minute))
	c8 := conv(storeA, "c8", th("8"), "Fay")
	c8.LastBuyerAt, c8.AwaitingSince = clock.Now(), clock.Now()
	create(c8)

	// Sync runs and the stores' last successful syncs.
	syncs := map[bridge.Store][]time.Duration{
		storeA: {time.Second, time.Second, 2 * time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second, 12 * time.Second, 15 * time.Second},
		storeB: {500 * time.Millisecond, 800 * time.Millisecond, 30 * time.Second, 900 * time.Millisecond},
		storeC: {2 * time.Second, 2 * time.Second},
	}
	for s, ds := range syncs {
		for i, d := range ds {
			ok := !(s.ID == storeB.ID && d == 30*time.Second)
			reportMust(t, "RecordSync", st.RecordSync(ctx, bridge.SyncRun{Store: s.ID, StartedAt: dayAt(time.Hour + time.Duration(i)*10*time.Minute), Duration: d, OK: ok}))
		}
	}
	reportMust(t, "RecordSync", st.RecordSync(ctx, bridge.SyncRun{Store: storeA.ID, StartedAt: dayAt(-time.Hour), Duration: time.Minute, OK: true}))
	for s, ago := range map[bridge.StoreID]time.Duration{storeA.ID: time.Minute, storeB.ID: 20 * time.Minute, storeC.ID: 2 * time.Minute} {
		reportMust(t, "SaveSyncCursor", st.SaveSyncCursor(ctx, s, dayEnd.Add(-ago), dayEnd.Add(-ago)))
	}

	// Tokens, authorization records and attempts.
	reportMust(t, "SaveTokens", st.SaveTokens(ctx, storeA.ID, bridge.Tokens{AccessToken: "a", RefreshToken: "r",
		AccessExpiresAt: dayEnd.Add(3 * time.Hour), RefreshExpiresAt: dayEnd.Add(20 * 24 * time.Hour)}))
	reportMust(t, "SaveTokens", st.SaveTokens(ctx, storeB.ID, bridge.Tokens{AccessToken: "a", RefreshToken: "r",
		AccessExpiresAt: dayEnd.Add(time.Hour), RefreshExpiresAt: dayEnd.Add(5 * 24 * time.Hour)}))
	reportMust(t, "SaveTokens", st.SaveTokens(ctx, storeC.ID, bridge.Tokens{AccessToken: "a", RefreshToken: "r",
		AccessExpiresAt: dayEnd.Add(-time.Hour), RefreshExpiresAt: dayEnd.Add(10 * 24 * time.Hour)}))
	reportMust(t, "SaveStoreAuthRecord", st.SaveStoreAuthRecord(ctx, bridge.StoreAuthRecord{Store: storeC.ID, NeedsUpdate: true, Reason: "refresh refused"}))
	reportMust(t, "RecordAuthAttempt", st.RecordAuthAttempt(ctx, storeA.ID, bridge.AuthAttempt{At: dayAt(time.Hour), OK: true, Detail: "tokens refreshed"}))
	reportMust(t, "RecordAuthAttempt", st.RecordAuthAttempt(ctx, storeC.ID, bridge.AuthAttempt{At: dayAt(12 * time.Hour), OK: false, Detail: "invalid_grant"}))

	// Replies: latencies, failures, one pending for 10 minutes.
	n := 0
	reply := func(s bridge.Store, created time.Time, status bridge.ReplyStatus, latency time.Duration, reason string) {
		n++
		r, err := st.EnqueueReply(ctx, bridge.Reply{Store: s.ID, Conversation: "c", ChatMessage: bridge.ChatMessageRef{Channel: "C", ID: fmt.Sprint(n)},
			Text: "hi", CreatedAt: created, UpdatedAt: created})
		reportMust(t, "EnqueueReply", err)
		if status == bridge.ReplyQueued {
			return
		}
		r.Status, r.Reason = status, reason
		if status == bridge.ReplySent {
			r.SentAt = created.Add(latency)
		}
		reportMust(t, "UpdateReply", st.UpdateReply(ctx, r))
	}
	reply(storeA, dayAt(-time.Hour), bridge.ReplyFailed, 0, "before the period")
	for i, l := range []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second} {
		reply(storeA, dayAt(3*time.Hour+time.Duration(i)*time.Hour), bridge.ReplySent, l, "")
	}
	reply(storeA, dayEnd.Add(-10*time.Minute), bridge.ReplyQueued, 0, "")
	for i := 1; i <= 9; i++ {
		reply(storeB, dayAt(time.Duration(i)*time.Hour), bridge.ReplySent, time.Duration(i)*time.Second, "")
	}
	reply(storeB, dayAt(10*time.Hour), bridge.ReplyFailed, 0, "shopee: rate limited")
	reply(storeC, dayAt(11*time.Hour), bridge.ReplySent, 45*time.Second, "")
	reply(storeC, dayAt(12*time.Hour), bridge.ReplyFailed, 0, "auth: token expired")
	reply(storeC, dayAt(13*time.Hour), bridge.ReplyFailed, 0, "auth: token expired")

	// First responses.
	resp := func(s bridge.Store, conv, agentID, agent string, from time.Time, waited time.Duration) {
		reportMust(t, "RecordResponse", st.RecordResponse(ctx, bridge.ResponseEvent{Store: s.ID, Conversation: bridge.ConversationID(conv),
			AgentID: agentID, AgentName: agent, AwaitingSince: from, RespondedAt: from.Add(waited)}))
	}
	resp(storeA, "c0", "U1", "Ana", dayAt(-2*time.Hour), time.Hour) // before the period
	resp(storeA, "c1", "U1", "Ana", dayAt(3*time.Hour), 5*time.Minute)
	resp(storeA, "c3", "U1", "Ana", dayAt(8*time.Hour), 2*time.Minute)
	resp(storeB, "c4", "U2", "Ben", dayAt(4*time.Hour), 20*time.Minute)
	resp(storeB, "c9", "U2", "Ben", dayAt(5*time.Hour), 30*time.Minute)
	resp(storeB, "c10", "U2", "Ben", dayAt(6*time.Hour), 10*time.Minute)
	resp(storeC, "c11", "U1", "Ana", dayAt(15*time.Hour), 70*time.Minute)

	clock.Set(dayEnd)
	chat := newReportChat(false)
	eng := engine.New(engine.Config{}, engine.Deps{State: st, Chat: chat, Stores: []bridge.Store{storeA, storeB, storeC}, Clock: clock})
	cfg := report.Config{Timezone: "Europe/Berlin"}
	rep, err := newReporter(eng, st, chat, clock, cfg)
	reportMust(t, "NewReporter", err)
	return &scriptedDay{clock: clock, state: st, chat: chat, eng: eng, rep: rep}
}

func openIncident(t *testing.T, st bridge.State, in bridge.Incident) {
	t.Helper()
	_, err := st.OpenIncident(context.Background(), in)
	reportMust(t, "OpenIncident", err)
}

type figure struct {
	name      string
	got, want any
}

func checkFigures(t *testing.T, figs []figure) {
	t.Helper()
	for _, f := range figs {
		if fmt.Sprint(f.got) != fmt.Sprint(f.want) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}

func checkVerdict(t *testing.T, what string, c bridge.Check, v bridge.Verdict, text, rule string) {
	t.Helper()
	if c.Verdict != v || c.Text != text || c.Rule != rule {
		t.Errorf("%s:\n got %s %q [%q]\nwant %s %q [%q]", what, c.Verdict.Mark(), c.Text, c.Rule, v.Mark(), text, rule)
	}
}

func TestReportOfAScriptedDay(t *testing.T) {
	d := scriptDay(t)
	r, err := d.rep.Build(context.Background(), dayStart, dayEnd, nil, "")
	reportMust(t, "Build", err)
	a, b, c := r.Stores[0], r.Stores[1], r.Stores[2]
	m := time.Minute

	t.Run("figures", func(t *testing.T) {
		checkFigures(t, []figure{
			{"title", r.Title, "Daily inspection · Mar 9 09:00 → Mar 10 09:00 CET"},
			// Connectivity: A in the shared 10m incident and its own 40m one;
			// B in the shared one and down for the last 20m; C's incident
			// clipped at the period start; the Slack incident counts in the total.
			{"A incidents", a.Connectivity.Incidents, 2}, {"A downtime", a.Connectivity.Downtime, 50 * m}, {"A longest", a.Connectivity.Longest, 40 * m},
			{"A down now", a.Connectivity.DownNow, false},
			{"B incidents", b.Connectivity.Incidents, 2}, {"B downtime", b.Connectivity.Downtime, 30 * m}, {"B longest", b.Connectivity.Longest, 20 * m},
			{"B down now", b.Connectivity.DownNow, true}, {"B down since", b.Connectivity.DownSince, dayEnd.Add(-20 * m)},
			{"C incidents", c.Connectivity.Incidents, 1}, {"C downtime", c.Connectivity.Downtime, 15 * m},
			{"chat incidents", r.Chat.Incidents, 1}, {"chat downtime", r.Chat.Downtime, 3 * m},
			{"total incidents", r.Total.Connectivity.Incidents, 5}, {"total downtime", r.Total.Connectivity.Downtime, 88 * m},
			{"total longest", r.Total.Connectivity.Longest, 40 * m}, {"down stores", r.Total.Connectivity.DownStores, []bridge.StoreID{storeB.ID}},
			{"listed incidents", len(r.Incidents), 5},
			// Sync: nearest-rank percentiles.
			{"A runs", a.Sync.Runs, 10}, {"A p50", a.Sync.P50, 3 * time.Second}, {"A p95", a.Sync.P95, 15 * time.Second}, {"A slow", a.Sync.Slow, 2},
			{"A last ok", a.Sync.LastOK, dayEnd.Add(-m)},
			{"B runs", b.Sync.Runs, 4}, {"B failed", b.Sync.Failed, 1}, {"B p50", b.Sync.P50, 800 * time.Millisecond}, {"B p95", b.Sync.P95, 30 * time.Second},
			{"B slow", b.Sync.Slow, 1}, {"B last ok", b.Sync.LastOK, dayEnd.Add(-20 * m)},
			{"C p50", c.Sync.P50, 2 * time.Second}, {"C slow", c.Sync.Slow, 0},
			{"total runs", r.Total.Sync.Runs, 16}, {"total p50", r.Total.Sync.P50, 2 * time.Second}, {"total p95", r.Total.Sync.P95, 30 * time.Second},
			{"total slow", r.Total.Sync.Slow, 3}, {"stale stores", r.Total.Sync.Stale, 1},
			// Threads: c1 (mapped before the period) and c2 (before the 06:00
			// restart) re-attached in A; c5 (before the 14:00 restart) in B.
			{"A threads", a.Threads, bridge.ThreadStats{Opened: 3, Reattached: 2}},
			{"B threads", b.Threads, bridge.ThreadStats{Opened: 1, Reattached: 1, Replaced: 1, Duplicates: 1}},
			{"C threads", c.Threads, bridge.ThreadStats{}},
			{"total threads", r.Total.Threads, bridge.ThreadStats{Opened: 4, Reattached: 3, Replaced: 1, Duplicates: 1}},
			// Authorization.
			{"A status", a.Auth.Status, "authorized"}, {"A refresh expiry", a.Auth.RefreshExpiresAt, dayEnd.Add(480 * time.Hour)},
			{"A proxy expiry", a.Auth.ProxyExpiresAt, dayEnd.Add(72 * time.Hour)}, {"A last attempt ok", a.Auth.LastAttempt.OK, true},
			{"B status", b.Auth.Status, "authorized"}, {"B last attempt", b.Auth.LastAttempt == nil, true},
			{"C status", c.Auth.Status, "needs update"}, {"C reason", c.Auth.Reason, "refresh refused"},
			{"C last attempt", *c.Auth.LastAttempt, bridge.AuthAttempt{At: dayAt(12 * time.Hour), OK: false, Detail: "invalid_grant"}},
			// Replies.
			{"A replies", fmt.Sprint(a.Replies.Sent, a.Replies.Failed, a.Replies.Pending, a.Replies.Stuck), "3 0 1 1"}, {"A latency", a.Replies.LatencyP95, 6 * time.Second},
			{"B replies", fmt.Sprint(b.Replies.Sent, b.Replies.Failed, b.Replies.Pending), "9 1 0"}, {"B latency", b.Replies.LatencyP95, 9 * time.Second},
			{"C replies", fmt.Sprint(c.Replies.Sent, c.Replies.Failed), "1 2"}, {"C reasons", c.Replies.Reasons, []bridge.ReasonCount{{Reason: "auth: token expired", Count: 2}}},
			{"total replies", fmt.Sprint(r.Total.Replies.Sent, r.Total.Replies.Failed, r.Total.Replies.Pending), "13 3 1"},
			{"total latency", r.Total.Replies.LatencyP95, 45 * time.Second},
			{"total reasons", r.Total.Replies.Reasons, []bridge.ReasonCount{{Reason: "auth: token expired", Count: 2}, {Reason: "shopee: rate limited", Count: 1}}},
			// Missed replies: oldest first; c7 has no thread, c8 waits 10m < 15m.
			{"missed", len(r.Missed), 3},
			{"missed 1", fmt.Sprintf("%s %s %v", r.Missed[0].Conversation, r.Missed[0].Waiting, r.Missed[0].Thread), "c6 95h0m0s {C-inbox 17000000.6}"},
			{"missed 2", fmt.Sprintf("%s %s %v", r.Missed[1].Conversation, r.Missed[1].Waiting, r.Missed[1].Thread), "c2 17h0m0s {C-inbox 17000000.2}"},
			{"missed 3", fmt.Sprintf("%s %s %v", r.Missed[2].Conversation, r.Missed[2].Waiting, r.Missed[2].Thread), "c5 30m0s {C-inbox 17000000.5}"},
			// First responses.
			{"A response", a.Response, bridge.DurationStats{Count: 2, P50: 2 * m, P90: 5 * m}},
			{"B response", b.Response, bridge.DurationStats{Count: 3, P50: 20 * m, P90: 30 * m, Late: 2}},
			{"C response", c.Response, bridge.DurationStats{Count: 1, P50: 70 * m, P90: 70 * m, Late: 1}},
			{"total response", r.Total.Response, bridge.DurationStats{Count: 6, P50: 10 * m, P90: 70 * m, Late: 3}},
			{"agents", fmt.Sprint(r.Agents), fmt.Sprint([]bridge.AgentResponse{
				{AgentID: "U1", AgentName: "Ana", DurationStats: bridge.DurationStats{Count: 3, P50: 5 * m, P90: 70 * m, Late: 1}},
				{AgentID: "U2", AgentName: "Ben", DurationStats: bridge.DurationStats{Count: 3, P50: 20 * m, P90: 30 * m, Late: 2}},
			})},
			// Restarts.
			{"restarts", fmt.Sprint(r.Restarts.Resumed, r.Restarts.Full, len(r.Restarts.Events)), "1 1 2"},
		})
	})

	t.Run("store verdicts", func(t *testing.T) {
		checkVerdict(t, "A connectivity", a.Check(bridge.CheckConnectivity), bridge.VerdictFail,
			"2 incidents, 50m down in total, longest 40m; up", "50m down > 30m")
		checkVerdict(t, "B connectivity", b.Check(bridge.CheckConnectivity), bridge.VerdictFail,
			"2 incidents, 30m down in total, longest 20m; down since Mar 10 08:40", "down at report time")
		checkVerdict(t, "C connectivity", c.Check(bridge.CheckConnectivity), bridge.VerdictWarn,
			"1 incident, 15m down in total, longest 15m; up", "1 incident, 15m down ≤ 30m")
		checkVerdict(t, "A sync", a.Check(bridge.CheckSync), bridge.VerdictWarn,
			"p50 3s, p95 15s over 10 syncs; 2 over 10s; last successful Mar 10 08:59", "2 syncs over 10s (❌ from 10)")
		checkVerdict(t, "B sync", b.Check(bridge.CheckSync), bridge.VerdictFail,
			"p50 800ms, p95 30s over 4 syncs (1 failed); 1 over 10s; last successful Mar 10 08:40", "no successful sync for 20m > 15m")
		checkVerdict(t, "C sync", c.Check(bridge.CheckSync), bridge.VerdictOK,
			"p50 2s, p95 2s over 2 syncs; 0 over 10s; last successful Mar 10 08:58", "no sync over 10s")
		checkVerdict(t, "A threads", a.Check(bridge.CheckThreads), bridge.VerdictOK,
			"2 re-attached to their thread, 3 new threads, 0 second threads", "0 second threads")
		checkVerdict(t, "B threads", b.Check(bridge.CheckThreads), bridge.VerdictFail,
			"1 re-attached to their thread, 1 new thread, 1 re-opened after deletion, 1 CONVERSATION GOT A SECOND THREAD", "1 second thread, must be 0")
		checkVerdict(t, "A authorization", a.Check(bridge.CheckAuth), bridge.VerdictWarn,
			"authorized; access token until Mar 10 12:00; refresh token until Mar 30 10:00 (in 20d); proxy until Mar 13 09:00 (in 3d); last update Mar 9 10:00 ok",
			"proxy expires in 3d ≤ 7d")
		checkVerdict(t, "B authorization", b.Check(bridge.CheckAuth), bridge.VerdictWarn,
			"authorized; access token until Mar 10 10:00; refresh token until Mar 15 09:00 (in 5d)", "refresh token expires in 5d ≤ 7d")
		checkVerdict(t, "C authorization", c.Check(bridge.CheckAuth), bridge.VerdictFail,
			"needs update (refresh refused); access token until Mar 10 08:00; refresh token until Mar 20 09:00 (in 10d); last update Mar 9 21:00 failed: invalid_grant",
			"needs update: run `store update`")
		checkVerdict(t, "A replies", a.Check(bridge.CheckReplies), bridge.VerdictWarn,
			"3 sent, 0 failed, 1 pending; send p95 6s", "1 reply pending longer than 5m")
		checkVerdict(t, "B replies", b.Check(bridge.CheckReplies), bridge.VerdictWarn,
			"9 sent, 1 failed, 0 pending; send p95 9s; top failure: shopee: rate limited (1)", "1 reply failed (❌ above 10%)")
		checkVerdict(t, "C replies", c.Check(bridge.CheckReplies), bridge.VerdictFail,
			"1 sent, 2 failed, 0 pending; send p95 45s; top failure: auth: token expired (2)", "66.7% failed > 10%")
		checkVerdict(t, "A missed", a.Check(bridge.CheckMissed), bridge.VerdictWarn,
			"1 conversation waiting longer than 15m, oldest 17h", "1 waiting > 15m (❌ from 5)")
		checkVerdict(t, "C missed", c.Check(bridge.CheckMissed), bridge.VerdictWarn,
			"1 conversation waiting longer than 15m, oldest 3d23h; 1 first response after more than 15m", "1 waiting > 15m (❌ from 5)")
		checkVerdict(t, "A response", a.Check(bridge.CheckResponse), bridge.VerdictOK,
			"first response p50 2m, p90 5m over 2 responses", "p90 ≤ 15m")
		checkVerdict(t, "B response", b.Check(bridge.CheckResponse), bridge.VerdictWarn,
			"first response p50 20m, p90 30m over 3 responses", "p90 30m > 15m")
		checkVerdict(t, "C response", c.Check(bridge.CheckResponse), bridge.VerdictFail,
			"first response p50 1h10m, p90 1h10m over 1 response", "p90 1h10m > 1h")
	})

	t.Run("summary verdicts", func(t *testing.T) {
		checkVerdict(t, "connectivity", r.Check(bridge.CheckConnectivity), bridge.VerdictFail,
			"5 incidents, 1h28m down in total, longest 40m; 1 store down now", "down at report time")
		checkVerdict(t, "sync", r.Check(bridge.CheckSync), bridge.VerdictFail,
			"p50 2s, p95 30s over 16 syncs (1 failed); 3 over 10s; 1 store not syncing", "lazada SG SG Shop: no successful sync for 20m > 15m")
		checkVerdict(t, "threads", r.Check(bridge.CheckThreads), bridge.VerdictFail,
			"3 re-attached to their thread, 4 new threads, 1 re-opened after deletion, 1 CONVERSATION GOT A SECOND THREAD", "1 second thread, must be 0")
		checkVerdict(t, "authorization", r.Check(bridge.CheckAuth), bridge.VerdictFail,
			"0 of 3 stores ok, 2 expiring soon, 1 needs update", "tiktok TH TH Shop: needs update: run `store update`")
		checkVerdict(t, "replies", r.Check(bridge.CheckReplies), bridge.VerdictFail,
			"13 sent, 3 failed, 1 pending; send p95 45s; top failure: auth: token expired (2)", "18.8% failed > 10%")
		checkVerdict(t, "restarts", r.Check(bridge.CheckRestarts), bridge.VerdictWarn,
			"2 restarts: 1 resumed from saved state, 1 full resync", "1 full resync ≥ 1")
		checkVerdict(t, "missed", r.Check(bridge.CheckMissed), bridge.VerdictWarn,
			"3 conversations waiting longer than 15m, oldest 3d23h; 3 first responses after more than 15m", "3 waiting > 15m (❌ from 5)")
		checkVerdict(t, "response", r.Check(bridge.CheckResponse), bridge.VerdictFail,
			"first response p50 10m, p90 1h10m over 6 responses", "p90 1h10m > 1h")
		if got := r.Headline(); got != "❌ 3 stores · 6 ❌ · 2 ⚠️ · 1 ✅" {
			t.Errorf("headline = %q", got)
		}
	})

	t.Run("plain text", func(t *testing.T) {
		text := r.Text(nil)
		for _, want := range []string{
			"Daily inspection · Mar 9 09:00 → Mar 10 09:00 CET\n❌ 3 stores · 6 ❌ · 2 ⚠️ · 1 ✅\n\n❌ Network connection: 5 incidents",
			"❌ Thread restoration: 3 re-attached to their thread, 4 new threads, 1 re-opened after deletion, 1 CONVERSATION GOT A SECOND THREAD [1 second thread, must be 0]",
			"— Missed replies —\nOld Buyer: waiting 3d23h since Mar 6 10:00 · tiktok TH TH Shop · thread C-inbox/17000000.6\nChen: waiting 17h",
			"incident: Mar 10 08:40 → still open · lazada SG SG Shop · connection refused",
			"incident: Mar 9 08:30 → Mar 9 09:15 (45m) · tiktok TH TH Shop · dial tcp: i/o timeout · 2 messages caught up",
			"incident: Mar 10 05:00 → Mar 10 05:03 (3m) · chat surface slack · socket closed",
			"⚠️ chat surface: 1 incident, 3m down in total, longest 3m; up [1 incident, 3m down ≤ 30m]",
			"agent Ana: p50 5m, p90 1h10m over 3 responses (1 after more than 15m)\nagent Ben: p50 20m, p90 30m over 3 responses (2 after more than 15m)",
			"failure reason: auth: token expired (2)\nfailure reason: shopee: rate limited (1)",
			"Mar 9 15:00: resumed from saved state (3 of 3 stores had a cursor)\nMar 9 23:00: full resync (no saved cursor)",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the report text lacks\n%s\n--- report ---\n%s", want, text)
			}
		}
	})
}
