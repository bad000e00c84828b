package sqlite_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// wantInUse checks the refusal of a second exclusive open: state.ErrInUse,
// one line naming the file and saying that SQLite is single-replica.
func wantInUse(t *testing.T, what, path string, err error) {
	t.Helper()
	if !errors.Is(err, state.ErrInUse) {
		t.Fatalf("%s: err = %v, want state.ErrInUse", what, err)
	}
	msg := err.Error()
	want := "sqlite: " + path + " is in use by another shopbridge process (it holds " + path + ".lock): SQLite is single-replica; to run several replicas use PostgreSQL (state.backend: postgres)"
	if msg != want {
		t.Errorf("%s:\n got %q\nwant %q", what, msg, want)
	}
}

func TestExclusiveOpenRefusesASecondOne(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shopbridge.db")
	first, err := sqlite.Open(ctx, path, sqlite.WithExclusive(true))
	if err != nil {
		t.Fatalf("first exclusive Open: %v", err)
	}
	defer first.Close()
	if err := first.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}

	_, err = sqlite.Open(ctx, path, sqlite.WithExclusive(true))
	wantInUse(t, "second exclusive Open", path, err)

	// A command that opens without the lock (report, status) runs beside it.
	reader, err := sqlite.Open(ctx, path, sqlite.WithCreate(false))
	if err != nil {
		t.Fatalf("non-exclusive Open beside the exclusive one: %v", err)
	}
	if v, err := reader.Meta(ctx, "k"); err != nil || v != "v" {
		t.Errorf("Meta through the second handle = %q, %v", v, err)
	}
	reader.Close()

	// Close releases it: the next bridge opens the file.
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again, err := sqlite.Open(ctx, path, sqlite.WithExclusive(true))
	if err != nil {
		t.Fatalf("exclusive Open after Close: %v", err)
	}
	if v, err := again.Meta(ctx, "k"); err != nil || v != "v" {
		t.Errorf("Meta after reopening = %q, %v", v, err)
	}
	if err := again.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if fi, err := os.Stat(path + sqlite.LockSuffix); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, %v; want it left in place, 0600", fi, err)
	}
}

// A refused Open releases the lock it took.
func TestExclusiveOpenRefusedReleasesTheLock(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, path, sqlite.WithExclusive(true)); !errors.Is(err, state.ErrEmptyDatabase) {
		t.Fatalf("exclusive Open of an empty file: %v, want state.ErrEmptyDatabase", err)
	}
	db, err := sqlite.Open(ctx, path, sqlite.WithExclusive(true), sqlite.WithAcceptEmpty(true))
	if err != nil {
		t.Fatalf("exclusive Open after a refused one: %v", err)
	}
	db.Close()

	missing := filepath.Join(t.TempDir(), "no-such-dir", "x.db")
	if _, err := sqlite.Open(ctx, missing, sqlite.WithExclusive(true)); !errors.Is(err, state.ErrNoDirectory) {
		t.Errorf("exclusive Open in a missing directory: %v, want state.ErrNoDirectory", err)
	}
}

func TestExclusiveIgnoredInMemory(t *testing.T) {
	for i := range 2 {
		db, err := sqlite.Open(t.Context(), sqlite.Memory, sqlite.WithExclusive(true))
		if err != nil {
			t.Fatalf("exclusive in-memory Open #%d: %v", i+1, err)
		}
		defer db.Close()
	}
}

// lockHelperEnv names the database that the helper process opens.
const lockHelperEnv = "SHOPBRIDGE_SQLITE_LOCK_HELPER"

// TestLockHelperProcess is the second process of
// TestExclusiveOpenRefusesASecondProcess: it opens the file exclusively and
// prints the outcome.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		t.Skip("the helper process of TestExclusiveOpenRefusesASecondProcess")
	}
	db, err := sqlite.Open(t.Context(), path, sqlite.WithExclusive(true))
	if err != nil {
		fmt.Printf("REFUSED %v %s\n", errors.Is(err, state.ErrInUse), err)
		return
	}
	db.Close()
	fmt.Println("OPENED")
}

// The guard is between processes: a second process (this test binary,
// again) is refused while the first holds the file, and opens it once the
// first has closed it.
func TestExclusiveOpenRefusesASecondProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shopbridge.db")
	second := func() string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper process: %v\n%s", err, out)
		}
		return string(out)
	}
	db, err := sqlite.Open(t.Context(), path, sqlite.WithExclusive(true))
	if err != nil {
		t.Fatal(err)
	}
	out := second()
	if !strings.Contains(out, "REFUSED true sqlite: "+path+" is in use by another shopbridge process") ||
		!strings.Contains(out, "SQLite is single-replica") {
		t.Errorf("second process while the first holds the file:\n%s", out)
	}
	db.Close()
	if out := second(); !strings.Contains(out, "OPENED") {
		t.Errorf("second process after the first closed the file:\n%s", out)
	}
}
