-- Snapshots are written as Graph's pages arrive: users in short transactions of their own while
-- the snapshot is not yet complete (readers never see it: only current_snapshot points at one,
-- and only once complete), then one transaction finishing it. complete = 0 marks one still being
-- written, or left by a sync that died; the next sync clears those.
ALTER TABLE snapshots ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;

-- The user's display name folded as tenantdesk folds names (lower case by Go's rules), kept once
-- when the user is written, so that holders are derived in SQL in their sort order and searches
-- compare against it without folding every row on every query.
ALTER TABLE snapshot_users ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE snapshot_users SET sort_name = fold(display_name);
