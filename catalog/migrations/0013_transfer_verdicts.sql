-- A transfer's copy is scanned part by part; every engine's verdict on
-- every part is kept, as for every delivered file.
CREATE TABLE transfer_verdicts (
    transfer_id     TEXT NOT NULL REFERENCES transfers(id),
    part            TEXT NOT NULL,
    member          TEXT NOT NULL,
    engine          TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    detail          TEXT,
    engine_version  TEXT NOT NULL,
    db_version      TEXT,
    scanned_at      BIGINT NOT NULL,
    PRIMARY KEY (transfer_id, part, member, engine)
);
