package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

func openFile(t *testing.T, path string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPragmas(t *testing.T) {
	db := openFile(t, filepath.Join(t.TempDir(), "p.db"))
	ctx := t.Context()
	cases := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
	}
	for _, tc := range cases {
		var got string
		if err := db.w.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("writer: PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	var readOnly string
	if err := db.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&readOnly); err != nil || readOnly != "1" {
		t.Errorf("reader: PRAGMA query_only = %q (%v), want 1", readOnly, err)
	}
	if n := db.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("write pool allows %d connections, want 1", n)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	for i := range 3 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		v, err := db.SchemaVersion(t.Context())
		if err != nil || v != LatestSchema() {
			t.Errorf("open #%d: SchemaVersion = %d, %v; want %d", i+1, v, err, LatestSchema())
		}
		var rows int
		if err := db.r.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != LatestSchema() {
			t.Errorf("open #%d: schema_migrations has %d rows (%v), want %d (one per migration)", i+1, rows, err, LatestSchema())
		}
		db.Close()
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db := openFile(t, path)
	if _, err := db.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open of a database from a newer release: err = %v, want a refusal naming the version", err)
	}
}

func TestOpenRefusesURIs(t *testing.T) {
	for _, p := range []string{"file:x.db", "x.db?_pragma=journal_mode(DELETE)"} {
		if db, err := Open(t.Context(), p); err == nil {
			db.Close()
			t.Errorf("Open(%q) accepted a URI; it must take a plain path", p)
		}
	}
}

func testCipher(t *testing.T, seed byte) state.Cipher {
	t.Helper()
	c, err := state.NewAESGCM(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rawTokens(t *testing.T, db *DB, store string) (access, refresh []byte, sealed bool) {
	t.Helper()
	err := db.r.QueryRow(`SELECT access_token, refresh_token, sealed FROM tokens WHERE store = ?`, store).
		Scan(&access, &refresh, &sealed)
	if err != nil {
		t.Fatal(err)
	}
	return access, refresh, sealed
}

func TestTokensEncryptedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tok.db")
	key := testCipher(t, 1)
	tokens := bridge.Tokens{AccessToken: "ACCESS-secret-1234", RefreshToken: "REFRESH-secret-5678", UpdatedAt: time.Unix(100, 0).UTC()}

	db := openFile(t, path, WithCipher(key))
	if err := db.SaveTokens(t.Context(), "shop-a", tokens); err != nil {
		t.Fatal(err)
	}
	access, refresh, sealed := rawTokens(t, db, "shop-a")
	if !sealed || bytes.Contains(access, []byte("ACCESS")) || bytes.Contains(refresh, []byte("REFRESH")) {
		t.Fatalf("tokens stored in the clear with a cipher configured (sealed=%v)", sealed)
	}
	got, err := db.LoadTokens(t.Context(), "shop-a")
	if err != nil || got != tokens {
		t.Fatalf("LoadTokens with the key: err=%v, round trip equal=%v", err, got == tokens)
	}
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("ACCESS-secret")) {
		t.Error("the access token is readable in the database file")
	}

	// Without the key, or with another one, Open refuses the database
	// (TestSealedTokensNeedTheirKey); a token sealed after Open, by another
	// process, is still not returned in the clear.
	nokey := openFile(t, filepath.Join(t.TempDir(), "later.db"))
	if _, err := nokey.w.Exec(`INSERT INTO tokens (store, access_token, refresh_token, sealed, access_expires_at, refresh_expires_at, updated_at)
		VALUES ('shop-a', ?, ?, 1, 0, 0, 0)`, access, refresh); err != nil {
		t.Fatal(err)
	}
	_, err = nokey.LoadTokens(t.Context(), "shop-a")
	if !errors.Is(err, state.ErrNoKey) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("LoadTokens without a key: err = %v, want state.ErrNoKey without the token", err)
	}
}

func TestPlainTokensAreSealedWhenAKeyIsSet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upgrade.db")
	tokens := bridge.Tokens{AccessToken: "ACCESS-plain", RefreshToken: "REFRESH-plain"}
	db := openFile(t, path)
	if err := db.SaveTokens(t.Context(), "shop-a", tokens); err != nil {
		t.Fatal(err)
	}
	if _, _, sealed := rawTokens(t, db, "shop-a"); sealed {
		t.Fatal("tokens sealed without a cipher")
	}
	db.Close()

	db = openFile(t, path, WithCipher(testCipher(t, 1)))
	access, _, sealed := rawTokens(t, db, "shop-a")
	if !sealed || bytes.Contains(access, []byte("ACCESS")) {
		t.Fatal("Open with a cipher left plaintext tokens in the clear")
	}
	got, err := db.LoadTokens(t.Context(), "shop-a")
	if err != nil || got != tokens {
		t.Fatalf("LoadTokens after sealing: err=%v, round trip equal=%v", err, got == tokens)
	}
}

func TestInMemoryDatabasesAreSeparate(t *testing.T) {
	a := openFile(t, Memory)
	b := openFile(t, Memory)
	if err := a.SetMeta(t.Context(), "k", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Meta(t.Context(), "k"); !errors.Is(err, bridge.ErrNotFound) {
		t.Errorf("second in-memory database sees the first one's data: err = %v", err)
	}
}

// TestTwoProcessesShareAFile opens the file twice, as the daemon and a
// "shopbridge report" run would, and writes from both at once: busy_timeout
// makes each wait for the other's lock instead of failing with SQLITE_BUSY.
func TestTwoProcessesShareAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	dbs := []*DB{openFile(t, path), openFile(t, path)}
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i, db := range dbs {
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range 25 {
					key := fmt.Sprintf("db%d-g%d-%d", i, g, n)
					if err := db.SetMeta(ctx, key, "v"); err != nil {
						errs <- err
						return
					}
					if err := db.RecordAudit(ctx, bridge.AuditEntry{Command: key}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write from two handles: %v", err)
	}
	entries, err := dbs[0].Audit(ctx, 1000)
	if err != nil || len(entries) != 100 {
		t.Errorf("Audit after concurrent writes: %d entries (%v), want 100", len(entries), err)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
