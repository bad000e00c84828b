package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/postgres"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// testDSN returns the test server's DSN, or skips the test.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("SHOPBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SHOPBRIDGE_TEST_POSTGRES_DSN not set: skipping PostgreSQL contract tests")
	}
	return dsn
}

// testDSNB is testDSN for benchmarks.
func testDSNB(b *testing.B) string {
	b.Helper()
	dsn := os.Getenv("SHOPBRIDGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("SHOPBRIDGE_TEST_POSTGRES_DSN not set: skipping PostgreSQL benchmarks")
	}
	return dsn
}

// schemas hands out one fresh schema per database name for this test run,
// and drops them all when the test ends.
type schemas struct {
	t     *testing.T
	dsn   string
	run   string
	mu    sync.Mutex
	names map[string]string
}

func newSchemas(t *testing.T) *schemas {
	t.Helper()
	dsn := testDSN(t)
	b := make([]byte, 4)
	rand.Read(b)
	s := &schemas{t: t, dsn: dsn, run: hex.EncodeToString(b), names: map[string]string{}}
	t.Cleanup(s.dropAll)
	return s
}

// schema is the schema of a database name: sb_test_<run>_<hash of name>,
// short enough for PostgreSQL's 63-character identifiers.
func (s *schemas) schema(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc, ok := s.names[name]; ok {
		return sc
	}
	h := sha256.Sum256([]byte(name))
	sc := "sb_test_" + s.run + "_" + hex.EncodeToString(h[:8])
	s.names[name] = sc
	return sc
}

func (s *schemas) dropAll() { s.dropAllB(s.t) }

func (s *schemas) dropAllB(tb testing.TB) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		tb.Errorf("connect to drop test schemas: %v", err)
		return
	}
	defer conn.Close(ctx)
	for _, sc := range s.names {
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{sc}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop test schema %s: %v", sc, err)
		}
	}
}

func (s *schemas) open(t *testing.T, name string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), s.dsn, append([]postgres.Option{postgres.WithSchema(s.schema(name))}, opts...)...)
	if err != nil {
		t.Fatalf("postgres.Open(%s): %v", name, err)
	}
	return db
}

// TestContract runs the state contract suite, each database in its own
// schema, with the upgrade tests (a schema of an older release, then opened).
func TestContract(t *testing.T) {
	s := newSchemas(t)
	statetest.Run(t, func(t *testing.T, name string) bridge.State {
		return s.open(t, name)
	}, statetest.WithLegacy(func(t *testing.T, name string, version int) statetest.LegacyDB {
		db, err := postgres.OpenLegacy(t.Context(), s.dsn, s.schema(name), version)
		if err != nil {
			t.Fatalf("postgres.OpenLegacy(%s, version %d): %v", name, version, err)
		}
		return db
	}))
}
