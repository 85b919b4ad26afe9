-- IP range sources for internal/iprange: the Microsoft 365 endpoint sets of each instance and the
-- Azure service tags of each cloud, kept as downloaded (raw JSON) so the index can be rebuilt and
-- a newer parser can re-read old data. One row per (kind, instance); a refresh replaces the row
-- only after the new download parsed and validated.
CREATE TABLE ip_sources (
    kind        TEXT NOT NULL CHECK (kind IN ('m365', 'servicetags')),
    instance    TEXT NOT NULL CHECK (instance <> ''),
    version     TEXT NOT NULL,
    fetched_at  TEXT NOT NULL, -- RFC 3339, UTC: when this version was downloaded or imported
    checked_at  TEXT NOT NULL, -- RFC 3339, UTC: when the source was last confirmed current
    url         TEXT NOT NULL,
    raw         BLOB NOT NULL,
    PRIMARY KEY (kind, instance)
);

-- Small key/value settings of the IP range feature, e.g. the ClientRequestId that
-- endpoints.office.com asks each client to generate once and keep.
CREATE TABLE ip_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
