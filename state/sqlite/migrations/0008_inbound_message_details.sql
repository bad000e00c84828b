-- shopbridge state, SQLite schema version 8: what the queue keeps of a
-- message beside its content, which the chat surfaces show: the
-- marketplace's translation (Lazada cross-border messages carry one), the
-- auto-reply mark and the safety check's note (a message only the seller
-- sees). Rows recorded before have none. Booleans are 0/1.
ALTER TABLE inbound_messages ADD COLUMN translation TEXT    NOT NULL DEFAULT '';
ALTER TABLE inbound_messages ADD COLUMN auto_reply  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound_messages ADD COLUMN safety_note TEXT    NOT NULL DEFAULT '';
