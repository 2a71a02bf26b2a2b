-- Column statistics per version, gathered during conversion: the null
-- count, the least and greatest values as people read them (cut to 64
-- characters, a cut or inexact one ending in '…'), and the distinct
-- values: counted exactly while few (distinct_count), estimated past that
-- (distinct_estimate). NULL where unknown: versions converted before
-- statistics were kept, and types they are not kept for.
ALTER TABLE dataset_columns ADD COLUMN null_count BIGINT;
ALTER TABLE dataset_columns ADD COLUMN min_value TEXT;
ALTER TABLE dataset_columns ADD COLUMN max_value TEXT;
ALTER TABLE dataset_columns ADD COLUMN distinct_count BIGINT;
ALTER TABLE dataset_columns ADD COLUMN distinct_estimate BIGINT;
