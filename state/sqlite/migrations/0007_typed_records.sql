-- shopbridge state, SQLite schema version 7: the bridge's own records in
-- typed tables instead of JSON in meta. Each table takes over the rows of
-- its meta keys, which are then deleted (meta stays for the chat surfaces'
-- bookkeeping):
--   store_auth        ← auth:store:<store>        a store's "needs update", its alert, the expiry warned about
--   auth_attempts     ← auth:last:<store>         a store's last authorization or refresh attempt
--   auth_requests     ← auth:state:<hash>         authorization links given out and not used yet
--   report_deliveries ← report:delivery:<key>     one scheduled report (key: <schedule>@<local date>);
--                       report:last:<schedule>    is the end of the schedule's latest posted report,
--                                                 read from report_deliveries from now on
--   templates         ← templates                 the quick reply book, one row per variant
-- The JSON times (RFC 3339) become Unix nanoseconds at millisecond
-- precision; the zero time (year 1), and a value that is missing or cannot
-- be read, becomes 0. A row whose value is not JSON is dropped.

CREATE TABLE store_auth (
    store         TEXT    NOT NULL PRIMARY KEY,
    needs_update  INTEGER NOT NULL DEFAULT 0,
    reason        TEXT    NOT NULL DEFAULT '',
    since         INTEGER NOT NULL DEFAULT 0,
    alert_channel TEXT    NOT NULL DEFAULT '',
    alert_id      TEXT    NOT NULL DEFAULT '',
    warned_expiry INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The last attempt of each store (a new one replaces it).
CREATE TABLE auth_attempts (
    store  TEXT    NOT NULL PRIMARY KEY,
    at     INTEGER NOT NULL DEFAULT 0,
    ok     INTEGER NOT NULL DEFAULT 0,
    detail TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- Under the hash of the link's state token: the database never holds a
-- usable token. A callback takes its row (DELETE … RETURNING): single use.
CREATE TABLE auth_requests (
    state_hash   TEXT    NOT NULL PRIMARY KEY,
    store        TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL DEFAULT 0,
    by_surface   TEXT    NOT NULL DEFAULT '',
    by_user_id   TEXT    NOT NULL DEFAULT '',
    by_user_name TEXT    NOT NULL DEFAULT '',
    by_channel   TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE report_deliveries (
    key         TEXT    NOT NULL PRIMARY KEY,
    schedule    TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('posting', 'posted', 'failed', 'unconfirmed')),
    since       INTEGER NOT NULL DEFAULT 0,
    until       INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    ref_channel TEXT    NOT NULL DEFAULT '',
    ref_id      TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX report_deliveries_posted ON report_deliveries (schedule, until) WHERE status = 'posted';

-- A template's default has site and store ''; a variant is for a site or
-- for a store, never both.
CREATE TABLE templates (
    name     TEXT    NOT NULL,
    site     TEXT    NOT NULL DEFAULT '',
    store    TEXT    NOT NULL DEFAULT '',
    text     TEXT    NOT NULL,
    saved_by TEXT    NOT NULL DEFAULT '',
    saved_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name, site, store),
    CHECK (site = '' OR store = '')
) WITHOUT ROWID;

-- The meta rows, read as JSON once. ts(x) below is
--   COALESCE(CASE WHEN x < '1678' THEN 0 ELSE CAST(round(unixepoch(x, 'subsec') * 1000) AS INTEGER) * 1000000 END, 0)
-- written out at each use (SQLite has no functions of its own).
CREATE TEMP TABLE old_meta AS SELECT key, value FROM meta WHERE json_valid(value) AND (
    key LIKE 'auth:store:%' OR key LIKE 'auth:last:%' OR key LIKE 'auth:state:%'
    OR key LIKE 'report:delivery:%' OR key = 'templates');

INSERT INTO store_auth (store, needs_update, reason, since, alert_channel, alert_id, warned_expiry)
SELECT substr(key, 12),
       COALESCE(json_extract(value, '$.needs_update'), 0),
       COALESCE(json_extract(value, '$.reason'), ''),
       COALESCE(CASE WHEN json_extract(value, '$.since') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(value, '$.since'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0),
       COALESCE(json_extract(value, '$.alert.Channel'), ''),
       COALESCE(json_extract(value, '$.alert.ID'), ''),
       COALESCE(CASE WHEN json_extract(value, '$.warned_expiry') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(value, '$.warned_expiry'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0)
FROM old_meta WHERE key LIKE 'auth:store:%';

INSERT INTO auth_attempts (store, at, ok, detail)
SELECT substr(key, 11),
       COALESCE(CASE WHEN json_extract(value, '$.at') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(value, '$.at'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0),
       COALESCE(json_extract(value, '$.ok'), 0),
       COALESCE(json_extract(value, '$.detail'), '')
FROM old_meta WHERE key LIKE 'auth:last:%';

INSERT INTO auth_requests (state_hash, store, platform, expires_at, by_surface, by_user_id, by_user_name, by_channel)
SELECT substr(key, 12),
       COALESCE(json_extract(value, '$.store'), ''),
       COALESCE(json_extract(value, '$.platform'), ''),
       COALESCE(CASE WHEN json_extract(value, '$.expires_at') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(value, '$.expires_at'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0),
       COALESCE(json_extract(value, '$.by.Surface'), ''),
       COALESCE(json_extract(value, '$.by.UserID'), ''),
       COALESCE(json_extract(value, '$.by.UserName'), ''),
       COALESCE(json_extract(value, '$.by.Channel'), '')
FROM old_meta WHERE key LIKE 'auth:state:%';

-- The key is <schedule>@YYYY-MM-DD: the schedule is the key without its last 11 characters.
INSERT INTO report_deliveries (key, schedule, status, since, until, attempts, ref_channel, ref_id, error, updated_at)
SELECT substr(key, 17),
       substr(key, 17, length(key) - 16 - 11),
       json_extract(value, '$.status'),
       COALESCE(CASE WHEN json_extract(value, '$.since') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(value, '$.since'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0),
       COALESCE(CASE WHEN json_extract(value, '$.until') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(value, '$.until'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0),
       COALESCE(json_extract(value, '$.attempts'), 0),
       COALESCE(json_extract(value, '$.ref.Channel'), ''),
       COALESCE(json_extract(value, '$.ref.ID'), ''),
       COALESCE(json_extract(value, '$.error'), ''),
       COALESCE(CASE WHEN json_extract(value, '$.updated_at') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(value, '$.updated_at'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0)
FROM old_meta
WHERE key LIKE 'report:delivery:%' AND length(key) > 16 + 11
  AND json_extract(value, '$.status') IN ('posting', 'posted', 'failed', 'unconfirmed');

-- The book is {"name": {"default": {...}, "sites": {"MY": {...}}, "stores": {"id": {...}}}}.
INSERT INTO templates (name, site, store, text, saved_by, saved_at)
SELECT t.key, '', '',
       json_extract(t.value, '$.default.text'),
       COALESCE(json_extract(t.value, '$.default.by'), ''),
       COALESCE(CASE WHEN json_extract(t.value, '$.default.at') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(t.value, '$.default.at'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0)
FROM old_meta, json_each(old_meta.value) AS t
WHERE old_meta.key = 'templates' AND json_type(old_meta.value) = 'object' AND json_type(t.value) = 'object' AND json_extract(t.value, '$.default.text') IS NOT NULL;

INSERT INTO templates (name, site, store, text, saved_by, saved_at)
SELECT t.key, v.key, '',
       json_extract(v.value, '$.text'),
       COALESCE(json_extract(v.value, '$.by'), ''),
       COALESCE(CASE WHEN json_extract(v.value, '$.at') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(v.value, '$.at'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0)
FROM old_meta, json_each(old_meta.value) AS t, json_each(t.value, '$.sites') AS v
WHERE old_meta.key = 'templates' AND json_type(old_meta.value) = 'object' AND json_type(t.value) = 'object'
  AND json_type(v.value) = 'object' AND v.key <> '' AND json_extract(v.value, '$.text') IS NOT NULL;

INSERT INTO templates (name, site, store, text, saved_by, saved_at)
SELECT t.key, '', v.key,
       json_extract(v.value, '$.text'),
       COALESCE(json_extract(v.value, '$.by'), ''),
       COALESCE(CASE WHEN json_extract(v.value, '$.at') < '1678' THEN 0
                ELSE CAST(round(unixepoch(json_extract(v.value, '$.at'), 'subsec') * 1000) AS INTEGER) * 1000000 END, 0)
FROM old_meta, json_each(old_meta.value) AS t, json_each(t.value, '$.stores') AS v
WHERE old_meta.key = 'templates' AND json_type(old_meta.value) = 'object' AND json_type(t.value) = 'object'
  AND json_type(v.value) = 'object' AND v.key <> '' AND json_extract(v.value, '$.text') IS NOT NULL;

DROP TABLE old_meta;

DELETE FROM meta WHERE key LIKE 'auth:store:%' OR key LIKE 'auth:last:%' OR key LIKE 'auth:state:%'
    OR key LIKE 'report:delivery:%' OR key LIKE 'report:last:%' OR key = 'templates';
