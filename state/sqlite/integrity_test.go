package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/state"
)

// refused opens path, expects a refusal of kind whose one line names path
// and contains want, and checks that the file was left as it was.
func refused(t *testing.T, path string, kind error, want string, opts ...Option) {
	t.Helper()
	before, _ := os.ReadFile(path)
	db, err := Open(t.Context(), path, opts...)
	if err == nil {
		db.Close()
		t.Fatalf("Open(%s) succeeded; want a refusal (%v)", path, kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("Open(%s): err = %v; want errors.Is %v", path, err, kind)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("Open(%s): error %q; want one line naming the file and saying %q", path, msg, want)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("Open(%s) changed the file it refused (%d bytes before, %d after)", path, len(before), len(after))
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + suffix); err == nil {
			t.Errorf("Open(%s) left %s beside the file it refused", path, suffix)
		}
	}
}

// accepted opens path and expects a migrated shopbridge database.
func accepted(t *testing.T, path string, opts ...Option) *DB {
	t.Helper()
	db := openFile(t, path, opts...)
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != LatestSchema() {
		t.Fatalf("Open(%s): SchemaVersion = %d, %v; want %d", path, v, err, LatestSchema())
	}
	return db
}

// sqliteFile makes a SQLite file at path by running stmts on a plain
// connection, as another program (or the sqlite3 shell) would.
func sqliteFile(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestZeroLengthFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shopbridge.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, path, state.ErrEmptyDatabase, "is an empty file, not a shopbridge state database")
	refused(t, path, state.ErrEmptyDatabase, "is an empty file", WithCreate(false))

	t.Run("accepted_as_new_on_purpose", func(t *testing.T) {
		db := accepted(t, path, WithAcceptEmpty(true))
		if err := db.SetMeta(t.Context(), "k", "v"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		// From then on it is a shopbridge database: no option needed.
		if v, err := accepted(t, path).Meta(t.Context(), "k"); err != nil || v != "v" {
			t.Errorf("reopened: Meta = %q, %v", v, err)
		}
	})
}

func TestSchemaLessSQLiteFile(t *testing.T) {
	t.Run("empty_sqlite_database", func(t *testing.T) {
		// A header and an empty schema: a table created and dropped.
		path := filepath.Join(t.TempDir(), "header-only.db")
		sqliteFile(t, path, "CREATE TABLE t (x)", "DROP TABLE t")
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Fatalf("the fixture is not a SQLite file with a header: %v", err)
		}
		refused(t, path, state.ErrEmptyDatabase, "is an empty SQLite database, not a shopbridge state database")
		accepted(t, path, WithAcceptEmpty(true))
	})
	t.Run("other_tables", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		sqliteFile(t, path, "CREATE TABLE other (x)", "INSERT INTO other VALUES (1)")
		refused(t, path, state.ErrNotShopbridge, "is not a shopbridge state database")
		refused(t, path, state.ErrNotShopbridge, "is not a shopbridge state database", WithAcceptEmpty(true))
	})
}

func TestNonSQLiteFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	damaged := append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xA5}, 8192)...)
	files := map[string][]byte{
		"text.db":    []byte("buyer messages, exported as text\n"),
		"short.db":   []byte("SQL"),
		"damaged.db": damaged,
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			refused(t, path, state.ErrNotDatabase, "is not a SQLite database (damaged, or another kind of file)")
			refused(t, path, state.ErrNotDatabase, "is not a SQLite database", WithAcceptEmpty(true))
		})
	}
	t.Run("directory", func(t *testing.T) {
		refused(t, dir, state.ErrNotDatabase, "is a directory")
	})
}

func TestMissingDirectoryIsRefused(t *testing.T) {
	base := t.TempDir()
	missing := filepath.Join(base, "typo", "data")
	path := filepath.Join(missing, "shopbridge.db")
	_, err := Open(t.Context(), path)
	if !errors.Is(err, state.ErrNoDirectory) {
		t.Fatalf("Open in a missing directory: err = %v; want state.ErrNoDirectory", err)
	}
	if want := "sqlite: the directory " + missing + " of the state database does not exist"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(base, "typo")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the missing directory (stat: %v)", err)
	}
}

func TestNewDatabaseIsCreatedWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	accepted(t, path).Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("database file mode %v is readable by others; it holds tokens", perm)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("creation left %s behind", e.Name())
		}
	}
}

func TestWithCreateFalseRefusesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	_, err := Open(t.Context(), path, WithCreate(false))
	if !errors.Is(err, state.ErrNoDatabase) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a missing file without creating: err = %v; want state.ErrNoDirectory naming it", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file was created: %v", err)
	}
}

// A database deleted without its write-ahead log: a new database would
// replay the old log into itself.
func TestLeftoverWALWithoutItsDatabaseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path+"-wal", bytes.Repeat([]byte{1}, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path)
	if !errors.Is(err, state.ErrNoDatabase) || !strings.Contains(err.Error(), path+"-wal") {
		t.Fatalf("Open: err = %v; want a refusal naming the -wal file", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a database was created over the leftover log: %v", err)
	}
}

// TestCreationCrashHelper is the child process of
// TestCrashDuringCreationDoesNotBlockTheNextStart: it dies at a stage of
// creating the database, as a killed process would (no deferred cleanup).
func TestCreationCrashHelper(t *testing.T) {
	stage, path := os.Getenv("SB_CRASH_STAGE"), os.Getenv("SB_CRASH_PATH")
	if stage == "" {
		t.Skip("the child process of TestCrashDuringCreationDoesNotBlockTheNextStart")
	}
	createHook = func(s, _ string) {
		if s == stage {
			os.Exit(7)
		}
	}
	Open(t.Context(), path)
	t.Fatalf("Open returned instead of crashing at %q", stage)
}

func TestCrashDuringCreationDoesNotBlockTheNextStart(t *testing.T) {
	for _, stage := range []string{"created", "migrated"} {
		t.Run(stage, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state.db")
			cmd := exec.Command(os.Args[0], "-test.run=^TestCreationCrashHelper$")
			cmd.Env = append(os.Environ(), "SB_CRASH_STAGE="+stage, "SB_CRASH_PATH="+path)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 7 {
				t.Fatalf("the child did not crash at %q: %v\n%s", stage, err, out)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a crash at %q left a file at the database's path (stat: %v)", stage, err)
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, creatingPrefix(path)+"*"))
			if len(leftovers) == 0 {
				t.Fatalf("the crash at %q left no temporary file: the test does not test a crash", stage)
			}
			// The next start creates the database; an old enough leftover is
			// removed on the way.
			old := time.Now().Add(-2 * leftoverAge)
			for _, l := range leftovers {
				os.Chtimes(l, old, old)
			}
			accepted(t, path).Close()
			for _, l := range leftovers {
				if _, err := os.Stat(l); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("leftover %s not removed", filepath.Base(l))
				}
			}
		})
	}
}

// A young leftover may be another process creating the database: it is
// left alone, and does not stop this one.
func TestYoungLeftoverIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	young := filepath.Join(dir, creatingPrefix(path)+"42")
	if err := os.WriteFile(young, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	accepted(t, path).Close()
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a young temporary file was removed: %v", err)
	}
}

func TestAcceptEmptyKeepsAShopbridgeDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := accepted(t, path)
	if err := db.SetMeta(t.Context(), "k", "kept"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v, err := accepted(t, path, WithAcceptEmpty(true)).Meta(t.Context(), "k"); err != nil || v != "kept" {
		t.Errorf("Meta after opening with WithAcceptEmpty = %q, %v; want the data kept", v, err)
	}
}

func TestInMemoryIgnoresTheFileChecks(t *testing.T) {
	db := accepted(t, Memory)
	if err := db.SetMeta(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
}
