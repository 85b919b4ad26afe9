
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
