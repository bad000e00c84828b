package bridge

import (
	"context"
	"errors"
)

// StateError is a failure of the bridge's own state database (disk full,
// read-only file, corrupt database, unreachable PostgreSQL): a local fault,
// never reported as a network outage of a marketplace or a chat surface.
type StateError struct {
	// Op says what the bridge was doing ("record fetched messages").
	Op string
	// Write is true for a failed write.
	Write bool
	Err   error
}

func (e *StateError) Error() string { return "state database: " + e.Op + ": " + e.Err.Error() }

func (e *StateError) Unwrap() error { return e.Err }

// IsStateError reports whether err is a failure of the state database.
func IsStateError(err error) bool {
	var se *StateError
	return errors.As(err, &se)
}

type probeKey struct{}

// ProbeContext marks ctx as a connectivity probe of a store that is down:
// marketplace clients make one attempt and do not retry, so that the probe
// answers within its own short timeout and a restored marketplace is seen
// at the next probe.
func ProbeContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, probeKey{}, true)
}

// IsProbe reports whether ctx is a connectivity probe (see ProbeContext).
func IsProbe(ctx context.Context) bool {
	v, _ := ctx.Value(probeKey{}).(bool)
	return v
}
