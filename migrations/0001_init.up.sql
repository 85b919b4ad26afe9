-- Snapshots of the tenant, sync runs and the license-name catalog.
--
-- Times are INTEGER unix nanoseconds (UTC), NULL when unknown. SKU and service plan GUIDs are
-- stored lower case so the catalog joins on them. Every snapshot table is keyed by snapshot_id
-- first: a snapshot is written under a new id, made current by flipping current_snapshot in the
-- same transaction, and older ones are deleted by range.

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    error       TEXT    NOT NULL DEFAULT '',
    user_count    INTEGER NOT NULL DEFAULT 0,
    group_count   INTEGER NOT NULL DEFAULT 0,
    sku_count     INTEGER NOT NULL DEFAULT 0,
    request_count INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX sync_runs_running ON sync_runs (id) WHERE status = 'running';

CREATE TABLE snapshots (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id            INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL,
    taken_at          INTEGER NOT NULL,
    saved_at          INTEGER NOT NULL,
    -- totals for the overview page, derived when saving
    user_count        INTEGER NOT NULL,
    licensed_users    INTEGER NOT NULL,
    users_with_errors INTEGER NOT NULL
);

-- The one-row pointer to the snapshot every page reads.
CREATE TABLE current_snapshot (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id)
);

CREATE TABLE snapshot_skus (
    snapshot_id       INTEGER NOT NULL REFERENCES snapshots (id),
    sku_id            TEXT    NOT NULL CHECK (sku_id <> ''),
    part_number       TEXT    NOT NULL,
    applies_to        TEXT    NOT NULL,
    capability_status TEXT    NOT NULL,
    consumed_units    INTEGER NOT NULL,
    prepaid_enabled   INTEGER NOT NULL,
    prepaid_suspended INTEGER NOT NULL,
    prepaid_warning   INTEGER NOT NULL,
    prepaid_locked    INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, sku_id)
) WITHOUT ROWID;

CREATE TABLE snapshot_sku_plans (
    snapshot_id         INTEGER NOT NULL REFERENCES snapshots (id),
    sku_id              TEXT    NOT NULL,
    plan_id             TEXT    NOT NULL CHECK (plan_id <> ''),
    name                TEXT    NOT NULL,
    provisioning_status TEXT    NOT NULL,
    applies_to          TEXT    NOT NULL,
    position            INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, sku_id, plan_id)
) WITHOUT ROWID;

-- The report's columns only, so scanning and sorting 10,000 groups touches little data; the rest
-- of a group is in snapshot_group_details.
CREATE TABLE snapshot_groups (
    snapshot_id      INTEGER NOT NULL REFERENCES snapshots (id),
    id               TEXT    NOT NULL CHECK (id <> ''),
    display_name     TEXT    NOT NULL,
    sort_name        TEXT    NOT NULL, -- display_name folded to lower case (Unicode), for search and sort
    processing_state TEXT    NOT NULL,
    member_count     INTEGER NOT NULL,
    user_count       INTEGER NOT NULL,
    error_count      INTEGER NOT NULL, -- distinct users with an errored state assigned by this group
    licenses_key     TEXT    NOT NULL, -- the template's license names, sorted, folded, joined: sort key
    PRIMARY KEY (snapshot_id, id)
) WITHOUT ROWID;

-- One index per order of the report, so a page deep in it is an index walk, not a sort. Ties
-- are broken by name then id, ascending, also when the column is sorted descending: hence an
-- index per direction. error_count rides along for the "only errors" filter. The default order
-- (by name, either direction) is served from its index alone.
CREATE INDEX snapshot_groups_name ON snapshot_groups
    (snapshot_id, sort_name, id, display_name, processing_state, member_count, user_count, error_count);
CREATE INDEX snapshot_groups_members_asc ON snapshot_groups (snapshot_id, member_count, sort_name, id, error_count);
CREATE INDEX snapshot_groups_members_desc ON snapshot_groups (snapshot_id, member_count DESC, sort_name, id, error_count);
CREATE INDEX snapshot_groups_errors_asc ON snapshot_groups (snapshot_id, error_count, sort_name, id);
CREATE INDEX snapshot_groups_errors_desc ON snapshot_groups (snapshot_id, error_count DESC, sort_name, id);
CREATE INDEX snapshot_groups_licenses_asc ON snapshot_groups (snapshot_id, licenses_key, sort_name, id, error_count);
CREATE INDEX snapshot_groups_licenses_desc ON snapshot_groups (snapshot_id, licenses_key DESC, sort_name, id, error_count);
CREATE INDEX snapshot_groups_processing_asc ON snapshot_groups (snapshot_id, processing_state, sort_name, id, error_count);
CREATE INDEX snapshot_groups_processing_desc ON snapshot_groups (snapshot_id, processing_state DESC, sort_name, id, error_count);

CREATE TABLE snapshot_group_details (
    snapshot_id      INTEGER NOT NULL REFERENCES snapshots (id),
    group_id         TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    mail             TEXT    NOT NULL,
    group_types      TEXT    NOT NULL, -- JSON array, '' when none
    security_enabled INTEGER NOT NULL,
    mail_enabled     INTEGER NOT NULL,
    membership_rule  TEXT    NOT NULL,
    created_at       INTEGER,
    PRIMARY KEY (snapshot_id, group_id)
) WITHOUT ROWID;

CREATE TABLE snapshot_group_licenses (
    snapshot_id    INTEGER NOT NULL REFERENCES snapshots (id),
    group_id       TEXT    NOT NULL,
    sku_id         TEXT    NOT NULL CHECK (sku_id <> ''),
    disabled_plans TEXT    NOT NULL, -- JSON array of plan GUIDs, '' when none
    PRIMARY KEY (snapshot_id, group_id, sku_id)
) WITHOUT ROWID;

CREATE TABLE snapshot_users (
    snapshot_id     INTEGER NOT NULL REFERENCES snapshots (id),
    id              TEXT    NOT NULL CHECK (id <> ''),
    display_name    TEXT    NOT NULL,
    upn             TEXT    NOT NULL,
    mail            TEXT    NOT NULL,
    given_name      TEXT    NOT NULL,
    surname         TEXT    NOT NULL,
    department      TEXT    NOT NULL,
    job_title       TEXT    NOT NULL,
    company_name    TEXT    NOT NULL,
    employee_id     TEXT    NOT NULL,
    city            TEXT    NOT NULL,
    country         TEXT    NOT NULL,
    usage_location  TEXT    NOT NULL,
    user_type       TEXT    NOT NULL,
    account_enabled INTEGER NOT NULL,
    on_prem_sync    INTEGER NOT NULL,
    created_at      INTEGER,
    has_errors      INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, id)
) WITHOUT ROWID;

-- assignedLicenses: what the user actually holds.
CREATE TABLE snapshot_user_assigned (
    snapshot_id    INTEGER NOT NULL REFERENCES snapshots (id),
    user_id        TEXT    NOT NULL,
    sku_id         TEXT    NOT NULL CHECK (sku_id <> ''),
    disabled_plans TEXT    NOT NULL,
    PRIMARY KEY (snapshot_id, user_id, sku_id)
) WITHOUT ROWID;

-- licenseAssignmentStates: how each license came (direct or which group) and whether it failed.
CREATE TABLE snapshot_user_states (
    snapshot_id       INTEGER NOT NULL REFERENCES snapshots (id),
    user_id           TEXT    NOT NULL,
    sku_id            TEXT    NOT NULL CHECK (sku_id <> ''),
    assigned_by_group TEXT    NOT NULL, -- '' = direct
    state             TEXT    NOT NULL,
    error             TEXT    NOT NULL, -- '' = no error
    disabled_plans    TEXT    NOT NULL,
    last_updated      INTEGER,
    PRIMARY KEY (snapshot_id, user_id, sku_id, assigned_by_group)
) WITHOUT ROWID;

-- "who is in error because of this group" is one range scan.
CREATE INDEX snapshot_user_states_group_errors
    ON snapshot_user_states (snapshot_id, assigned_by_group, user_id, error) WHERE error <> '';

-- Microsoft's "Product names and service plan identifiers for licensing" catalog.
CREATE TABLE catalog_info (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    source      TEXT    NOT NULL,
    fetched_at  INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);

CREATE TABLE catalog_products (
    sku_id       TEXT NOT NULL PRIMARY KEY CHECK (sku_id <> ''),
    part_number  TEXT NOT NULL,
    display_name TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE catalog_product_plans (
    sku_id        TEXT    NOT NULL REFERENCES catalog_products (sku_id),
    plan_id       TEXT    NOT NULL CHECK (plan_id <> ''),
    name          TEXT    NOT NULL,
    friendly_name TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (sku_id, plan_id)
) WITHOUT ROWID;

-- One name per service plan id, whichever product listed it first with a friendly name.
CREATE TABLE catalog_plans (
    plan_id       TEXT NOT NULL PRIMARY KEY CHECK (plan_id <> ''),
    name          TEXT NOT NULL,
    friendly_name TEXT NOT NULL
) WITHOUT ROWID;
