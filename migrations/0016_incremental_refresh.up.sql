-- Incremental refresh (issue 14): the delta links a snapshot's data is as new as, what kind of
-- refresh the data came from, and the patch sequence that keeps a sync from overwriting data
-- written after it started.

-- Which kind of refresh a run was, and a note such as why a full sync ran instead.
ALTER TABLE sync_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'full' CHECK (kind IN ('full', 'incremental'));
ALTER TABLE sync_runs ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- taken_at is when the latest refresh of the snapshot began (what its data is as of);
-- full_taken_at when the full sync it started from began; refreshed_kind the latest refresh's.
ALTER TABLE snapshots ADD COLUMN full_taken_at INTEGER;
ALTER TABLE snapshots ADD COLUMN refreshed_kind TEXT NOT NULL DEFAULT 'full' CHECK (refreshed_kind IN ('full', 'incremental'));
ALTER TABLE snapshots ADD COLUMN users_delta_link TEXT NOT NULL DEFAULT '';
ALTER TABLE snapshots ADD COLUMN groups_delta_link TEXT NOT NULL DEFAULT '';
UPDATE snapshots SET full_taken_at = taken_at;

-- Rows patched in the current snapshot (a reprocess re-read users, a template change) carry the
-- patch's number; a sync that began before it keeps those rows instead of what it read.
CREATE TABLE patch_seq (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO patch_seq (id, value) VALUES (1, 0);
ALTER TABLE snapshot_users ADD COLUMN patched_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE snapshot_groups ADD COLUMN patched_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX snapshot_users_patched ON snapshot_users (snapshot_id, patched_seq) WHERE patched_seq > 0;
