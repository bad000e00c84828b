-- shopbridge state, SQLite schema version 1.
-- Times are UTC Unix nanoseconds (INTEGER); 0 is "unset".
-- Uniqueness that the bridge relies on lives here, not only in code.

CREATE TABLE store_state (
    store        TEXT    NOT NULL PRIMARY KEY,
    paused       INTEGER NOT NULL DEFAULT 0,
    cursor       INTEGER NOT NULL DEFAULT 0,
    last_sync_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Tokens are sealed with the configured cipher when "sealed" is 1.
CREATE TABLE tokens (
    store              TEXT    NOT NULL PRIMARY KEY,
    access_token       BLOB    NOT NULL,
    refresh_token      BLOB    NOT NULL,
    sealed             INTEGER NOT NULL DEFAULT 0,
    access_expires_at  INTEGER NOT NULL DEFAULT 0,
    refresh_expires_at INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- One thread per conversation (the primary key) and one conversation per
-- thread (the partial unique index; a record without a thread has '' / '').
CREATE TABLE conversations (
    store            TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    buyer_id         TEXT    NOT NULL DEFAULT '',
    buyer_name       TEXT    NOT NULL DEFAULT '',
    link             TEXT    NOT NULL DEFAULT '',
    thread_channel   TEXT    NOT NULL DEFAULT '',
    thread_id        TEXT    NOT NULL DEFAULT '',
    threads_replaced INTEGER NOT NULL DEFAULT 0,
    watermark_id     TEXT    NOT NULL DEFAULT '',
    watermark_at     INTEGER NOT NULL DEFAULT 0,
    last_buyer_at    INTEGER NOT NULL DEFAULT 0,
    last_seller_at   INTEGER NOT NULL DEFAULT 0,
    awaiting_since   INTEGER NOT NULL DEFAULT 0,
    unread           INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store, id)
);
CREATE UNIQUE INDEX conversations_thread ON conversations (thread_channel, thread_id)
    WHERE thread_channel <> '' OR thread_id <> '';

-- One row per handled marketplace message.
CREATE TABLE relayed_messages (
    store        TEXT    NOT NULL,
    conversation TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    sender       TEXT    NOT NULL DEFAULT '',
    sent_at      INTEGER NOT NULL DEFAULT 0,
    chat_channel TEXT    NOT NULL DEFAULT '',
    chat_id      TEXT    NOT NULL DEFAULT '',
    relayed_at   INTEGER NOT NULL DEFAULT 0,
    from_bridge  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store, conversation, message_id),
    FOREIGN KEY (store, conversation) REFERENCES conversations (store, id)
) WITHOUT ROWID;

-- The reply outbox: one row per agent chat message.
CREATE TABLE replies (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    store                  TEXT    NOT NULL,
    conversation           TEXT    NOT NULL,
    thread_channel         TEXT    NOT NULL DEFAULT '',
    thread_id              TEXT    NOT NULL DEFAULT '',
    chat_channel           TEXT    NOT NULL DEFAULT '',
    chat_id                TEXT    NOT NULL DEFAULT '',
    author_id              TEXT    NOT NULL DEFAULT '',
    author_name            TEXT    NOT NULL DEFAULT '',
    text                   TEXT    NOT NULL DEFAULT '',
    status                 TEXT    NOT NULL,
    reason                 TEXT    NOT NULL DEFAULT '',
    attempts               INTEGER NOT NULL DEFAULT 0,
    marketplace_message_id TEXT    NOT NULL DEFAULT '',
    created_at             INTEGER NOT NULL DEFAULT 0,
    updated_at             INTEGER NOT NULL DEFAULT 0,
    sent_at                INTEGER NOT NULL DEFAULT 0,
    next_attempt_at        INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX replies_chat_message ON replies (chat_channel, chat_id)
    WHERE chat_channel <> '' OR chat_id <> '';
CREATE INDEX replies_unfinished ON replies (created_at, id)
    WHERE status IN ('queued', 'sending');
CREATE INDEX replies_created ON replies (created_at);

CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    scope           TEXT    NOT NULL DEFAULT '',
    stores          TEXT    NOT NULL DEFAULT '[]', -- JSON array of store IDs
    error           TEXT    NOT NULL DEFAULT '',
    started_at      INTEGER NOT NULL DEFAULT 0,
    ended_at        INTEGER NOT NULL DEFAULT 0,
    caught_up       INTEGER NOT NULL DEFAULT 0,
    catch_up_failed INTEGER NOT NULL DEFAULT 0,
    alert_channel   TEXT    NOT NULL DEFAULT '',
    alert_id        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX incidents_ended ON incidents (ended_at);

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    store       TEXT    NOT NULL,
    started_at  INTEGER NOT NULL DEFAULT 0,
    duration_ns INTEGER NOT NULL DEFAULT 0,
    ok          INTEGER NOT NULL DEFAULT 0,
    messages    INTEGER NOT NULL DEFAULT 0,
    catch_up    INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_started ON sync_runs (started_at);
CREATE INDEX sync_runs_store_started ON sync_runs (store, started_at);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL DEFAULT 0,
    surface   TEXT    NOT NULL DEFAULT '',
    user_id   TEXT    NOT NULL DEFAULT '',
    user_name TEXT    NOT NULL DEFAULT '',
    command   TEXT    NOT NULL DEFAULT '',
    ok        INTEGER NOT NULL DEFAULT 0,
    result    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at, id);

CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
