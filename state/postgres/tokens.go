package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// LoadTokens returns the store's tokens (bridge.ErrNotFound when it has none).
func (db *DB) LoadTokens(ctx context.Context, id bridge.StoreID) (bridge.Tokens, error) {
	var (
		access, refresh           []byte
		sealed                    bool
		accessExp, refreshExp, up int64
	)
	err := db.pool.QueryRow(ctx,
		`SELECT access_token, refresh_token, sealed, access_expires_at, refresh_expires_at, updated_at
		 FROM tokens WHERE store = $1`, string(id)).
		Scan(&access, &refresh, &sealed, &accessExp, &refreshExp, &up)
	if err != nil {
		return bridge.Tokens{}, wrapErr(err, "load tokens of store %s", id)
	}
	t := bridge.Tokens{
		AccessExpiresAt:  state.FromUnixNano(accessExp),
		RefreshExpiresAt: state.FromUnixNano(refreshExp),
		UpdatedAt:        state.FromUnixNano(up),
	}
	if t.AccessToken, err = state.OpenToken(db.opts.cipher, access, sealed); err != nil {
		return bridge.Tokens{}, fmt.Errorf("postgres: load tokens of store %s: access token: %w", id, err)
	}
	if t.RefreshToken, err = state.OpenToken(db.opts.cipher, refresh, sealed); err != nil {
		return bridge.Tokens{}, fmt.Errorf("postgres: load tokens of store %s: refresh token: %w", id, err)
	}
	return t, nil
}

// SaveTokens stores the store's tokens, sealed when a cipher is configured.
func (db *DB) SaveTokens(ctx context.Context, id bridge.StoreID, t bridge.Tokens) error {
	access, sealed, err := state.SealToken(db.opts.cipher, t.AccessToken)
	if err != nil {
		return fmt.Errorf("postgres: save tokens of store %s: %w", id, err)
	}
	refresh, _, err := state.SealToken(db.opts.cipher, t.RefreshToken)
	if err != nil {
		return fmt.Errorf("postgres: save tokens of store %s: %w", id, err)
	}
	_, err = db.pool.Exec(ctx,
		`INSERT INTO tokens (store, access_token, refresh_token, sealed, access_expires_at, refresh_expires_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (store) DO UPDATE SET
		   access_token = excluded.access_token, refresh_token = excluded.refresh_token,
		   sealed = excluded.sealed, access_expires_at = excluded.access_expires_at,
		   refresh_expires_at = excluded.refresh_expires_at, updated_at = excluded.updated_at`,
		string(id), access, refresh, sealed,
		state.UnixNano(t.AccessExpiresAt), state.UnixNano(t.RefreshExpiresAt), state.UnixNano(t.UpdatedAt))
	return wrapErr(err, "save tokens of store %s", id)
}

// sealPlainTokens seals, when a cipher is configured, the tokens that were
// saved before one was: after Open no token is left in the clear. Without a
// cipher it only warns about sealed tokens it will not be able to read.
func (db *DB) sealPlainTokens(ctx context.Context) error {
	if db.opts.cipher == nil {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM tokens WHERE sealed`).Scan(&n); err != nil {
			return wrapErr(err, "count sealed tokens")
		}
		if n > 0 {
			db.opts.logger.Warn("stored tokens are encrypted but no token key is configured; they cannot be read",
				"backend", "postgres", "stores", n)
		}
		return nil
	}
	var sealedStores []string
	err := db.write(ctx, func(tx pgx.Tx) error {
		type row struct {
			store           string
			access, refresh []byte
		}
		rows, err := tx.Query(ctx, `SELECT store, access_token, refresh_token FROM tokens WHERE NOT sealed FOR UPDATE`)
		if err != nil {
			return err
		}
		plain, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var v row
			err := r.Scan(&v.store, &v.access, &v.refresh)
			return v, err
		})
		if err != nil {
			return err
		}
		for _, r := range plain {
			access, _, err := state.SealToken(db.opts.cipher, string(r.access))
			if err != nil {
				return err
			}
			refresh, _, err := state.SealToken(db.opts.cipher, string(r.refresh))
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
		return wrapErr(err, "encrypt stored tokens")
	}
	if len(sealedStores) > 0 {
		db.opts.logger.Info("encrypted tokens stored in the clear", "backend", "postgres", "stores", sealedStores)
	}
	return nil
}
