-- shopbridge state, SQLite schema version 2: the events behind the daily
-- inspection report, recorded as they happen.

-- First responses: a reply that ended a buyer's wait. One per reply.
CREATE TABLE responses (
    id             INTEGER PRIMARY KEY,
    store          TEXT    NOT NULL,
    conversation   TEXT    NOT NULL,
    reply_id       INTEGER NOT NULL DEFAULT 0,
    agent_id       TEXT    NOT NULL DEFAULT '',
    agent_name     TEXT    NOT NULL DEFAULT '',
    awaiting_since INTEGER NOT NULL DEFAULT 0,
    responded_at   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX responses_reply ON responses (reply_id) WHERE reply_id <> 0;
CREATE INDEX responses_at ON responses (responded_at, id);
CREATE INDEX responses_store_at ON responses (store, responded_at, id);

-- Engine starts, resumed from saved state or not.
CREATE TABLE restarts (
    id                 INTEGER PRIMARY KEY,
    at                 INTEGER NOT NULL DEFAULT 0,
    resumed            INTEGER NOT NULL DEFAULT 0,
    stores             INTEGER NOT NULL DEFAULT 0,
    stores_with_cursor INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX restarts_at ON restarts (at, id);

-- Changes of conversation↔thread mappings, written by the backend in the
-- same transaction as the change (kind: opened, replaced, duplicate).
CREATE TABLE thread_events (
    id             INTEGER PRIMARY KEY,
    store          TEXT    NOT NULL,
    conversation   TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    thread_channel TEXT    NOT NULL DEFAULT '',
    thread_id      TEXT    NOT NULL DEFAULT '',
    prev_channel   TEXT    NOT NULL DEFAULT '',
    prev_id        TEXT    NOT NULL DEFAULT '',
    at             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX thread_events_at ON thread_events (at, id);
