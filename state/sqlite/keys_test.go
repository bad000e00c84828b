package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// sealedDB makes a file database holding the tokens of n stores, sealed
// with key, and plain ones of the store "plain".
func sealedDB(t *testing.T, key state.Cipher, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tok.db")
	db := openFile(t, path)
	if err := db.SaveTokens(t.Context(), "plain", bridge.Tokens{AccessToken: "ACCESS-plain", RefreshToken: "REFRESH-plain"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openFile(t, path, WithCipher(key)) // seals "plain"
	for i := range n - 1 {
		tok := bridge.Tokens{AccessToken: fmt.Sprintf("ACCESS-secret-%d", i), RefreshToken: fmt.Sprintf("REFRESH-secret-%d", i)}
		if err := db.SaveTokens(t.Context(), bridge.StoreID(fmt.Sprintf("shop-%d", i)), tok); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	return path
}

func TestSealedTokensNeedTheirKey(t *testing.T) {
	key := testCipher(t, 1)
	path := sealedDB(t, key, 3)

	_, err := Open(t.Context(), path)
	if !errors.Is(err, state.ErrKeyMissing) {
		t.Fatalf("Open without the key: err = %v; want state.ErrKeyMissing", err)
	}
	if want := "state: the database holds encrypted marketplace tokens of 3 stores but SHOPBRIDGE_SECRET_KEY is not set"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	_, err = Open(t.Context(), path, WithCipher(testCipher(t, 2)))
	if !errors.Is(err, state.ErrKeyMismatch) {
		t.Fatalf("Open with another key: err = %v; want state.ErrKeyMismatch", err)
	}
	if want := "state: SHOPBRIDGE_SECRET_KEY does not decrypt the tokens in the state database (it is not the key they were encrypted with)"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	db := openFile(t, path, WithCipher(key))
	got, err := db.LoadTokens(t.Context(), "shop-1")
	if err != nil || got.AccessToken != "ACCESS-secret-1" {
		t.Errorf("LoadTokens with the right key: %q, %v", got.AccessToken, err)
	}
}

// A wrong key must not seal the plain tokens with itself: the database
// would then hold tokens under two keys.
func TestWrongKeySealsNothing(t *testing.T) {
	key := testCipher(t, 1)
	path := filepath.Join(t.TempDir(), "mixed.db")
	db := openFile(t, path, WithCipher(key))
	if err := db.SaveTokens(t.Context(), "sealed", bridge.Tokens{AccessToken: "a", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A plain token, saved before a key was configured.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO tokens (store, access_token, refresh_token, sealed, access_expires_at, refresh_expires_at, updated_at)
		VALUES ('plain', 'ACCESS-plain', 'REFRESH-plain', 0, 0, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	if _, err := Open(t.Context(), path, WithCipher(testCipher(t, 2))); !errors.Is(err, state.ErrKeyMismatch) {
		t.Fatalf("Open with another key: err = %v; want state.ErrKeyMismatch", err)
	}
	db = openFile(t, path, WithCipher(key))
	if tok, err := db.LoadTokens(t.Context(), "plain"); err != nil || tok.AccessToken != "ACCESS-plain" {
		t.Errorf("the plain token after a refused open with a wrong key: %q, %v", tok.AccessToken, err)
	}
}

// One store's tokens that the key does not open (damaged, or sealed with
// another key) do not stop the others: the open goes on and names the store.
func TestOneUnreadableStoreIsLoggedNotRefused(t *testing.T) {
	key := testCipher(t, 1)
	path := sealedDB(t, key, 3)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE tokens SET access_token = X'0102030405' WHERE store = 'shop-0'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	var logs bytes.Buffer
	db := openFile(t, path, WithCipher(key), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "shop-0") || strings.Contains(logs.String(), "shop-1") {
		t.Errorf("log does not name the one unreadable store:\n%s", logs.String())
	}
	if _, err := db.LoadTokens(t.Context(), "shop-1"); err != nil {
		t.Errorf("LoadTokens of a readable store: %v", err)
	}
}
