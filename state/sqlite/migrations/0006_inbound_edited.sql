-- shopbridge state, SQLite schema version 6: posted messages that changed
-- on the marketplace (a recall) and whose posts are to be updated, found
-- without scanning the queue.
CREATE INDEX inbound_edited ON inbound_messages (store, conversation, seq) WHERE edited = 1;
