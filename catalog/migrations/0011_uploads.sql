-- Resumable (tus) uploads in progress: their bytes so far are in
-- quarantine/uploads/<id>; the offset here is what was acknowledged.
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    acquisition_id  TEXT NOT NULL REFERENCES acquisitions(id),
    filename        TEXT NOT NULL,
    declared_format TEXT,
    length_bytes    BIGINT NOT NULL,
    offset_bytes    BIGINT NOT NULL,
    created_by      TEXT NOT NULL REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    -- The delivery it became, once complete.
    file_id         TEXT REFERENCES files(id)
);
CREATE INDEX uploads_expiry ON uploads (expires_at);
