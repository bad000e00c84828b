-- shopbridge state, PostgreSQL schema version 5: how many seller messages
-- followed the buyer's last one, for platforms that limit messages to a
-- buyer who has not answered (Lazada: 5 within a day).
ALTER TABLE conversations ADD COLUMN seller_streak INTEGER NOT NULL DEFAULT 0;
