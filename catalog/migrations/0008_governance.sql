-- The acquisition record a reviewer judges, and its lifecycle:
-- draft → pending_review → approved | rejected → closed.
ALTER TABLE acquisitions ADD COLUMN supplier TEXT NOT NULL DEFAULT '';
ALTER TABLE acquisitions ADD COLUMN legal_basis TEXT NOT NULL DEFAULT '';
ALTER TABLE acquisitions ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE acquisitions ADD COLUMN personal_data BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE acquisitions ADD COLUMN retention_days BIGINT;
ALTER TABLE acquisitions ADD COLUMN ethics_ref TEXT NOT NULL DEFAULT '';

-- What the checks found in a file (JSON: rows, columns, PII and schema
-- findings, the deciding policies), kept for the reviewer; and who released
-- a file that policy held.
ALTER TABLE files ADD COLUMN evidence TEXT;
ALTER TABLE files ADD COLUMN released_by TEXT REFERENCES users(id);

-- Every review decision, on an acquisition or a file.
CREATE TABLE reviews (
    id           TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    reviewer_id  TEXT NOT NULL REFERENCES users(id),
    decision     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX reviews_subject ON reviews (subject_kind, subject_id);
