package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

// metricsCollector exposes the engine's counters to Prometheus, read at
// scrape time so the core needs no metrics library.
type metricsCollector struct {
	e         *engine.Engine
	refusals  *bridge.Refusals
	listCalls map[bridge.Platform]listCallCounter

	storeUp, relayed, recorded, syncs, lastSync, lastSyncOK *prometheus.Desc
	chatUp, stateUp, replies, queued                        *prometheus.Desc
	pending, oldest                                         *prometheus.Desc
	refused                                                 *prometheus.Desc
	lists, listsRefused                                     *prometheus.Desc
	leasesHeld, tenures, replicas                           *prometheus.Desc
}

// listCallCounter is a push-driven client (Lazada) that counts the calls it
// makes to the conversation and message lists it must not poll.
type listCallCounter interface {
	Platform() bridge.Platform
	ListCalls(store bridge.StoreID) int
	ListCallsRefused(store bridge.StoreID) int
}

func newMetricsCollector(e *engine.Engine, refusals *bridge.Refusals, lists ...listCallCounter) *metricsCollector {
	store := []string{"store", "platform", "site"}
	byPlatform := map[bridge.Platform]listCallCounter{}
	for _, l := range lists {
		byPlatform[l.Platform()] = l
	}
	return &metricsCollector{
		e:         e,
		refusals:  refusals,
		listCalls: byPlatform,
		lists: prometheus.NewDesc("shopbridge_marketplace_list_calls_total",
			"Conversation and message list calls of a push-driven store (Lazada), which the bridge never polls: only the one-off history import and admin repairs make them, so at idle this does not grow.",
			store, nil),
		listsRefused: prometheus.NewDesc("shopbridge_marketplace_list_calls_refused_total",
			"List calls of a push-driven store that the client's hourly safety cap (lazada.max_list_calls_per_hour) refused.",
			store, nil),
		refused: prometheus.NewDesc("shopbridge_refused_requests_total",
			"Requests the listener refused, by endpoint and reason (forged or stale signatures, wrong secrets, invalid authorization states, bodies too large or too slow); the log shows only the first of each kind and a count per interval.",
			[]string{"endpoint", "reason"}, nil),
		leasesHeld: prometheus.NewDesc("shopbridge_leases_held", "Leases this replica holds now (stores and jobs that must run once), with several replicas on PostgreSQL.", []string{"replica"}, nil),
		tenures: prometheus.NewDesc("shopbridge_lease_tenures_total",
			"Lease tenures of this replica since it started, by how they began or ended: acquired (taken, including takeovers of a dead replica's leases), released (handed over), lost (not renewed in time, or taken).",
			[]string{"replica", "event"}, nil),
		replicas:   prometheus.NewDesc("shopbridge_replicas_live", "Replicas this one sees alive on the state database.", []string{"replica"}, nil),
		storeUp:    prometheus.NewDesc("shopbridge_store_up", "1 while the store syncs, 0 while it is down (reason: unreachable, or needs_update when its tokens are refused).", append(store, "reason"), nil),
		relayed:    prometheus.NewDesc("shopbridge_messages_relayed_total", "Marketplace messages posted into chat threads.", store, nil),
		recorded:   prometheus.NewDesc("shopbridge_messages_recorded_total", "New marketplace messages recorded in the inbound queue to be posted.", store, nil),
		syncs:      prometheus.NewDesc("shopbridge_syncs_total", "Store syncs by result.", append(store, "result"), nil),
		lastSync:   prometheus.NewDesc("shopbridge_last_sync_duration_seconds", "Duration of the store's last sync.", store, nil),
		lastSyncOK: prometheus.NewDesc("shopbridge_last_successful_sync_timestamp_seconds", "When the store's last successful sync ended.", store, nil),
		chatUp:     prometheus.NewDesc("shopbridge_chat_up", "1 while the chat surface is reachable.", nil, nil),
		stateUp:    prometheus.NewDesc("shopbridge_state_up", "1 while the state database can be used, 0 while it fails (disk full, read-only, unreachable).", nil, nil),
		pending:    prometheus.NewDesc("shopbridge_inbound_pending", "Buyer messages recorded and waiting to be posted, per chat destination.", []string{"destination"}, nil),
		oldest:     prometheus.NewDesc("shopbridge_inbound_oldest_pending_seconds", "Age of the oldest message waiting to be posted, per chat destination.", []string{"destination"}, nil),
		replies:    prometheus.NewDesc("shopbridge_replies_total", "Agent replies that ended, by status.", []string{"status"}, nil),
		queued:     prometheus.NewDesc("shopbridge_replies_queued", "Agent replies waiting to be sent now.", nil, nil),
	}
}

func (m *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.storeUp, m.relayed, m.recorded, m.syncs, m.lastSync, m.lastSyncOK, m.chatUp, m.stateUp, m.replies, m.queued, m.pending, m.oldest, m.refused, m.lists, m.listsRefused, m.leasesHeld, m.tenures, m.replicas} {
		ch <- d
	}
}

func (m *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	st := m.e.Stats()
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	for _, s := range st.Stores {
		l := []string{string(s.Store), string(s.Platform), s.Site}
		ch <- prometheus.MustNewConstMetric(m.storeUp, prometheus.GaugeValue, b2f(s.Up), append(l, s.DownReason)...)
		ch <- prometheus.MustNewConstMetric(m.relayed, prometheus.CounterValue, float64(s.Relayed), l...)
		ch <- prometheus.MustNewConstMetric(m.recorded, prometheus.CounterValue, float64(s.Recorded), l...)
		ch <- prometheus.MustNewConstMetric(m.syncs, prometheus.CounterValue, float64(s.SyncsOK), append(l, "ok")...)
		ch <- prometheus.MustNewConstMetric(m.syncs, prometheus.CounterValue, float64(s.SyncsFailed), append(l, "failed")...)
		ch <- prometheus.MustNewConstMetric(m.lastSync, prometheus.GaugeValue, s.LastSyncDuration.Seconds(), l...)
		if !s.LastSyncOK.IsZero() {
			ch <- prometheus.MustNewConstMetric(m.lastSyncOK, prometheus.GaugeValue, float64(s.LastSyncOK.UnixNano())/1e9, l...)
		}
		if lc := m.listCalls[s.Platform]; lc != nil {
			ch <- prometheus.MustNewConstMetric(m.lists, prometheus.CounterValue, float64(lc.ListCalls(s.Store)), l...)
			ch <- prometheus.MustNewConstMetric(m.listsRefused, prometheus.CounterValue, float64(lc.ListCallsRefused(s.Store)), l...)
		}
	}
	if c := m.e.Replica(); c != nil {
		id := c.Holder()
		ls := c.Stats()
		ch <- prometheus.MustNewConstMetric(m.leasesHeld, prometheus.GaugeValue, float64(len(c.Held())), id)
		ch <- prometheus.MustNewConstMetric(m.tenures, prometheus.CounterValue, float64(ls.Acquired), id, "acquired")
		ch <- prometheus.MustNewConstMetric(m.tenures, prometheus.CounterValue, float64(ls.Released), id, "released")
		ch <- prometheus.MustNewConstMetric(m.tenures, prometheus.CounterValue, float64(ls.Lost), id, "lost")
		ch <- prometheus.MustNewConstMetric(m.replicas, prometheus.GaugeValue, float64(len(c.Replicas())), id)
	}
	ch <- prometheus.MustNewConstMetric(m.chatUp, prometheus.GaugeValue, b2f(st.ChatUp))
	ch <- prometheus.MustNewConstMetric(m.stateUp, prometheus.GaugeValue, b2f(st.StateUp))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if backlog, err := m.e.Backlog(ctx); err == nil {
		now := time.Now()
		for _, b := range backlog {
			ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(b.Pending), b.Destination)
			ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, now.Sub(b.Oldest).Seconds(), b.Destination)
		}
	}
	ch <- prometheus.MustNewConstMetric(m.replies, prometheus.CounterValue, float64(st.RepliesSent), "sent")
	ch <- prometheus.MustNewConstMetric(m.replies, prometheus.CounterValue, float64(st.RepliesFailed), "failed")
	ch <- prometheus.MustNewConstMetric(m.queued, prometheus.GaugeValue, float64(st.RepliesQueued))
	for _, c := range m.refusals.Counts() {
		ch <- prometheus.MustNewConstMetric(m.refused, prometheus.CounterValue, float64(c.Total), c.Endpoint, c.Reason)
	}
}

// registerMetrics serves /metrics on the bridge's listener.
func registerMetrics(s *Server, e *engine.Engine, refusals *bridge.Refusals, lists ...listCallCounter) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newMetricsCollector(e, refusals, lists...), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
