package postgres

import "context"

// Meta returns a bookkeeping value (bridge.ErrNotFound for a missing key).
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return "", wrapErr(err, "read meta %q", key)
	}
	return v, nil
}

// SetMeta stores a bookkeeping value.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := db.pool.Exec(ctx,
		`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	return wrapErr(err, "set meta %q", key)
}
