-- shopbridge state, SQLite schema version 3: the inbound queue.
-- Every marketplace message the bridge learns of is recorded here first and
-- posted after (status pending → posted), or kept only to be known (silent),
-- or is a reply the bridge itself sent (own). It replaces relayed_messages,
-- whose rows it takes over.

-- One row per store + conversation + message ID: a repeat of a message is a
-- no-op by the schema. seq is the order in which the queue recorded the
-- messages (AUTOINCREMENT: never reused, so it only grows). The message's
-- card is a JSON object ('' for none). Booleans are 0/1.
CREATE TABLE inbound_messages (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    store            TEXT    NOT NULL,
    conversation     TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    sender           TEXT    NOT NULL DEFAULT '',
    sender_name      TEXT    NOT NULL DEFAULT '',
    kind             TEXT    NOT NULL DEFAULT '',
    text             TEXT    NOT NULL DEFAULT '',
    url              TEXT    NOT NULL DEFAULT '',
    card             TEXT    NOT NULL DEFAULT '',
    unsupported_type TEXT    NOT NULL DEFAULT '',
    sent_at          INTEGER NOT NULL DEFAULT 0,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'posted', 'silent', 'own')),
    resumed          INTEGER NOT NULL DEFAULT 0,
    recalled         INTEGER NOT NULL DEFAULT 0,
    edited           INTEGER NOT NULL DEFAULT 0,
    chat_channel     TEXT    NOT NULL DEFAULT '',
    chat_id          TEXT    NOT NULL DEFAULT '',
    recorded_at      INTEGER NOT NULL DEFAULT 0,
    posted_at        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (store, conversation, message_id),
    FOREIGN KEY (store, conversation) REFERENCES conversations (store, id)
);
-- What the posters drain: a conversation's pending messages in posting order.
CREATE INDEX inbound_pending ON inbound_messages (store, conversation, sent_at, seq)
    WHERE status = 'pending';

-- The messages relayed before the queue existed are known and never posted
-- again: the bridge's own replies, those in a thread, the rest silent.
-- Their content was never stored.
INSERT INTO inbound_messages (store, conversation, message_id, sender, sent_at, status,
    chat_channel, chat_id, recorded_at, posted_at)
SELECT store, conversation, message_id, sender, sent_at,
    CASE WHEN from_bridge THEN 'own'
         WHEN chat_channel <> '' OR chat_id <> '' THEN 'posted'
         ELSE 'silent' END,
    chat_channel, chat_id, relayed_at,
    CASE WHEN from_bridge OR chat_channel <> '' OR chat_id <> '' THEN relayed_at ELSE 0 END
FROM relayed_messages
ORDER BY relayed_at, store, conversation, message_id;

DROP TABLE relayed_messages;
