-- shopbridge state, PostgreSQL schema version 8: what the queue keeps of a
-- message beside its content, which the chat surfaces show: the
-- marketplace's translation (Lazada cross-border messages carry one), the
-- auto-reply mark and the safety check's note (a message only the seller
-- sees). Rows recorded before have none.
ALTER TABLE inbound_messages
    ADD COLUMN translation TEXT    NOT NULL DEFAULT '',
    ADD COLUMN auto_reply  BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN safety_note TEXT    NOT NULL DEFAULT '';
