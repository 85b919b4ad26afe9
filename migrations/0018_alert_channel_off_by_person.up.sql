-- A channel a person switched off (on the alerts page) stays off when the
-- configuration that gives it is applied again at the next start; one switched off because its
-- setting was gone comes back on when the setting returns.
ALTER TABLE alert_channels ADD COLUMN off_by_person INTEGER NOT NULL DEFAULT 0;
