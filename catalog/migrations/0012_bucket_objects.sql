-- Objects taken from drop buckets: one row per object version (key and
-- ETag), so an object is taken once, and an overwritten one again.
CREATE TABLE bucket_objects (
    source      TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    etag        TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    file_id     TEXT NOT NULL REFERENCES files(id),
    taken_at    BIGINT NOT NULL,
    PRIMARY KEY (source, object_key, etag)
);
