-- shopbridge state, SQLite schema version 8: leases and replica presence
-- (bridge.Leases). SQLite is single-replica (one process holds the file, see
-- sqlite.WithExclusive), but it keeps the same rows with the same meaning as
-- PostgreSQL, so that the engine has one code path.
--   leases    one row per lease name: its holder, the fencing token of the
--             holder's tenure (grows by one with each new tenure, never goes
--             back: a released or expired lease keeps its row and token) and
--             when it expires, in Unix nanoseconds on the database's clock.
--   replicas  one row per replica: when its heartbeat expires.

CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    token      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE replicas (
    id         TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
