-- What a user search matches exactly besides names: each user's proxy addresses ("smtp:" and
-- the like left off for addresses, folded as the search folds) and employee id, so a search
-- for "ada.l@contoso.edu" or "E12345" finds its user with one index seek instead of reading
-- every user's properties.
CREATE TABLE snapshot_user_keys (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
    key         TEXT    NOT NULL CHECK (key <> ''),
    user_id     TEXT    NOT NULL,
    PRIMARY KEY (snapshot_id, key, user_id)
) WITHOUT ROWID;

-- Snapshots saved before this migration get their keys now (lower() folds ASCII only; the next
-- sync folds as Go does).
INSERT OR IGNORE INTO snapshot_user_keys (snapshot_id, key, user_id)
SELECT p.snapshot_id,
    lower(CASE WHEN instr(j.value, '@') > 0 AND instr(j.value, ':') BETWEEN 2 AND 9
        THEN substr(j.value, instr(j.value, ':') + 1) ELSE j.value END),
    p.user_id
FROM snapshot_user_props p, json_each(p.props, '$.proxyAddresses') j
WHERE trim(j.value) <> '';

INSERT OR IGNORE INTO snapshot_user_keys (snapshot_id, key, user_id)
SELECT snapshot_id, lower(trim(employee_id)), id FROM snapshot_users WHERE trim(employee_id) <> '';
