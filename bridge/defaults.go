package bridge

import "cmp"

// Default sets *v to d when *v is not set: zero or negative for numbers and
// durations, empty for strings. Config types fill their defaults with it,
// one line per field.
func Default[T cmp.Ordered](v *T, d T) {
	var zero T
	if *v <= zero {
		*v = d
	}
}
