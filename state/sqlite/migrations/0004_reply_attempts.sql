-- shopbridge state, SQLite schema version 4: when a reply's last send
-- attempt started and when its client gave up, so that an attempt whose
-- outcome is unknown is reconciled only once it can no longer land.
ALTER TABLE replies ADD COLUMN attempt_started_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replies ADD COLUMN attempt_deadline   INTEGER NOT NULL DEFAULT 0;
