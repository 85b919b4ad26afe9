-- placeholder replaced by the snapshot tables
SELECT 1;
