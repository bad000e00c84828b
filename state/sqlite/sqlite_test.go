package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/sqlite"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// TestContract runs the state contract suite on file databases, with the
// upgrade tests (a file of an older release, then opened).
func TestContract(t *testing.T) {
	dir := t.TempDir()
	statetest.Run(t, func(t *testing.T, name string) bridge.State {
		db, err := sqlite.Open(t.Context(), filepath.Join(dir, name+".db"))
		if err != nil {
			t.Fatalf("sqlite.Open(%s): %v", name, err)
		}
		return db
	}, statetest.WithLegacy(func(t *testing.T, name string, version int) statetest.LegacyDB {
		db, err := sqlite.OpenLegacy(t.Context(), filepath.Join(dir, name+".db"), version)
		if err != nil {
			t.Fatalf("sqlite.OpenLegacy(%s, version %d): %v", name, version, err)
		}
		return db
	}))
}

// TestContractInMemory runs the suite on ":memory:" databases, which live on
// a single connection. An in-memory database cannot survive Close, so the
// opener keeps each one open until the test ends and Close only detaches.
func TestContractInMemory(t *testing.T) {
	var (
		mu  sync.Mutex
		dbs = map[string]*sqlite.DB{}
	)
	t.Cleanup(func() {
		for _, db := range dbs {
			db.Close()
		}
	})
	statetest.Run(t, func(t *testing.T, name string) bridge.State {
		mu.Lock()
		defer mu.Unlock()
		db, ok := dbs[name]
		if !ok {
			var err error
			if db, err = sqlite.Open(t.Context(), sqlite.Memory); err != nil {
				t.Fatalf("sqlite.Open(:memory:): %v", err)
			}
			dbs[name] = db
		}
		return detached{db}
	})
}

// detached is a State whose Close leaves the database open.
type detached struct{ *sqlite.DB }

func (detached) Close() error { return nil }
