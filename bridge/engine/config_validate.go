package engine

import (
	"fmt"
	"time"
)

// Validate returns one line per problem of the sync: section, each naming
// its key.
func (c Config) Validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	for name, d := range map[string]time.Duration{
		"sync.poll_interval": c.PollInterval, "sync.debounce": c.Debounce,
		"sync.import_window": c.ImportWindow, "sync.send_backoff": c.SendBackoff,
		"sync.probe_backoff_max": c.ProbeBackoffMax, "sync.sync_timeout": c.SyncTimeout,
		"sync.probe_interval": c.ProbeInterval, "sync.probe_fast_for": c.ProbeFastFor,
		"sync.probe_timeout": c.ProbeTimeout, "sync.post_backoff": c.PostBackoff,
		"sync.post_backoff_max": c.PostBackoffMax, "sync.backlog_rescan": c.BacklogRescan,
		"sync.send_timeout": c.SendTimeout, "sync.reconcile_margin": c.ReconcileMargin,
		"sync.auth_retry": c.AuthRetry, "sync.health_interval": c.HealthInterval,
		"sync.import_delay": c.ImportDelay, "sync.push_silence": c.PushSilence,
	} {
		if d < 0 {
			add("%s: must not be negative, got %s", name, d)
		}
	}
	if c.PollInterval > 0 && c.PollInterval < time.Second {
		add("sync.poll_interval: %s is too short (at least 1s, to respect the marketplaces' limits)", c.PollInterval)
	}
	if c.FailureThreshold < 0 {
		add("sync.failure_threshold: must be at least 1, got %d", c.FailureThreshold)
	}
	if c.PostConcurrency < 0 || c.PostConcurrency > 32 {
		add("sync.post_concurrency: must be between 1 and 32, got %d", c.PostConcurrency)
	}
	if c.PostBatch < 0 || c.PostBatch > 200 {
		add("sync.post_batch: must be between 1 and 200, got %d", c.PostBatch)
	}
	return p
}
