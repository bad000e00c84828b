package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// StoreAuthRecord returns the store's authorization record (the zero record
// for a store without one).
func (s *Store) StoreAuthRecord(ctx context.Context, id bridge.StoreID) (bridge.StoreAuthRecord, error) {
	r := bridge.StoreAuthRecord{Store: id}
	var since, warned int64
	err := s.conn.QueryRow(ctx,
		`SELECT needs_update, reason, since, alert_channel, alert_id, warned_expiry FROM store_auth WHERE store = $1`,
		string(id)).Scan(&r.NeedsUpdate, &r.Reason, &since, &r.Alert.Channel, &r.Alert.ID, &warned)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return bridge.StoreAuthRecord{Store: id}, s.wrapErr(err, "read authorization record of store %s", id)
	}
	r.Since, r.WarnedExpiry = state.FromUnixNano(since), state.FromUnixNano(warned)
	return r, nil
}

// SaveStoreAuthRecord creates or replaces the store's authorization record.
func (s *Store) SaveStoreAuthRecord(ctx context.Context, r bridge.StoreAuthRecord) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO store_auth (store, needs_update, reason, since, alert_channel, alert_id, warned_expiry)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)
		 ON CONFLICT (store) DO UPDATE SET needs_update = excluded.needs_update, reason = excluded.reason,
		   since = excluded.since, alert_channel = excluded.alert_channel, alert_id = excluded.alert_id,
		   warned_expiry = excluded.warned_expiry`,
		string(r.Store), r.NeedsUpdate, r.Reason, state.UnixNano(r.Since), r.Alert.Channel, r.Alert.ID,
		state.UnixNano(r.WarnedExpiry))
	return s.wrapErr(err, "save authorization record of store %s", r.Store)
}

// LastAuthAttempt returns the store's last authorization or refresh attempt.
func (s *Store) LastAuthAttempt(ctx context.Context, id bridge.StoreID) (bridge.AuthAttempt, error) {
	var (
		a  bridge.AuthAttempt
		at int64
	)
	err := s.conn.QueryRow(ctx, `SELECT at, ok, detail FROM auth_attempts WHERE store = $1`, string(id)).
		Scan(&at, &a.OK, &a.Detail)
	if err != nil {
		return bridge.AuthAttempt{}, s.wrapErr(err, "read last authorization attempt of store %s", id)
	}
	a.At = state.FromUnixNano(at)
	return a, nil
}

// RecordAuthAttempt records the store's latest attempt, replacing the one before.
func (s *Store) RecordAuthAttempt(ctx context.Context, id bridge.StoreID, a bridge.AuthAttempt) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO auth_attempts (store, at, ok, detail) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (store) DO UPDATE SET at = excluded.at, ok = excluded.ok, detail = excluded.detail`,
		string(id), state.UnixNano(a.At), a.OK, a.Detail)
	return s.wrapErr(err, "record authorization attempt of store %s", id)
}

// SaveAuthRequest stores an authorization link's request under the hash of
// its state token.
func (s *Store) SaveAuthRequest(ctx context.Context, r bridge.AuthRequest) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO auth_requests (state_hash, store, platform, expires_at, by_surface, by_user_id, by_user_name, by_channel)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.StateHash, string(r.Store), string(r.Platform), state.UnixNano(r.ExpiresAt),
		r.By.Surface, r.By.UserID, r.By.UserName, r.By.Channel)
	return s.wrapErr(err, "save authorization request of store %s", r.Store)
}

// TakeAuthRequest returns the request of a state token's hash and deletes
// it in one statement (single use, across processes too).
func (s *Store) TakeAuthRequest(ctx context.Context, stateHash string) (bridge.AuthRequest, error) {
	var r bridge.AuthRequest
	err := s.conn.InTx(ctx, func(tx Tx) error {
		var (
			store, platform string
			expires         int64
		)
		err := tx.QueryRow(ctx,
			`DELETE FROM auth_requests WHERE state_hash = $1
			 RETURNING state_hash, store, platform, expires_at, by_surface, by_user_id, by_user_name, by_channel`,
			stateHash).Scan(&r.StateHash, &store, &platform, &expires, &r.By.Surface, &r.By.UserID, &r.By.UserName, &r.By.Channel)
		r.Store, r.Platform, r.ExpiresAt = bridge.StoreID(store), bridge.Platform(platform), state.FromUnixNano(expires)
		return err
	})
	if err != nil {
		return bridge.AuthRequest{}, s.wrapErr(err, "take authorization request")
	}
	return r, nil
}
