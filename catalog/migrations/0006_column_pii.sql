-- Personal data found per column: of `pii_sampled` values looked at, how
-- many were of each kind. Never the values themselves.
ALTER TABLE dataset_columns ADD COLUMN pii_sampled BIGINT NOT NULL DEFAULT 0;
CREATE TABLE column_pii (
    dataset_id  TEXT NOT NULL,
    version     BIGINT NOT NULL,
    ordinal     BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version, ordinal, kind)
);
