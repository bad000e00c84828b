package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shopbridge/shopbridge/bridge"
)

// metricsCollector exposes the engine's counters to Prometheus, read at
// scrape time so the core needs no metrics library.
type metricsCollector struct {
	e *bridge.Engine

	storeUp, relayed, syncs, lastSync, lastSyncOK *prometheus.Desc
	chatUp, replies, queued                       *prometheus.Desc
}

func newMetricsCollector(e *bridge.Engine) *metricsCollector {
	store := []string{"store", "platform", "site"}
	return &metricsCollector{
		e:          e,
		storeUp:    prometheus.NewDesc("shopbridge_store_up", "1 while the store's marketplace is reachable, 0 while it is down.", store, nil),
		relayed:    prometheus.NewDesc("shopbridge_messages_relayed_total", "Marketplace messages posted into chat threads.", store, nil),
		syncs:      prometheus.NewDesc("shopbridge_syncs_total", "Store syncs by result.", append(store, "result"), nil),
		lastSync:   prometheus.NewDesc("shopbridge_last_sync_duration_seconds", "Duration of the store's last sync.", store, nil),
		lastSyncOK: prometheus.NewDesc("shopbridge_last_successful_sync_timestamp_seconds", "When the store's last successful sync ended.", store, nil),
		chatUp:     prometheus.NewDesc("shopbridge_chat_up", "1 while the chat surface is reachable.", nil, nil),
		replies:    prometheus.NewDesc("shopbridge_replies_total", "Agent replies that ended, by status.", []string{"status"}, nil),
		queued:     prometheus.NewDesc("shopbridge_replies_queued", "Agent replies waiting to be sent now.", nil, nil),
	}
}

func (m *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.storeUp, m.relayed, m.syncs, m.lastSync, m.lastSyncOK, m.chatUp, m.replies, m.queued} {
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
		ch <- prometheus.MustNewConstMetric(m.storeUp, prometheus.GaugeValue, b2f(s.Up), l...)
		ch <- prometheus.MustNewConstMetric(m.relayed, prometheus.CounterValue, float64(s.Relayed), l...)
		ch <- prometheus.MustNewConstMetric(m.syncs, prometheus.CounterValue, float64(s.SyncsOK), append(l, "ok")...)
		ch <- prometheus.MustNewConstMetric(m.syncs, prometheus.CounterValue, float64(s.SyncsFailed), append(l, "failed")...)
		ch <- prometheus.MustNewConstMetric(m.lastSync, prometheus.GaugeValue, s.LastSyncDuration.Seconds(), l...)
		if !s.LastSyncOK.IsZero() {
			ch <- prometheus.MustNewConstMetric(m.lastSyncOK, prometheus.GaugeValue, float64(s.LastSyncOK.UnixNano())/1e9, l...)
		}
	}
	ch <- prometheus.MustNewConstMetric(m.chatUp, prometheus.GaugeValue, b2f(st.ChatUp))
	ch <- prometheus.MustNewConstMetric(m.replies, prometheus.CounterValue, float64(st.RepliesSent), "sent")
	ch <- prometheus.MustNewConstMetric(m.replies, prometheus.CounterValue, float64(st.RepliesFailed), "failed")
	ch <- prometheus.MustNewConstMetric(m.queued, prometheus.GaugeValue, float64(st.RepliesQueued))
}

// registerMetrics serves /metrics on the bridge's listener.
func registerMetrics(s *Server, e *bridge.Engine) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newMetricsCollector(e), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
