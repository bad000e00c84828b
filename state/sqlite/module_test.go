package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

func TestModuleProvidesState(t *testing.T) {
	var st bridge.State
	path := filepath.Join(t.TempDir(), "fx.db")
	app := fxtest.New(t,
		fx.Supply(sqlite.Config{Path: path}),
		sqlite.Module,
		fx.Populate(&st),
	)
	app.RequireStart()
	if err := st.SetMeta(context.Background(), "k", "v"); err != nil {
		t.Fatalf("SetMeta through the fx-provided State: %v", err)
	}
	if _, err := sqlite.Open(t.Context(), path, sqlite.WithExclusive(true)); !errors.Is(err, state.ErrInUse) {
		t.Errorf("a second application's Open while the first runs: %v, want state.ErrInUse", err)
	}
	app.RequireStop()
	if err := st.SetMeta(context.Background(), "k", "v2"); err == nil {
		t.Error("State still usable after the application stopped; the stop hook did not close it")
	}
}
