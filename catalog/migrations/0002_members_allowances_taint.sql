-- Archive members and their verdicts, what an acquisition explicitly
-- allows, and the marks a rescan leaves on a published dataset version.

-- Verdicts are per stream: the delivered file (member '') or one member of
-- it ('inner.zip!/x.csv'), each from every engine.
CREATE TABLE verdicts_v2 (
    file_id         TEXT NOT NULL REFERENCES files(id),
    member          TEXT NOT NULL,
    engine          TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    detail          TEXT,
    engine_version  TEXT NOT NULL,
    db_version      TEXT,
    scanned_at      BIGINT NOT NULL,
    PRIMARY KEY (file_id, member, engine)
);
INSERT INTO verdicts_v2 (file_id, member, engine, verdict, detail, engine_version, db_version, scanned_at)
    SELECT file_id, '', engine, verdict, detail, engine_version, db_version, scanned_at FROM verdicts;
DROP TABLE verdicts;
ALTER TABLE verdicts_v2 RENAME TO verdicts;

CREATE TABLE file_members (
    file_id     TEXT NOT NULL REFERENCES files(id),
    ordinal     BIGINT NOT NULL,
    path        TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (file_id, ordinal)
);

-- The format the supplier declared for a delivery (csv, parquet, …), which
-- the filetype engine holds the content to.
ALTER TABLE files ADD COLUMN declared_format TEXT;

-- Comma-separated, from: executables, scripts, macros, encrypted.
ALTER TABLE acquisitions ADD COLUMN allow TEXT NOT NULL DEFAULT '';

ALTER TABLE dataset_versions ADD COLUMN tainted_at BIGINT;
ALTER TABLE dataset_versions ADD COLUMN taint_reason TEXT;
