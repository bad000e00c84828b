package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// WithReadOnly opens a database without changing it: a missing file is
// not created, an older schema is refused rather than migrated, and tokens
// stored in the clear stay so with a cipher (which still reads them).
func TestReadOnlyChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.db")
	if _, err := sqlite.Open(ctx, missing, sqlite.WithReadOnly(true)); err == nil {
		t.Error("a missing file was opened read-only")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a read-only open created %s", missing)
	}

	old := filepath.Join(dir, "old.db")
	legacy, err := sqlite.OpenLegacy(ctx, old, 1)
	if err != nil {
		t.Fatal(err)
	}
	legacy.Close()
	_, err = sqlite.Open(ctx, old, sqlite.WithReadOnly(true))
	if err == nil || !strings.Contains(err.Error(), "is older than this binary's") || !strings.Contains(err.Error(), "shopbridge run") {
		t.Errorf("an older schema opened read-only: %v; want a refusal that says to run the bridge once", err)
	}

	path := filepath.Join(dir, "plain.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveTokens(ctx, "s1", bridge.Tokens{AccessToken: "at", RefreshToken: "rt"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	key := make([]byte, 32)
	cipher, err := state.NewAESGCM(key)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := sqlite.Open(ctx, path, sqlite.WithReadOnly(true), sqlite.WithCipher(cipher))
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := ro.LoadTokens(ctx, "s1"); err != nil || tok.AccessToken != "at" {
		t.Errorf("tokens read read-only: %+v, %v", tok, err)
	}
	ro.Close()
	// Opened without a cipher now, the tokens must still be in the clear:
	// a sealed token would be refused without the key.
	plain, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("the read-only open with a cipher sealed the tokens: %v", err)
	}
	plain.Close()
}
