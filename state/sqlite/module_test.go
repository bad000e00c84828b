package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

func TestModuleProvidesState(t *testing.T) {
	var st bridge.State
	app := fxtest.New(t,
		fx.Supply(sqlite.Config{Path: filepath.Join(t.TempDir(), "fx.db")}),
		sqlite.Module,
		fx.Populate(&st),
	)
	app.RequireStart()
	if err := st.SetMeta(context.Background(), "k", "v"); err != nil {
		t.Fatalf("SetMeta through the fx-provided State: %v", err)
	}
	app.RequireStop()
	if err := st.SetMeta(context.Background(), "k", "v2"); err == nil {
		t.Error("State still usable after the application stopped; the stop hook did not close it")
	}
}
