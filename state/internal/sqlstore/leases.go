package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// Leases and replica presence (bridge.Leases). Every expiry is computed by
// the database from its own clock (Dialect.NowNanos, written "{now}" in the
// statements below), never from the caller's.

// acquireLeaseSQL takes a lease that is free, expired or the holder's own,
// in one statement: the conflict clause's WHERE refuses another holder's
// unexpired lease (no row comes back). The token grows with each new
// tenure: another holder, or the same one after the lease expired or was
// released (expires_at 0).
const acquireLeaseSQL = `INSERT INTO leases (name, holder, token, expires_at) VALUES ($1, $2, 1, {now} + $3)
	ON CONFLICT (name) DO UPDATE SET
		token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > {now}
			THEN leases.token ELSE leases.token + 1 END,
		holder = excluded.holder,
		expires_at = excluded.expires_at
	WHERE leases.holder = excluded.holder OR leases.expires_at <= {now}
	RETURNING holder, token, expires_at`

// nowSQL puts the dialect's clock into a statement.
func (s *Store) nowSQL(query string) string {
	return strings.ReplaceAll(query, "{now}", s.d.NowNanos)
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("the TTL must be positive, got %s", ttl)
	}
	return nil
}

// AcquireLease takes or renews the lease name for holder until ttl from the
// database's now.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bridge.Lease, bool, error) {
	if name == "" || holder == "" {
		return bridge.Lease{}, false, fmt.Errorf("%s: acquire lease %q for %q: the lease and its holder must be named", s.d.Name, name, holder)
	}
	if err := checkTTL(ttl); err != nil {
		return bridge.Lease{}, false, fmt.Errorf("%s: acquire lease %s: %w", s.d.Name, name, err)
	}
	l := bridge.Lease{Name: name}
	var held bool
	err := s.conn.InTx(ctx, func(tx Tx) error {
		var expires int64
		err := tx.QueryRow(ctx, s.nowSQL(acquireLeaseSQL), name, holder, ttl.Nanoseconds()).Scan(&l.Holder, &l.Token, &expires)
		if err == nil {
			held = true
			l.ExpiresAt = state.FromUnixNano(expires)
			return nil
		}
		if !isNoRows(err) {
			return err
		}
		// Another holder's unexpired lease: say whose, and until when.
		err = tx.QueryRow(ctx, `SELECT holder, token, expires_at FROM leases WHERE name = $1`, name).Scan(&l.Holder, &l.Token, &expires)
		l.ExpiresAt = state.FromUnixNano(expires)
		return err
	})
	if err != nil {
		return bridge.Lease{}, false, s.wrapErr(err, "acquire lease %s for %s", name, holder)
	}
	return l, held, nil
}

// ReleaseLease ends holder's lease name now, keeping its token.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.conn.Exec(ctx, `UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2`, name, holder)
	return s.wrapErr(err, "release lease %s of %s", name, holder)
}

// CurrentLeases lists the unexpired leases by name.
func (s *Store) CurrentLeases(ctx context.Context) ([]bridge.Lease, error) {
	out, err := queryAll(ctx, s, func(r Row) (bridge.Lease, error) {
		var (
			l       bridge.Lease
			expires int64
		)
		err := r.Scan(&l.Name, &l.Holder, &l.Token, &expires)
		l.ExpiresAt = state.FromUnixNano(expires)
		return l, err
	}, s.nowSQL(`SELECT name, holder, token, expires_at FROM leases WHERE expires_at > {now} ORDER BY name`))
	return out, s.wrapErr(err, "list leases")
}

// HeartbeatReplica records that replica id is alive until ttl from the
// database's now.
func (s *Store) HeartbeatReplica(ctx context.Context, id string, ttl time.Duration) (time.Time, error) {
	if id == "" {
		return time.Time{}, fmt.Errorf("%s: replica heartbeat: the replica must be named", s.d.Name)
	}
	if err := checkTTL(ttl); err != nil {
		return time.Time{}, fmt.Errorf("%s: heartbeat of replica %s: %w", s.d.Name, id, err)
	}
	var expires int64
	err := s.conn.InTx(ctx, func(tx Tx) error {
		return tx.QueryRow(ctx, s.nowSQL(`INSERT INTO replicas (id, expires_at) VALUES ($1, {now} + $2)
			ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
			RETURNING expires_at`), id, ttl.Nanoseconds()).Scan(&expires)
	})
	if err != nil {
		return time.Time{}, s.wrapErr(err, "heartbeat of replica %s", id)
	}
	return state.FromUnixNano(expires), nil
}

// LiveReplicas lists the replicas whose heartbeat has not expired, by ID.
func (s *Store) LiveReplicas(ctx context.Context) ([]bridge.Replica, error) {
	out, err := queryAll(ctx, s, func(r Row) (bridge.Replica, error) {
		var (
			rep     bridge.Replica
			expires int64
		)
		err := r.Scan(&rep.ID, &expires)
		rep.ExpiresAt = state.FromUnixNano(expires)
		return rep, err
	}, s.nowSQL(`SELECT id, expires_at FROM replicas WHERE expires_at > {now} ORDER BY id`))
	return out, s.wrapErr(err, "list replicas")
}

// RemoveReplica deletes replica id's heartbeat.
func (s *Store) RemoveReplica(ctx context.Context, id string) error {
	_, err := s.conn.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, id)
	return s.wrapErr(err, "remove replica %s", id)
}

// isNoRows is a single-row read that found nothing (pgx.ErrNoRows is
// sql.ErrNoRows too).
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
