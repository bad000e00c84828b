package monitor

import "time"

// Config is what the monitor is told by the engine's configuration
// (engine.Config, which documents each field and its default).
type Config struct {
	// FailureThreshold is how many failed syncs in a row make a store "down".
	FailureThreshold int
	// ProbeInterval is the wait between probes of a down store during its
	// first ProbeFastFor; after that the wait doubles up to ProbeBackoffMax.
	ProbeInterval   time.Duration
	ProbeFastFor    time.Duration
	ProbeBackoffMax time.Duration
	// AuthRetry is how often a store whose tokens are refused is tried again.
	AuthRetry time.Duration
}
