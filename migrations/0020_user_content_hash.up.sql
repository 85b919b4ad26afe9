-- A full sync carries forward from the current snapshot the users Graph still describes the same
-- (issue 14): content_hash is a hash of everything insertUsers wrote of the user (its row, its
-- properties, licenses, states and search keys), so a sync compares what it read with one number
-- instead of writing the user again. 0 is unknown (users saved before this) and matches nothing.
ALTER TABLE snapshot_users ADD COLUMN content_hash INTEGER NOT NULL DEFAULT 0;
