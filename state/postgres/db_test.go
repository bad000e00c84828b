package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/postgres"
)

func TestMigrationsAreIdempotentAcrossReplicas(t *testing.T) {
	s := newSchemas(t)
	// Several replicas start at once on an empty schema.
	var wg sync.WaitGroup
	dbs := make([]*postgres.DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = postgres.Open(t.Context(), s.dsn, postgres.WithSchema(s.schema("replicas")))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Open: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var rows int
	if err := dbs[0].Pool().QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != postgres.LatestSchema() {
		t.Errorf("schema_migrations has %d rows (%v) after 4 replicas started, want %d (one per migration)", rows, err, postgres.LatestSchema())
	}
	if v, err := dbs[1].SchemaVersion(t.Context()); err != nil || v != postgres.LatestSchema() {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, postgres.LatestSchema())
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	s := newSchemas(t)
	db := s.open(t, "newer")
	if _, err := db.Pool().Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := postgres.Open(t.Context(), s.dsn, postgres.WithSchema(s.schema("newer")))
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open of a schema from a newer release: err = %v, want a refusal naming the version", err)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	cases := []string{
		"postgres://user:hunter2-secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=1", // nothing listens on port 1
		"postgres://user:hunter2-secret@[::1/db",                                          // unparsable
	}
	for _, dsn := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		db, err := postgres.Open(ctx, dsn)
		cancel()
		if err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", strings.ReplaceAll(dsn, "hunter2-secret", "***"))
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open error shows the password: %s", strings.ReplaceAll(err.Error(), "hunter2-secret", "***"))
		}
	}
	if _, err := postgres.Open(context.Background(), "postgres://u@127.0.0.1:1/db", postgres.WithSchema("Bad-Name")); err == nil {
		t.Error("Open accepted a schema name that is not a plain identifier")
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

func TestTokensEncryptedAtRest(t *testing.T) {
	s := newSchemas(t)
	ctx := t.Context()
	tokens := bridge.Tokens{AccessToken: "ACCESS-secret-1234", RefreshToken: "REFRESH-secret-5678", UpdatedAt: time.Unix(100, 0).UTC()}

	// Saved in the clear, then sealed when a key is configured.
	plain := s.open(t, "tokens")
	if err := plain.SaveTokens(ctx, "shop-plain", tokens); err != nil {
		t.Fatal(err)
	}
	plain.Close()

	db := s.open(t, "tokens", postgres.WithCipher(testCipher(t, 1)))
	if err := db.SaveTokens(ctx, "shop-a", tokens); err != nil {
		t.Fatal(err)
	}
	for _, store := range []string{"shop-a", "shop-plain"} {
		var access, refresh []byte
		var sealed bool
		err := db.Pool().QueryRow(ctx, `SELECT access_token, refresh_token, sealed FROM tokens WHERE store = $1`, store).
			Scan(&access, &refresh, &sealed)
		if err != nil {
			t.Fatal(err)
		}
		if !sealed || bytes.Contains(access, []byte("ACCESS")) || bytes.Contains(refresh, []byte("REFRESH")) {
			t.Errorf("%s: tokens stored in the clear with a cipher configured (sealed=%v)", store, sealed)
		}
		got, err := db.LoadTokens(ctx, bridge.StoreID(store))
		if err != nil || got != tokens {
			t.Errorf("%s: LoadTokens with the key: err=%v, round trip equal=%v", store, err, got == tokens)
		}
	}
	db.Close()

	// Without the key, or with another one, Open refuses the schema.
	if _, err := postgres.Open(ctx, s.dsn, postgres.WithSchema(s.schema("tokens"))); !errors.Is(err, state.ErrKeyMissing) {
		t.Errorf("Open without the key: err = %v, want state.ErrKeyMissing", err)
	}
	if _, err := postgres.Open(ctx, s.dsn, postgres.WithSchema(s.schema("tokens")), postgres.WithCipher(testCipher(t, 2))); !errors.Is(err, state.ErrKeyMismatch) {
		t.Errorf("Open with the wrong key: err = %v, want state.ErrKeyMismatch", err)
	}
}

// TestSealedTokensNeedTheirKey: a schema with encrypted tokens opens only
// with the key that encrypted them, each refusal one line that names
// SHOPBRIDGE_SECRET_KEY and holds neither the key nor a token.
func TestSealedTokensNeedTheirKey(t *testing.T) {
	s := newSchemas(t)
	ctx := t.Context()
	key := testCipher(t, 1)
	db := s.open(t, "sealed", postgres.WithCipher(key))
	for i := range 3 {
		tok := bridge.Tokens{AccessToken: fmt.Sprintf("ACCESS-secret-%d", i), RefreshToken: fmt.Sprintf("REFRESH-secret-%d", i)}
		if err := db.SaveTokens(ctx, bridge.StoreID(fmt.Sprintf("shop-%d", i)), tok); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	open := func(opts ...postgres.Option) error {
		db, err := postgres.Open(ctx, s.dsn, append([]postgres.Option{postgres.WithSchema(s.schema("sealed"))}, opts...)...)
		if err == nil {
			db.Close()
		}
		return err
	}

	err := open()
	if !errors.Is(err, state.ErrKeyMissing) {
		t.Fatalf("Open without the key: err = %v; want state.ErrKeyMissing", err)
	}
	if want := "state: the database holds encrypted marketplace tokens of 3 stores but SHOPBRIDGE_SECRET_KEY is not set"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	err = open(postgres.WithCipher(testCipher(t, 2)))
	if !errors.Is(err, state.ErrKeyMismatch) {
		t.Fatalf("Open with another key: err = %v; want state.ErrKeyMismatch", err)
	}
	if want := "state: SHOPBRIDGE_SECRET_KEY does not decrypt the tokens in the state database (it is not the key they were encrypted with)"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	db = s.open(t, "sealed", postgres.WithCipher(key))
	defer db.Close()
	if got, err := db.LoadTokens(ctx, "shop-2"); err != nil || got.AccessToken != "ACCESS-secret-2" {
		t.Errorf("LoadTokens with the right key: %q, %v", got.AccessToken, err)
	}
}
