-- Sorted views of a SKU's holders are carried across patches (issue 14): a view's order is
-- brought up to date from the users a patch stamps (snapshot_users.patched_seq). An incremental
-- refresh changes users in place without stamping them; unstamped_seq is the patch number it
-- took, and an order read before it is read again instead.
ALTER TABLE snapshots ADD COLUMN unstamped_seq INTEGER NOT NULL DEFAULT 0;
