-- The license assignment report.
--
-- Users keep every property the report offers as a column; those that no page filters on live
-- in one JSON object per user (props), under Graph's property names, so a column is sorted with
-- json_extract(props, '$.<name>'). Users of snapshots taken before this migration have no row.
-- A rowid table, unlike snapshot_users: a WITHOUT ROWID row of about a kilobyte no longer fits
-- its b-tree page and spills to a mostly empty overflow page, which more than doubled the
-- database (measured: 2.5 KB a user against 0.9 KB).
CREATE TABLE snapshot_user_props (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    user_id     TEXT    NOT NULL,
    props       TEXT    NOT NULL,
    UNIQUE (snapshot_id, user_id)
);

-- Who holds each SKU, one row per user and SKU, derived from the user's assignedLicenses and
-- licenseAssignmentStates when the snapshot is saved, with the user's properties the report
-- filters on: the filters, counts and default order are then one range scan of this table,
-- without a look at 50,000 users.
CREATE TABLE snapshot_holders (
    snapshot_id     INTEGER NOT NULL REFERENCES snapshots (id),
    sku_id          TEXT    NOT NULL CHECK (sku_id <> ''),
    user_id         TEXT    NOT NULL,
    sort_name       TEXT    NOT NULL, -- the user's display name folded, for the default order
    direct          INTEGER NOT NULL, -- 1 when assigned directly
    via_groups      INTEGER NOT NULL, -- how many groups assign it
    in_error        INTEGER NOT NULL, -- 1 when a state for it carries an error
    state           TEXT    NOT NULL, -- the worst of its states (Error, ActiveWithError, Disabled, Active)
    account_enabled INTEGER NOT NULL, -- the user's
    department      TEXT    NOT NULL, -- the user's, as Graph has it
    usage_location  TEXT    NOT NULL, -- the user's
    -- In the report's default order, so its pages are a range of the table itself, however deep.
    PRIMARY KEY (snapshot_id, sku_id, sort_name, user_id)
) WITHOUT ROWID;

-- Each SKU's holders counted by how they got it, for /licenses and every SKU page (a GROUP BY
-- over every holder of the tenant on each page view otherwise). Recounted whenever holders change.
CREATE TABLE snapshot_sku_holders (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    sku_id      TEXT    NOT NULL,
    holders     INTEGER NOT NULL,
    direct      INTEGER NOT NULL, -- directly only
    from_groups INTEGER NOT NULL, -- from groups only
    both        INTEGER NOT NULL,
    in_error    INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, sku_id)
) WITHOUT ROWID;

-- The departments and usage locations among each SKU's holders, for the report's filter lists
-- (a DISTINCT over 50,000 holders on every page view was nine tenths of its time). Kept when
-- users are patched between syncs by adding values, so a list may offer a value no holder has
-- any more until the next sync.
CREATE TABLE snapshot_holder_values (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    sku_id      TEXT    NOT NULL,
    field       TEXT    NOT NULL CHECK (field IN ('department', 'usageLocation')),
    value       TEXT    NOT NULL CHECK (value <> ''),
    PRIMARY KEY (snapshot_id, sku_id, field, value)
) WITHOUT ROWID;

-- Units per SKU over time: one row per SKU per snapshot taken, kept for at least 400 days.
CREATE TABLE sku_history (
    sku_id     TEXT    NOT NULL CHECK (sku_id <> ''),
    at         INTEGER NOT NULL, -- when the snapshot was taken (Unix nanoseconds, UTC)
    consumed   INTEGER NOT NULL,
    enabled    INTEGER NOT NULL,
    warning    INTEGER NOT NULL,
    suspended  INTEGER NOT NULL,
    locked_out INTEGER NOT NULL,
    PRIMARY KEY (sku_id, at)
) WITHOUT ROWID;

-- Snapshots saved before this migration get their holders and their units now, so the report
-- is not empty until the next sync (that sync folds names as Go does; lower() folds ASCII).
INSERT INTO snapshot_holders (snapshot_id, sku_id, user_id, sort_name, direct, via_groups, in_error, state,
    account_enabled, department, usage_location)
SELECT x.snapshot_id, x.sku_id, x.user_id, lower(u.display_name), max(x.direct), sum(x.via), max(x.err),
    CASE max(CASE x.state WHEN 'Error' THEN 4 WHEN 'ActiveWithError' THEN 3 WHEN 'Disabled' THEN 2
                          WHEN 'Active' THEN 1 ELSE 0 END)
        WHEN 4 THEN 'Error' WHEN 3 THEN 'ActiveWithError' WHEN 2 THEN 'Disabled' WHEN 1 THEN 'Active' ELSE '' END,
    u.account_enabled, u.department, u.usage_location
FROM (
    SELECT snapshot_id, sku_id, user_id, assigned_by_group = '' AS direct, assigned_by_group <> '' AS via,
        error <> '' AS err, state
    FROM snapshot_user_states
    UNION ALL
    SELECT a.snapshot_id, a.sku_id, a.user_id, 1, 0, 0, 'Active' FROM snapshot_user_assigned a
    WHERE NOT EXISTS (SELECT 1 FROM snapshot_user_states s
        WHERE s.snapshot_id = a.snapshot_id AND s.user_id = a.user_id AND s.sku_id = a.sku_id)
) x
JOIN snapshot_users u ON u.snapshot_id = x.snapshot_id AND u.id = x.user_id
GROUP BY x.snapshot_id, x.sku_id, x.user_id;

INSERT INTO snapshot_sku_holders (snapshot_id, sku_id, holders, direct, from_groups, both, in_error)
SELECT snapshot_id, sku_id, count(*), sum(direct = 1 AND via_groups = 0), sum(direct = 0 AND via_groups > 0),
    sum(direct = 1 AND via_groups > 0), sum(in_error)
FROM snapshot_holders GROUP BY snapshot_id, sku_id;

INSERT INTO snapshot_holder_values (snapshot_id, sku_id, field, value)
SELECT DISTINCT snapshot_id, sku_id, 'department', department FROM snapshot_holders WHERE department <> ''
UNION
SELECT DISTINCT snapshot_id, sku_id, 'usageLocation', usage_location FROM snapshot_holders WHERE usage_location <> '';

INSERT INTO sku_history (sku_id, at, consumed, enabled, warning, suspended, locked_out)
SELECT ss.sku_id, s.taken_at, ss.consumed_units, ss.prepaid_enabled, ss.prepaid_warning, ss.prepaid_suspended,
    ss.prepaid_locked
FROM snapshot_skus ss JOIN snapshots s ON s.id = ss.snapshot_id
WHERE true
ON CONFLICT (sku_id, at) DO NOTHING;
