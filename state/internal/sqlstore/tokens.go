package sqlstore

import (
	"context"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// LoadTokens returns the store's tokens (bridge.ErrNotFound when it has none).
func (s *Store) LoadTokens(ctx context.Context, id bridge.StoreID) (bridge.Tokens, error) {
	var (
		access, refresh           []byte
		sealed                    bool
		accessExp, refreshExp, up int64
	)
	err := s.conn.QueryRow(ctx,
		`SELECT access_token, refresh_token, sealed, access_expires_at, refresh_expires_at, updated_at
		 FROM tokens WHERE store = $1`, string(id)).
		Scan(&access, &refresh, &sealed, &accessExp, &refreshExp, &up)
	if err != nil {
		return bridge.Tokens{}, s.wrapErr(err, "load tokens of store %s", id)
	}
	t := bridge.Tokens{
		AccessExpiresAt:  state.FromUnixNano(accessExp),
		RefreshExpiresAt: state.FromUnixNano(refreshExp),
		UpdatedAt:        state.FromUnixNano(up),
	}
	if t.AccessToken, err = state.OpenToken(s.o.Cipher, access, sealed); err != nil {
		return bridge.Tokens{}, fmt.Errorf("%s: load tokens of store %s: access token: %w (%w)", s.d.Name, id, bridge.ErrTokensUnreadable, err)
	}
	if t.RefreshToken, err = state.OpenToken(s.o.Cipher, refresh, sealed); err != nil {
		return bridge.Tokens{}, fmt.Errorf("%s: load tokens of store %s: refresh token: %w (%w)", s.d.Name, id, bridge.ErrTokensUnreadable, err)
	}
	return t, nil
}

// SaveTokens stores the store's tokens, sealed when a cipher is configured.
func (s *Store) SaveTokens(ctx context.Context, id bridge.StoreID, t bridge.Tokens) error {
	access, sealed, err := state.SealToken(s.o.Cipher, t.AccessToken)
	if err != nil {
		return fmt.Errorf("%s: save tokens of store %s: %w", s.d.Name, id, err)
	}
	refresh, _, err := state.SealToken(s.o.Cipher, t.RefreshToken)
	if err != nil {
		return fmt.Errorf("%s: save tokens of store %s: %w", s.d.Name, id, err)
	}
	_, err = s.conn.Exec(ctx,
		`INSERT INTO tokens (store, access_token, refresh_token, sealed, access_expires_at, refresh_expires_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (store) DO UPDATE SET
		   access_token = excluded.access_token, refresh_token = excluded.refresh_token,
		   sealed = excluded.sealed, access_expires_at = excluded.access_expires_at,
		   refresh_expires_at = excluded.refresh_expires_at, updated_at = excluded.updated_at`,
		string(id), access, refresh, sealed,
		state.UnixNano(t.AccessExpiresAt), state.UnixNano(t.RefreshExpiresAt), state.UnixNano(t.UpdatedAt))
	return s.wrapErr(err, "save tokens of store %s", id)
}

// SealPlainTokens checks that the key can read the tokens sealed in the
// database (CheckTokenKey), then seals, when a cipher is configured, the
// tokens that were saved before one was: after Open no token is left in the
// clear. The check comes first, so that plain tokens are never sealed with
// a key that is not the database's.
func SealPlainTokens(ctx context.Context, s *Store) error {
	if err := CheckTokenKey(ctx, s); err != nil {
		return err
	}
	if s.o.Cipher == nil {
		return nil
	}
	var sealedStores []string
	err := s.conn.InTx(ctx, func(tx Tx) error {
		type row struct {
			store           string
			access, refresh []byte
		}
		rows, err := tx.Query(ctx, `SELECT store, access_token, refresh_token FROM tokens WHERE NOT sealed`+s.d.LockRows)
		if err != nil {
			return err
		}
		var plain []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.store, &r.access, &r.refresh); err != nil {
				rows.Close()
				return err
			}
			plain = append(plain, r)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range plain {
			access, _, err := state.SealToken(s.o.Cipher, string(r.access))
			if err != nil {
				return err
			}
			refresh, _, err := state.SealToken(s.o.Cipher, string(r.refresh))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx,
				`UPDATE tokens SET access_token = $1, refresh_token = $2, sealed = TRUE WHERE store = $3`,
				access, refresh, r.store); err != nil {
				return err
			}
			sealedStores = append(sealedStores, r.store)
		}
		return nil
	})
	if err != nil {
		return s.wrapErr(err, "encrypt stored tokens")
	}
	if len(sealedStores) > 0 {
		s.o.Logger.Info("encrypted tokens stored in the clear", "backend", s.d.Name, "stores", sealedStores)
	}
	return nil
}

// CheckTokenKey refuses a database whose sealed tokens the configured key
// cannot read, so that a missing or wrong key stops the start instead of
// leaving every store without tokens: sealed tokens and no cipher is
// state.ErrKeyMissing; a cipher that opens none of them is
// state.ErrKeyMismatch. When it opens some but not all (a damaged row, a row
// sealed with another key), the open goes on and the stores are logged as an
// error: they need re-authorizing, which needs the state. The errors hold no
// key material and no token.
func CheckTokenKey(ctx context.Context, s *Store) error {
	type row struct {
		store           string
		access, refresh []byte
	}
	rows, err := s.conn.Query(ctx, `SELECT store, access_token, refresh_token FROM tokens WHERE sealed ORDER BY store`)
	if err != nil {
		return s.wrapErr(err, "read sealed tokens")
	}
	var sealed []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.store, &r.access, &r.refresh); err != nil {
			rows.Close()
			return s.wrapErr(err, "read sealed tokens")
		}
		sealed = append(sealed, r)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return s.wrapErr(err, "read sealed tokens")
	}
	if err := rows.Close(); err != nil {
		return s.wrapErr(err, "read sealed tokens")
	}
	if len(sealed) == 0 {
		return nil
	}
	if s.o.Cipher == nil {
		return state.Refuse(state.ErrKeyMissing,
			"state: the database holds encrypted marketplace tokens of %s but SHOPBRIDGE_SECRET_KEY is not set", stores(len(sealed)))
	}
	var unreadable []string
	for _, r := range sealed {
		_, errA := s.o.Cipher.Open(r.access)
		_, errR := s.o.Cipher.Open(r.refresh)
		if errA != nil || errR != nil {
			unreadable = append(unreadable, r.store)
		}
	}
	switch {
	case len(unreadable) == len(sealed):
		return state.Refuse(state.ErrKeyMismatch,
			"state: SHOPBRIDGE_SECRET_KEY does not decrypt the tokens in the state database (it is not the key they were encrypted with)")
	case len(unreadable) > 0:
		s.o.Logger.Error("SHOPBRIDGE_SECRET_KEY decrypts the tokens of some stores but not of these (damaged, or encrypted with another key): authorize them again",
			"backend", s.d.Name, "stores", unreadable)
	}
	return nil
}

// stores is "1 store" or "n stores".
func stores(n int) string {
	if n == 1 {
		return "1 store"
	}
	return fmt.Sprintf("%d stores", n)
}
