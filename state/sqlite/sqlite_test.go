package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/sqlite"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// TestContract runs the state contract suite on file databases.
func TestContract(t *testing.T) {
	dir := t.TempDir()
	statetest.Run(t, func(t *testing.T, name string) bridge.State {
		db, err := sqlite.Open(t.Context(), filepath.Join(dir, name+".db"))
		if err != nil {
			t.Fatalf("sqlite.Open(%s): %v", name, err)
		}
		return db
	})
}
