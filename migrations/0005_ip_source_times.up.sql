-- IP source times become INTEGER Unix nanoseconds (UTC) like every other time in the database,
-- so the store reads and writes all times one way. They were RFC 3339 text in UTC (always with
-- a "Z", as the store wrote them). SQLite cannot change a column's type, so the table is
-- rebuilt; the conversion keeps the nanoseconds.
CREATE TABLE ip_sources_new (
    kind        TEXT    NOT NULL CHECK (kind IN ('m365', 'servicetags')),
    instance    TEXT    NOT NULL CHECK (instance <> ''),
    version     TEXT    NOT NULL,
    fetched_at  INTEGER NOT NULL, -- when this version was downloaded or imported
    checked_at  INTEGER NOT NULL, -- when the source was last confirmed current
    url         TEXT    NOT NULL,
    raw         BLOB    NOT NULL,
    PRIMARY KEY (kind, instance)
);

-- "2026-07-20T10:00:00.000000123Z": whole seconds from the first 19 characters, then the
-- fraction (if any) padded to nine digits.
INSERT INTO ip_sources_new (kind, instance, version, fetched_at, checked_at, url, raw)
SELECT kind, instance, version,
    CAST(strftime('%s', substr(fetched_at, 1, 19)) AS INTEGER) * 1000000000 +
        CASE WHEN substr(fetched_at, 20, 1) = '.'
            THEN CAST(substr(rtrim(substr(fetched_at, 21), 'Z') || '000000000', 1, 9) AS INTEGER) ELSE 0 END,
    CAST(strftime('%s', substr(checked_at, 1, 19)) AS INTEGER) * 1000000000 +
        CASE WHEN substr(checked_at, 20, 1) = '.'
            THEN CAST(substr(rtrim(substr(checked_at, 21), 'Z') || '000000000', 1, 9) AS INTEGER) ELSE 0 END,
    url, raw
FROM ip_sources;

DROP TABLE ip_sources;
ALTER TABLE ip_sources_new RENAME TO ip_sources;
