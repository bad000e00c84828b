-- shopbridge state, PostgreSQL schema version 8: leases and replica
-- presence (bridge.Leases), through which several replicas share the work.
--   leases    one row per lease name: its holder, the fencing token of the
--             holder's tenure (grows by one with each new tenure, never goes
--             back: a released or expired lease keeps its row and token) and
--             when it expires, in Unix nanoseconds on the database's clock
--             (now()), so that the replicas' clocks may disagree.
--   replicas  one row per replica: when its heartbeat expires.
-- A lease is taken or renewed by one INSERT … ON CONFLICT DO UPDATE … WHERE
-- (the holder's, or expired): the row lock of the upsert decides between
-- replicas asking at once.

CREATE TABLE leases (
    name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    token      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE replicas (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
