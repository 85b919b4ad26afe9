-- The dashboard's own activity log: sign-ins, sign-outs, refused attempts and every write
-- (refresh, reprocess, template change, SSPR verification). Rows are only ever added.
CREATE TABLE activity (
    id             INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL, -- Unix nanoseconds, UTC
    actor_upn      TEXT NOT NULL DEFAULT '', -- '' for the system or an anonymous request
    actor_name     TEXT NOT NULL DEFAULT '',
    action         TEXT NOT NULL CHECK (action <> ''),
    target         TEXT NOT NULL DEFAULT '',
    target_name    TEXT NOT NULL DEFAULT '',
    result         TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    detail         TEXT NOT NULL DEFAULT '',
    correlation_id TEXT NOT NULL DEFAULT '',
    remote_ip      TEXT NOT NULL DEFAULT ''
);

CREATE INDEX activity_at ON activity (at);
CREATE INDEX activity_actor ON activity (actor_upn COLLATE NOCASE, at);
