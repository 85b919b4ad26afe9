-- Hardening (issue 15): repeated refusals counted on one activity row, server-side sessions,
-- and long writes as background jobs whose items keep their outcomes across restarts.

-- Repeated refusals from one source within a window are one row: count says how many, last_at
-- when the last of them came (NULL while count is 1).
ALTER TABLE activity ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
ALTER TABLE activity ADD COLUMN last_at INTEGER;
CREATE INDEX activity_source ON activity (remote_ip, actor_upn, action, at);

-- Dashboard sessions. The cookie holds only a random token (signed and encrypted); the row is
-- keyed by its SHA-256, so neither a copy of the database nor a backup holds a usable session.
-- Signing out deletes the row, and with it every copy of the cookie.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,        -- hex SHA-256 of the cookie's token
    ref        TEXT NOT NULL UNIQUE,    -- random public id, for the sessions page
    oid        TEXT NOT NULL,           -- the person's object id (oid claim)
    upn        TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    roles      TEXT NOT NULL DEFAULT '', -- JSON array of the ID token's roles claim
    created_at INTEGER NOT NULL,        -- Unix nanoseconds, UTC: sign-in
    seen_at    INTEGER NOT NULL,        -- last request (pushed forward at most once a minute)
    checked_at INTEGER NOT NULL,        -- roles last read from an ID token
    remote_ip  TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_oid ON sessions (oid);
CREATE INDEX sessions_seen ON sessions (seen_at);

-- Background jobs (reprocess, refresh of a group's errors, and later template apply and
-- split): one row per job, one row per item (a user) with its outcome once it has one. An item
-- gets exactly one outcome: it is written only while status is ''.
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind <> ''),
    title          TEXT NOT NULL DEFAULT '',
    target         TEXT NOT NULL DEFAULT '', -- e.g. the group's object id
    target_name    TEXT NOT NULL DEFAULT '',
    params         TEXT NOT NULL DEFAULT '', -- the kind's own parameters, JSON
    actor_upn      TEXT NOT NULL DEFAULT '',
    actor_name     TEXT NOT NULL DEFAULT '',
    remote_ip      TEXT NOT NULL DEFAULT '',
    correlation_id TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'interrupted')),
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    finished_at    INTEGER,
    total          INTEGER NOT NULL DEFAULT 0,
    summary        TEXT NOT NULL DEFAULT '',
    error          TEXT NOT NULL DEFAULT '',
    problems       TEXT NOT NULL DEFAULT '', -- JSON array of warnings around the items
    resumes        INTEGER NOT NULL DEFAULT 0, -- times it was taken up again after its process stopped
    owner_host     TEXT NOT NULL DEFAULT '',
    owner_pid      INTEGER NOT NULL DEFAULT 0,
    owner_nonce    TEXT NOT NULL DEFAULT '', -- '' while nobody runs it (released at shutdown)
    heartbeat_at   INTEGER
);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_target ON jobs (kind, target, created_at);

CREATE TABLE job_items (
    job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,           -- order of the items as asked for
    key     TEXT NOT NULL,              -- what the item is, e.g. a user's object id
    name    TEXT NOT NULL DEFAULT '',
    known   INTEGER NOT NULL DEFAULT 0, -- the snapshot has it (it has a page)
    status  TEXT NOT NULL DEFAULT '',   -- '' until it has its one outcome
    summary TEXT NOT NULL DEFAULT '',
    fix     TEXT NOT NULL DEFAULT '',
    done_at INTEGER,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX job_items_status ON job_items (job_id, status, seq);
