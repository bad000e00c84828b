package engine

import (
	"cmp"
	"time"

	"github.com/shopbridge/shopbridge/bridge/lease"
	"github.com/shopbridge/shopbridge/bridge/monitor"
)

// Config holds the engine's timings and limits: the sync: section of the
// config file (the fields tagged for it; the others are tuned by code and
// tests). Zero fields take the defaults of DefaultConfig.
type Config struct {
	// PollInterval is how often each store is polled; PollJitter spreads polls
	// by up to that fraction of the interval.
	PollInterval time.Duration `yaml:"poll_interval"`
	PollJitter   float64       `yaml:"-"`
	// FailureThreshold is how many failed syncs in a row make a store "down".
	FailureThreshold int `yaml:"failure_threshold"`
	// Debounce is how long success must hold before a catch-up starts.
	Debounce time.Duration `yaml:"debounce"`
	// ProbeInterval is the wait between probes of a down store during its
	// first ProbeFastFor; after that the wait doubles up to ProbeBackoffMax.
	ProbeInterval time.Duration `yaml:"probe_interval"`
	ProbeFastFor  time.Duration `yaml:"probe_fast_for"`
	// ProbeBackoffMax caps the wait between probes while a store is down.
	ProbeBackoffMax time.Duration `yaml:"probe_backoff_max"`
	// ProbeTimeout bounds one probe (made without the client's retries).
	ProbeTimeout time.Duration `yaml:"probe_timeout"`
	// HealthInterval is how often a push-driven store (Lazada) is checked
	// with its platform's cheap health call; ImportDelay is how long after
	// a push-driven store is added or authorized its one-off history import
	// runs (the platform copies the history first); PushSilence is how long
	// after a reply was sent without any push since such a store is flagged.
	HealthInterval time.Duration `yaml:"health_interval"`
	ImportDelay    time.Duration `yaml:"import_delay"`
	PushSilence    time.Duration `yaml:"push_silence"`
	// AuthRetry is how often a store whose tokens the marketplace refuses
	// is tried again without an admin's action (each try is one refused
	// refresh); new tokens saved by an authorization end the wait at once.
	AuthRetry time.Duration `yaml:"auth_retry"`
	// ImportWindow bounds what a first start imports: unanswered conversations
	// whose last buyer message is younger than this.
	ImportWindow time.Duration `yaml:"import_window"`
	// HistoryLimit is how many recent messages a newly opened thread gets.
	HistoryLimit int `yaml:"history_limit"`
	// CursorOverlap re-lists conversations this far before the cursor, so
	// marketplace clock jitter loses nothing (message IDs de-duplicate).
	CursorOverlap time.Duration `yaml:"-"`
	// SyncConcurrency bounds conversations synced at once per store.
	SyncConcurrency int `yaml:"concurrency"`
	// SyncTimeout bounds one sync of one store.
	SyncTimeout time.Duration `yaml:"sync_timeout"`
	// NotePrefix keeps an agent's thread message internal.
	NotePrefix string `yaml:"note_prefix"`
	// SendAttempts bounds automatic attempts of one reply; SendBackoff is the
	// first wait, doubling up to SendBackoffMax.
	SendAttempts   int           `yaml:"send_attempts"`
	SendBackoff    time.Duration `yaml:"send_backoff"`
	SendBackoffMax time.Duration `yaml:"send_backoff_max"`
	// SendWorkers is how many replies are sent at once.
	SendWorkers int `yaml:"-"`
	// ReconcileWindow is how many recent messages are checked for a reply
	// whose outcome is unknown before it is sent again.
	ReconcileWindow int `yaml:"-"`
	// SendTimeout is each send attempt's deadline: the client gives up then.
	// ReconcileMargin is how long after that deadline the marketplace may
	// still apply a request it received: a reply whose outcome is unknown
	// is looked for, and sent again if missing, only after both.
	SendTimeout     time.Duration `yaml:"send_timeout"`
	ReconcileMargin time.Duration `yaml:"reconcile_margin"`
	// ShutdownGrace lets in-flight sends finish on stop.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// ResumedAfter is how quiet a conversation must have been for a new buyer
	// message to be surfaced as "resumed".
	ResumedAfter time.Duration `yaml:"-"`
	// PostConcurrency is how many conversations of one chat destination are
	// posted at once; PostBatch the most pending messages of a conversation
	// handed to the surface in one call (it combines them into as few posts
	// as its limits allow).
	PostConcurrency int `yaml:"post_concurrency"`
	PostBatch       int `yaml:"post_batch"`
	// PostBackoff is the first wait after a failed post, doubling up to
	// PostBackoffMax.
	PostBackoff    time.Duration `yaml:"post_backoff"`
	PostBackoffMax time.Duration `yaml:"post_backoff_max"`
	// BacklogRescan is how often the inbound backlog is read again from
	// state (it is also read at start), so nothing recorded is left behind.
	BacklogRescan time.Duration `yaml:"backlog_rescan"`
	// ReplicaRescan is how often, with several replicas, the holder of a
	// store picks up what other replicas recorded for it (pushes, agents'
	// replies); Lease times the leases (bridge/lease; TTL 10 s by default).
	ReplicaRescan time.Duration `yaml:"-"`
	Lease         lease.Config  `yaml:"-"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		PollInterval:     30 * time.Second,
		PollJitter:       0.1,
		FailureThreshold: 3,
		Debounce:         3 * time.Second,
		ProbeInterval:    time.Second,
		ProbeFastFor:     2 * time.Minute,
		ProbeBackoffMax:  2 * time.Minute,
		ProbeTimeout:     5 * time.Second,
		AuthRetry:        6 * time.Hour,
		HealthInterval:   time.Minute,
		ImportDelay:      12 * time.Minute,
		PushSilence:      10 * time.Minute,
		ImportWindow:     24 * time.Hour,
		HistoryLimit:     20,
		CursorOverlap:    30 * time.Second,
		SyncConcurrency:  4,
		SyncTimeout:      2 * time.Minute,
		NotePrefix:       "note:",
		SendAttempts:     6,
		SendBackoff:      2 * time.Second,
		SendBackoffMax:   2 * time.Minute,
		SendWorkers:      4,
		ReconcileWindow:  30,
		SendTimeout:      20 * time.Second,
		ReconcileMargin:  30 * time.Second,
		ShutdownGrace:    10 * time.Second,
		ResumedAfter:     24 * time.Hour,
		PostConcurrency:  4,
		PostBatch:        50,
		PostBackoff:      time.Second,
		PostBackoffMax:   time.Minute,
		BacklogRescan:    time.Minute,
		ReplicaRescan:    time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.PollInterval = cmp.Or(c.PollInterval, d.PollInterval)
	if c.PollJitter < 0 || c.PollJitter >= 1 {
		c.PollJitter = d.PollJitter
	}
	c.FailureThreshold = cmp.Or(c.FailureThreshold, d.FailureThreshold)
	c.Debounce = cmp.Or(c.Debounce, d.Debounce)
	c.ProbeInterval = cmp.Or(c.ProbeInterval, d.ProbeInterval)
	c.ProbeFastFor = cmp.Or(c.ProbeFastFor, d.ProbeFastFor)
	c.ProbeBackoffMax = cmp.Or(c.ProbeBackoffMax, d.ProbeBackoffMax)
	if c.ProbeBackoffMax < c.ProbeInterval {
		c.ProbeBackoffMax = c.ProbeInterval
	}
	c.ProbeTimeout = cmp.Or(c.ProbeTimeout, d.ProbeTimeout)
	c.AuthRetry = cmp.Or(c.AuthRetry, d.AuthRetry)
	c.HealthInterval = cmp.Or(c.HealthInterval, d.HealthInterval)
	c.ImportDelay = cmp.Or(c.ImportDelay, d.ImportDelay)
	c.PushSilence = cmp.Or(c.PushSilence, d.PushSilence)
	c.ImportWindow = cmp.Or(c.ImportWindow, d.ImportWindow)
	c.HistoryLimit = cmp.Or(c.HistoryLimit, d.HistoryLimit)
	c.CursorOverlap = cmp.Or(c.CursorOverlap, d.CursorOverlap)
	c.SyncConcurrency = cmp.Or(c.SyncConcurrency, d.SyncConcurrency)
	c.SyncTimeout = cmp.Or(c.SyncTimeout, d.SyncTimeout)
	c.NotePrefix = cmp.Or(c.NotePrefix, d.NotePrefix)
	c.SendAttempts = cmp.Or(c.SendAttempts, d.SendAttempts)
	c.SendBackoff = cmp.Or(c.SendBackoff, d.SendBackoff)
	c.SendBackoffMax = cmp.Or(c.SendBackoffMax, d.SendBackoffMax)
	c.SendWorkers = cmp.Or(c.SendWorkers, d.SendWorkers)
	c.ReconcileWindow = cmp.Or(c.ReconcileWindow, d.ReconcileWindow)
	c.SendTimeout = cmp.Or(c.SendTimeout, d.SendTimeout)
	c.ReconcileMargin = cmp.Or(c.ReconcileMargin, d.ReconcileMargin)
	c.ShutdownGrace = cmp.Or(c.ShutdownGrace, d.ShutdownGrace)
	c.ResumedAfter = cmp.Or(c.ResumedAfter, d.ResumedAfter)
	c.PostConcurrency = cmp.Or(c.PostConcurrency, d.PostConcurrency)
	c.PostBatch = cmp.Or(c.PostBatch, d.PostBatch)
	c.PostBackoff = cmp.Or(c.PostBackoff, d.PostBackoff)
	c.PostBackoffMax = cmp.Or(c.PostBackoffMax, d.PostBackoffMax)
	c.BacklogRescan = cmp.Or(c.BacklogRescan, d.BacklogRescan)
	c.ReplicaRescan = cmp.Or(c.ReplicaRescan, d.ReplicaRescan)
	c.Lease.SetDefaults()
	return c
}

// monitorConfig is the part of the configuration the monitor uses.
func (c Config) monitorConfig() monitor.Config {
	return monitor.Config{
		FailureThreshold: c.FailureThreshold, ProbeInterval: c.ProbeInterval, ProbeFastFor: c.ProbeFastFor,
		ProbeBackoffMax: c.ProbeBackoffMax, AuthRetry: c.AuthRetry,
	}
}
