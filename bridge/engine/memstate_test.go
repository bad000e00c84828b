package engine_test

import (
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
)

// mems holds the in-memory states the tests open by name (a path in the
// test's temporary directory, so never shared between tests).
var mems sync.Map

// openMem opens the in-memory state named path: new the first time, a new
// handle on the same records after (as reopening a database file after a
// restart). clock times its thread events (nil: the system clock).
func openMem(path string, clock bridge.Clock) *bridgetest.MemState {
	if v, ok := mems.Load(path); ok {
		return v.(*bridgetest.MemState).Reopen()
	}
	m := bridgetest.NewMemState(clock)
	mems.Store(path, m)
	return m
}
