-- Airlock catalog, for SQLite and PostgreSQL alike. Timestamps are Unix
-- milliseconds (BIGINT) so that both schemas and all queries stay identical.
-- When the dialects must diverge (full-text search), split this directory.
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE tokens (
    hash        TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE acquisitions (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    slug            TEXT NOT NULL UNIQUE,
    description     TEXT NOT NULL,
    target_zone     TEXT NOT NULL,
    classification  TEXT NOT NULL,
    state           TEXT NOT NULL,
    owner_id        TEXT NOT NULL REFERENCES users(id),
    created_at      BIGINT NOT NULL
);

CREATE TABLE files (
    id               TEXT PRIMARY KEY,
    acquisition_id   TEXT NOT NULL REFERENCES acquisitions(id),
    filename         TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    channel          TEXT NOT NULL,
    submitted_by     TEXT NOT NULL REFERENCES users(id),
    state            TEXT NOT NULL,
    reason           TEXT,
    error            TEXT,
    dataset_id       TEXT,
    version          BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_until      BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (acquisition_id, sha256)
);
CREATE INDEX files_work ON files (state, next_attempt_at);

CREATE TABLE verdicts (
    file_id         TEXT NOT NULL REFERENCES files(id),
    engine          TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    detail          TEXT,
    engine_version  TEXT NOT NULL,
    db_version      TEXT,
    scanned_at      BIGINT NOT NULL,
    PRIMARY KEY (file_id, engine)
);

CREATE TABLE datasets (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    zone            TEXT NOT NULL,
    classification  TEXT NOT NULL,
    description     TEXT NOT NULL,
    acquisition_id  TEXT NOT NULL REFERENCES acquisitions(id),
    created_at      BIGINT NOT NULL,
    UNIQUE (zone, name)
);

CREATE TABLE dataset_versions (
    dataset_id      TEXT NOT NULL REFERENCES datasets(id),
    version         BIGINT NOT NULL,
    state           TEXT NOT NULL,
    location        TEXT,
    rows            BIGINT,
    size_bytes      BIGINT,
    source_file_id  TEXT NOT NULL REFERENCES files(id),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

CREATE TABLE dataset_columns (
    dataset_id  TEXT NOT NULL,
    version     BIGINT NOT NULL,
    ordinal     BIGINT NOT NULL,
    name        TEXT NOT NULL,
    data_type   TEXT NOT NULL,
    nullable    BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version, ordinal),
    FOREIGN KEY (dataset_id, version) REFERENCES dataset_versions(dataset_id, version)
);

CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
