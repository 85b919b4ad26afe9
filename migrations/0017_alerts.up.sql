-- Alerts (#18): the rules' settings, the state of each alert (one row per rule and subject,
-- e.g. a SKU or a group), every notification an alert produced and the outbox of its
-- deliveries, one per channel, each attempt recorded. Times are Unix nanoseconds.

-- A rule's on/off and thresholds, as set on /alerts; a rule without a row uses its defaults.
CREATE TABLE alert_rules (
    rule       TEXT    PRIMARY KEY CHECK (rule <> ''),
    enabled    INTEGER NOT NULL,
    settings   TEXT    NOT NULL, -- JSON object of the rule's thresholds
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL
) WITHOUT ROWID;

-- Where notifications go. secret is the webhook URL or the SMTP password (never shown back in
-- full); email is an email channel's server and addresses (JSON of model.EmailSettings); quiet
-- hours are minutes after midnight in quiet_zone (start = end: none). A removed channel keeps
-- its row (removed_at set) for the history of what it was sent; its name is free again.
CREATE TABLE alert_channels (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL CHECK (name <> ''),
    kind        TEXT    NOT NULL CHECK (kind IN ('webhook', 'email')),
    format      TEXT    NOT NULL CHECK ((kind = 'webhook' AND format IN ('teams', 'slack', 'json')) OR (kind = 'email' AND format = '')),
    secret      TEXT    NOT NULL,
    email       TEXT    NOT NULL DEFAULT '{}',
    quiet_start INTEGER NOT NULL DEFAULT 0 CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end   INTEGER NOT NULL DEFAULT 0 CHECK (quiet_end BETWEEN 0 AND 1439),
    quiet_zone  TEXT    NOT NULL DEFAULT '',
    enabled     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    removed_at  INTEGER
);
CREATE UNIQUE INDEX alert_channels_name ON alert_channels (name) WHERE removed_at IS NULL;

-- One alert: a rule's condition on one subject, from when it started to when it ended
-- (resolved_at NULL while it lasts). last_sent_at is when it was last notified (start or repeat).
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    rule         TEXT    NOT NULL,
    subject      TEXT    NOT NULL, -- what it is about, e.g. 'sku:<id>', 'group:<id>', 'sync'
    title        TEXT    NOT NULL,
    level        INTEGER NOT NULL DEFAULT 0, -- how bad when last told, e.g. members in error
    started_at   INTEGER NOT NULL,
    last_sent_at INTEGER NOT NULL,
    resolved_at  INTEGER
);
-- At most one open alert per rule and subject.
CREATE UNIQUE INDEX alerts_open ON alerts (rule, subject) WHERE resolved_at IS NULL;

-- What an alert told, when: its start ('fired'), a reminder while it lasts ('repeat'), its end
-- ('resolved'). body is the notification as JSON (model.AlertMessage).
CREATE TABLE alert_events (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER REFERENCES alerts (id), -- NULL for a channel test
    kind     TEXT    NOT NULL CHECK (kind IN ('fired', 'repeat', 'resolved', 'test')),
    at       INTEGER NOT NULL,
    body     TEXT    NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id);

-- The outbox: one delivery of an event to a channel, written in the same transaction as the
-- event, so nothing is lost when a channel is down. status 'pending' until sent; next_at is when
-- to try again (backoff); error is why the last attempt failed. A channel test is tried once,
-- while the person waits: 'failed' when it did not go.
CREATE TABLE alert_deliveries (
    id         INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL REFERENCES alert_events (id),
    channel_id INTEGER NOT NULL REFERENCES alert_channels (id),
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    sent_at    INTEGER,
    -- claimed_until: a process is sending it until then; no other takes it (a serve and a
    -- `tenantdesk refresh` may both deliver).
    claimed_until INTEGER,
    error      TEXT    NOT NULL DEFAULT '',
    UNIQUE (event_id, channel_id)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_at) WHERE status = 'pending';

-- Every attempt of a delivery: when, and why it failed ('' when it was sent).
CREATE TABLE alert_attempts (
    delivery_id INTEGER NOT NULL REFERENCES alert_deliveries (id),
    at          INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    status_code INTEGER NOT NULL -- the receiver's HTTP status or SMTP reply code, 0 for none
);
CREATE INDEX alert_attempts_delivery ON alert_attempts (delivery_id);
