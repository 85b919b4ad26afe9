-- License health (#17): users' sign-in activity and the tenant's commercial subscriptions in
-- each snapshot, why either could not be read, and the monthly price of each SKU.

-- signInActivity of each user who has one (a user without a row never signed in, when the
-- snapshot's signins_missing is ''). Times are Unix nanoseconds, NULL when Graph says null.
CREATE TABLE snapshot_signins (
    snapshot_id         INTEGER NOT NULL REFERENCES snapshots (id),
    user_id             TEXT    NOT NULL CHECK (user_id <> ''),
    last_interactive    INTEGER,
    last_noninteractive INTEGER,
    last_successful     INTEGER,
    PRIMARY KEY (snapshot_id, user_id)
) WITHOUT ROWID;

-- GET /directory/subscriptions: the units of a SKU bought together, their status and the date
-- they move on (expire or renew, are suspended, are deleted).
CREATE TABLE snapshot_subscriptions (
    snapshot_id       INTEGER NOT NULL REFERENCES snapshots (id),
    id                TEXT    NOT NULL CHECK (id <> ''),
    commerce_id       TEXT    NOT NULL,
    sku_id            TEXT    NOT NULL,
    part_number       TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    is_trial          INTEGER NOT NULL,
    total_licenses    INTEGER NOT NULL,
    created_at        INTEGER,
    next_lifecycle_at INTEGER,
    PRIMARY KEY (snapshot_id, id)
) WITHOUT ROWID;

-- Why the sync could not read sign-ins or subscriptions ('' = read). Snapshots from before this
-- migration read neither.
ALTER TABLE snapshots ADD COLUMN signins_missing TEXT NOT NULL
    DEFAULT 'This snapshot was taken before tenantdesk read sign-in activity: refresh to read it.';
ALTER TABLE snapshots ADD COLUMN subscriptions_missing TEXT NOT NULL
    DEFAULT 'This snapshot was taken before tenantdesk read subscriptions: refresh to read them.';

-- What one unit of a SKU costs a month, set by a LicenseAdmin. Amounts are in hundredths of the
-- currency (ISO 4217 code), so sums are exact.
CREATE TABLE sku_prices (
    sku_id       TEXT    NOT NULL PRIMARY KEY CHECK (sku_id <> ''),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency     TEXT    NOT NULL CHECK (length(currency) = 3),
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT    NOT NULL
) WITHOUT ROWID;

-- When a snapshot first found each licensed group still processing (Graph keeps no such date):
-- a group processing for more than a day is stuck. Groups that finished are forgotten.
CREATE TABLE group_processing_seen (
    group_id TEXT    NOT NULL PRIMARY KEY CHECK (group_id <> ''),
    since    INTEGER NOT NULL
) WITHOUT ROWID;

-- Groups that are direct members of a licensed group: group-based licensing does not reach
-- their members.
CREATE TABLE snapshot_nested_groups (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    group_id    TEXT    NOT NULL,
    member_id   TEXT    NOT NULL CHECK (member_id <> ''),
    member_name TEXT    NOT NULL,
    PRIMARY KEY (snapshot_id, group_id, member_id)
) WITHOUT ROWID;

-- When tenantdesk first saw each service plan of each SKU, and each group template's list of
-- disabled plans as it is now: a plan that appeared after a template's disabled plans were set
-- is switched on for its members by default, though whoever curated the list never chose it.
CREATE TABLE sku_plans_seen (
    sku_id     TEXT    NOT NULL,
    plan_id    TEXT    NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (sku_id, plan_id)
) WITHOUT ROWID;

CREATE TABLE templates_seen (
    group_id       TEXT    NOT NULL,
    sku_id         TEXT    NOT NULL,
    disabled_plans TEXT    NOT NULL, -- as snapshot_group_licenses has it
    first_seen     INTEGER NOT NULL,
    PRIMARY KEY (group_id, sku_id)
) WITHOUT ROWID;
