package engine

import (
	"context"
	"errors"

	"github.com/shopbridge/shopbridge/bridge"
)

// stateErr wraps a state failure as a StateError; nil stays nil, and the
// classified ErrNotFound / ErrConflict answers stay as they are (they are
// answers, not faults).
func stateErr(write bool, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, bridge.ErrNotFound) || errors.Is(err, bridge.ErrConflict) || errors.Is(err, context.Canceled) {
		return err
	}
	var se *bridge.StateError
	if errors.As(err, &se) {
		return err
	}
	return &bridge.StateError{Op: op, Write: write, Err: err}
}

func isNotFound(err error) bool { return errors.Is(err, bridge.ErrNotFound) }
