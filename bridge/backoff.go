package bridge

import "time"

// Backoff is base doubled for each failure after the first, capped at max.
func Backoff(base, maxWait time.Duration, failures int) time.Duration {
	d := base
	for i := 1; i < failures && d < maxWait; i++ {
		d *= 2
	}
	return min(d, maxWait)
}
