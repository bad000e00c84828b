package sqlstore

import "context"

// Meta returns a bookkeeping value (bridge.ErrNotFound for a missing key).
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.conn.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return "", s.wrapErr(err, "read meta %q", key)
	}
	return v, nil
}

// SetMeta stores a bookkeeping value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	return s.wrapErr(err, "set meta %q", key)
}
