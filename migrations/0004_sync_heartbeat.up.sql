-- Who runs a sync run and when it last said it was alive, so that opening the database from a
-- second process (a command-line refresh or import while the server syncs) can tell a live run
-- from one whose process died. Runs from before this migration have no owner and no heartbeat:
-- their start time counts as the heartbeat.
ALTER TABLE sync_runs ADD COLUMN owner_host  TEXT    NOT NULL DEFAULT '';
ALTER TABLE sync_runs ADD COLUMN owner_pid   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN owner_nonce TEXT    NOT NULL DEFAULT ''; -- one per open Store
ALTER TABLE sync_runs ADD COLUMN heartbeat_at INTEGER; -- Unix nanoseconds, UTC
