-- What a search by a part of a name, UPN or mail reads: the three folded as tenantdesk folds
-- (lower case by Go's rules), one a line, kept when the user is written so that a search
-- compares plain text without folding every row on every query; and whether the user holds any
-- license (the licensed-only list). The index holds both and orders users by folded name, so a
-- search reads the index alone and a page of the list is one seek.
ALTER TABLE snapshot_users ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE snapshot_users ADD COLUMN licensed INTEGER NOT NULL DEFAULT 0;
UPDATE snapshot_users SET search_text = fold(display_name) || char(10) || fold(upn) || char(10) || fold(mail),
    licensed = EXISTS (SELECT 1 FROM snapshot_user_assigned a
        WHERE a.snapshot_id = snapshot_users.snapshot_id AND a.user_id = snapshot_users.id);
CREATE INDEX snapshot_users_search ON snapshot_users (snapshot_id, search_text, id, licensed);

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

-- Snapshots saved before this migration get their keys now (fold() is Go's folding, as for
-- search_text).
INSERT OR IGNORE INTO snapshot_user_keys (snapshot_id, key, user_id)
SELECT p.snapshot_id,
    fold(CASE WHEN instr(j.value, '@') > 0 AND instr(j.value, ':') BETWEEN 2 AND 9
        THEN substr(j.value, instr(j.value, ':') + 1) ELSE j.value END),
    p.user_id
FROM snapshot_user_props p, json_each(p.props, '$.proxyAddresses') j
WHERE trim(j.value) <> '';

INSERT OR IGNORE INTO snapshot_user_keys (snapshot_id, key, user_id)
SELECT snapshot_id, fold(trim(employee_id)), id FROM snapshot_users WHERE trim(employee_id) <> '';
