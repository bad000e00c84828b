-- shopbridge state, PostgreSQL schema version 7: the bridge's own records
-- in typed tables instead of JSON in meta. Each table takes over the rows
-- of its meta keys, which are then deleted (meta stays for the chat
-- surfaces' bookkeeping):
--   store_auth        ← auth:store:<store>        a store's "needs update", its alert, the expiry warned about
--   auth_attempts     ← auth:last:<store>         a store's last authorization or refresh attempt
--   auth_requests     ← auth:state:<hash>         authorization links given out and not used yet
--   report_deliveries ← report:delivery:<key>     one scheduled report (key: <schedule>@<local date>);
--                       report:last:<schedule>    is the end of the schedule's latest posted report,
--                                                 read from report_deliveries from now on
--   templates         ← templates                 the quick reply book, one row per variant
-- The JSON times (RFC 3339) become Unix nanoseconds at millisecond
-- precision, as in the SQLite backend; the zero time (year 1), and a value
-- that is missing or cannot be read, becomes 0. A row whose value is not
-- JSON is dropped.

CREATE TABLE store_auth (
    store         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    needs_update  BOOLEAN NOT NULL DEFAULT FALSE,
    reason        TEXT    NOT NULL DEFAULT '',
    since         BIGINT  NOT NULL DEFAULT 0,
    alert_channel TEXT    NOT NULL DEFAULT '',
    alert_id      TEXT    NOT NULL DEFAULT '',
    warned_expiry BIGINT  NOT NULL DEFAULT 0
);

-- The last attempt of each store (a new one replaces it).
CREATE TABLE auth_attempts (
    store  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    at     BIGINT  NOT NULL DEFAULT 0,
    ok     BOOLEAN NOT NULL DEFAULT FALSE,
    detail TEXT    NOT NULL DEFAULT ''
);

-- Under the hash of the link's state token: the database never holds a
-- usable token. A callback takes its row (DELETE … RETURNING): single use.
CREATE TABLE auth_requests (
    state_hash   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    store        TEXT    NOT NULL,
    platform     TEXT    NOT NULL,
    expires_at   BIGINT  NOT NULL DEFAULT 0,
    by_surface   TEXT    NOT NULL DEFAULT '',
    by_user_id   TEXT    NOT NULL DEFAULT '',
    by_user_name TEXT    NOT NULL DEFAULT '',
    by_channel   TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE report_deliveries (
    key         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    schedule    TEXT COLLATE "C" NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('posting', 'posted', 'failed', 'unconfirmed')),
    since       BIGINT  NOT NULL DEFAULT 0,
    until       BIGINT  NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    ref_channel TEXT    NOT NULL DEFAULT '',
    ref_id      TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    updated_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX report_deliveries_posted ON report_deliveries (schedule, until) WHERE status = 'posted';

-- A template's default has site and store ''; a variant is for a site or
-- for a store, never both.
CREATE TABLE templates (
    name     TEXT COLLATE "C" NOT NULL,
    site     TEXT COLLATE "C" NOT NULL DEFAULT '',
    store    TEXT COLLATE "C" NOT NULL DEFAULT '',
    text     TEXT    NOT NULL,
    saved_by TEXT    NOT NULL DEFAULT '',
    saved_at BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (name, site, store),
    CHECK (site = '' OR store = '')
);

-- Reading the old values, for this migration only.
CREATE FUNCTION pg_temp.old_json(v text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN v::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
CREATE FUNCTION pg_temp.old_time(v text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NULL OR v < '1678' THEN
        RETURN 0;
    END IF;
    RETURN round(extract(epoch FROM v::timestamptz) * 1000)::bigint * 1000000;
EXCEPTION WHEN others THEN
    RETURN 0;
END $$;

CREATE TEMP TABLE old_meta AS
SELECT key, pg_temp.old_json(value) AS j FROM meta
WHERE key LIKE 'auth:store:%' OR key LIKE 'auth:last:%' OR key LIKE 'auth:state:%'
   OR key LIKE 'report:delivery:%' OR key = 'templates';
DELETE FROM old_meta WHERE j IS NULL OR jsonb_typeof(j) <> 'object';

INSERT INTO store_auth (store, needs_update, reason, since, alert_channel, alert_id, warned_expiry)
SELECT substr(key, 12),
       COALESCE((j ->> 'needs_update')::boolean, FALSE),
       COALESCE(j ->> 'reason', ''),
       pg_temp.old_time(j ->> 'since'),
       COALESCE(j -> 'alert' ->> 'Channel', ''),
       COALESCE(j -> 'alert' ->> 'ID', ''),
       pg_temp.old_time(j ->> 'warned_expiry')
FROM old_meta WHERE key LIKE 'auth:store:%';

INSERT INTO auth_attempts (store, at, ok, detail)
SELECT substr(key, 11),
       pg_temp.old_time(j ->> 'at'),
       COALESCE((j ->> 'ok')::boolean, FALSE),
       COALESCE(j ->> 'detail', '')
FROM old_meta WHERE key LIKE 'auth:last:%';

INSERT INTO auth_requests (state_hash, store, platform, expires_at, by_surface, by_user_id, by_user_name, by_channel)
SELECT substr(key, 12),
       COALESCE(j ->> 'store', ''),
       COALESCE(j ->> 'platform', ''),
       pg_temp.old_time(j ->> 'expires_at'),
       COALESCE(j -> 'by' ->> 'Surface', ''),
       COALESCE(j -> 'by' ->> 'UserID', ''),
       COALESCE(j -> 'by' ->> 'UserName', ''),
       COALESCE(j -> 'by' ->> 'Channel', '')
FROM old_meta WHERE key LIKE 'auth:state:%';

-- The key is <schedule>@YYYY-MM-DD: the schedule is the key without its last 11 characters.
INSERT INTO report_deliveries (key, schedule, status, since, until, attempts, ref_channel, ref_id, error, updated_at)
SELECT substr(key, 17),
       substr(key, 17, length(key) - 16 - 11),
       j ->> 'status',
       pg_temp.old_time(j ->> 'since'),
       pg_temp.old_time(j ->> 'until'),
       COALESCE((j ->> 'attempts')::integer, 0),
       COALESCE(j -> 'ref' ->> 'Channel', ''),
       COALESCE(j -> 'ref' ->> 'ID', ''),
       COALESCE(j ->> 'error', ''),
       pg_temp.old_time(j ->> 'updated_at')
FROM old_meta
WHERE key LIKE 'report:delivery:%' AND length(key) > 16 + 11
  AND j ->> 'status' IN ('posting', 'posted', 'failed', 'unconfirmed');

-- The book is {"name": {"default": {...}, "sites": {"MY": {...}}, "stores": {"id": {...}}}}.
INSERT INTO templates (name, site, store, text, saved_by, saved_at)
SELECT t.key, '', '', t.value -> 'default' ->> 'text',
       COALESCE(t.value -> 'default' ->> 'by', ''),
       pg_temp.old_time(t.value -> 'default' ->> 'at')
FROM old_meta, jsonb_each(old_meta.j) AS t
WHERE old_meta.key = 'templates' AND jsonb_typeof(t.value) = 'object'
  AND t.value -> 'default' ->> 'text' IS NOT NULL;

INSERT INTO templates (name, site, store, text, saved_by, saved_at)
SELECT t.key, v.key, '', v.value ->> 'text', COALESCE(v.value ->> 'by', ''), pg_temp.old_time(v.value ->> 'at')
FROM old_meta, jsonb_each(old_meta.j) AS t,
     jsonb_each(CASE WHEN jsonb_typeof(t.value -> 'sites') = 'object' THEN t.value -> 'sites' ELSE '{}'::jsonb END) AS v
WHERE old_meta.key = 'templates' AND jsonb_typeof(t.value) = 'object'
  AND v.key <> '' AND jsonb_typeof(v.value) = 'object' AND v.value ->> 'text' IS NOT NULL;

INSERT INTO templates (name, site, store, text, saved_by, saved_at)
SELECT t.key, '', v.key, v.value ->> 'text', COALESCE(v.value ->> 'by', ''), pg_temp.old_time(v.value ->> 'at')
FROM old_meta, jsonb_each(old_meta.j) AS t,
     jsonb_each(CASE WHEN jsonb_typeof(t.value -> 'stores') = 'object' THEN t.value -> 'stores' ELSE '{}'::jsonb END) AS v
WHERE old_meta.key = 'templates' AND jsonb_typeof(t.value) = 'object'
  AND v.key <> '' AND jsonb_typeof(v.value) = 'object' AND v.value ->> 'text' IS NOT NULL;

DROP TABLE old_meta;
DROP FUNCTION pg_temp.old_json(text);
DROP FUNCTION pg_temp.old_time(text);

DELETE FROM meta WHERE key LIKE 'auth:store:%' OR key LIKE 'auth:last:%' OR key LIKE 'auth:state:%'
    OR key LIKE 'report:delivery:%' OR key LIKE 'report:last:%' OR key = 'templates';
