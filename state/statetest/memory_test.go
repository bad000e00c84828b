package statetest_test

import (
	"sync"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// TestMemStateContract runs the contract suite against the in-memory state
// of bridgetest (on the system clock). Opening a name again gives the same
// data back, as reopening a database does; the upgrade tests are skipped (a
// memory state has no older releases).
func TestMemStateContract(t *testing.T) {
	var (
		mu  sync.Mutex
		dbs = map[string]*bridgetest.MemState{}
	)
	statetest.Run(t, func(t *testing.T, name string) bridge.State {
		mu.Lock()
		defer mu.Unlock()
		if st, ok := dbs[name]; ok {
			return st.Reopen()
		}
		st := bridgetest.NewMemState(nil)
		dbs[name] = st
		return st
	})
}

// BenchmarkMemStateRecordInbound measures RecordInbound of pages of 50 new
// messages on the in-memory state: from one goroutine, and from 4 per CPU.
func BenchmarkMemStateRecordInbound(b *testing.B) {
	for _, bc := range []struct {
		name     string
		parallel int
	}{{"serial", 1}, {"parallel", 4}} {
		b.Run(bc.name, func(b *testing.B) {
			st := bridgetest.NewMemState(nil)
			b.Cleanup(func() { st.Close() })
			statetest.BenchRecordInbound(b, st, bc.parallel)
		})
	}
}
