-- "who holds a disabled license from this group" (assigned, its subscription's services off) is
-- one range scan, as "who is in error because of this group" is with
-- snapshot_user_states_group_errors.
CREATE INDEX snapshot_user_states_group_disabled
    ON snapshot_user_states (snapshot_id, assigned_by_group, user_id) WHERE state = 'Disabled';
