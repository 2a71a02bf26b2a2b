-- Transfers of published dataset versions between lake zones:
-- pending_release → queued → publishing → published, or rejected.
CREATE TABLE transfers (
    id                TEXT PRIMARY KEY,
    dataset_id        TEXT NOT NULL REFERENCES datasets(id),
    version           BIGINT NOT NULL,
    from_zone         TEXT NOT NULL,
    to_zone           TEXT NOT NULL,
    requested_by      TEXT NOT NULL REFERENCES users(id),
    reason            TEXT NOT NULL,
    state             TEXT NOT NULL,
    released_by       TEXT REFERENCES users(id),
    error             TEXT,
    target_dataset_id TEXT,
    target_version    BIGINT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    lease_owner       TEXT,
    lease_until       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX transfers_work ON transfers (state, next_attempt_at);

-- A version published by a transfer: its lineage to the source version.
ALTER TABLE dataset_versions ADD COLUMN transfer_id TEXT REFERENCES transfers(id);
