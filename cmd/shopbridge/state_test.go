package main

import (
	"context"
	"io"
	"os"
	"testing"

	"go.uber.org/fx/fxtest"

	"github.com/shopbridge/shopbridge/bridge"
)

// The configured backend is what the bridge gets: PostgreSQL when asked
// (only where SHOPBRIDGE_TEST_POSTGRES_DSN points at a server).
func TestStateBackendFromConfig(t *testing.T) {
	dsn := os.Getenv("SHOPBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SHOPBRIDGE_TEST_POSTGRES_DSN not set: skipping the PostgreSQL backend wiring test")
	}
	cfg := &Config{State: StateConfig{Backend: "postgres", DSN: dsn, Schema: "sb_cmd_test"}}
	lc := fxtest.NewLifecycle(t)
	st, err := newState(lc, cfg, newLogger(LogConfig{}, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	lc.RequireStart()
	defer lc.RequireStop()
	ctx := context.Background()
	if err := st.SetMeta(ctx, "wiring", "ok"); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Meta(ctx, "wiring"); err != nil || v != "ok" {
		t.Fatalf("meta round trip: %q %v", v, err)
	}
	if _, err := st.StoreState(ctx, bridge.StoreID("x")); err != nil {
		t.Fatal(err)
	}
}
