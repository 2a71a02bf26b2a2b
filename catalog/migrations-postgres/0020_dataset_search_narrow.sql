-- Catalog search on PostgreSQL in narrow tables, one per tier (see the
-- catalog's `search::steps`): a tier's window is found either by walking
-- places newest first or by taking matches from GIN, and both plans touch
-- a heap row per place or match. In 0019 that row was a wide one, every
-- field group's tsvector and the weighted document together (1.3 KB), and
-- the filters joined datasets and dataset_versions for each: 2 to 7 µs a
-- row. Here each tier's table holds only what its plans read (place, id,
-- zone, classification, words: 100 to 500 bytes), and only listed
-- datasets (a published version) are indexed, so no filter needs another
-- table. Every dataset is indexed again at start (`index_unsearchable`),
-- oldest first, so places follow the datasets' age. The GIN indexes take
-- entries at once (fastupdate off): a pending list would be scanned by
-- every search, and catalog writes are few.
DROP TABLE dataset_search;
DELETE FROM dataset_search_ids;
CREATE TABLE dataset_search_name (
    n               BIGINT PRIMARY KEY REFERENCES dataset_search_ids(n),
    dataset_id      TEXT NOT NULL,
    zone            TEXT NOT NULL,
    classification  TEXT NOT NULL,
    words           TSVECTOR NOT NULL
);
CREATE TABLE dataset_search_fields (
    n               BIGINT PRIMARY KEY REFERENCES dataset_search_ids(n),
    dataset_id      TEXT NOT NULL,
    zone            TEXT NOT NULL,
    classification  TEXT NOT NULL,
    words           TSVECTOR NOT NULL
);
CREATE TABLE dataset_search_description (
    n               BIGINT PRIMARY KEY REFERENCES dataset_search_ids(n),
    dataset_id      TEXT NOT NULL,
    zone            TEXT NOT NULL,
    classification  TEXT NOT NULL,
    words           TSVECTOR NOT NULL
);
CREATE TABLE dataset_search_source (
    n               BIGINT PRIMARY KEY REFERENCES dataset_search_ids(n),
    dataset_id      TEXT NOT NULL,
    zone            TEXT NOT NULL,
    classification  TEXT NOT NULL,
    words           TSVECTOR NOT NULL
);
CREATE TABLE dataset_search_all (
    n               BIGINT PRIMARY KEY REFERENCES dataset_search_ids(n),
    dataset_id      TEXT NOT NULL,
    zone            TEXT NOT NULL,
    classification  TEXT NOT NULL,
    words           TSVECTOR NOT NULL
);
CREATE INDEX dataset_search_name_words ON dataset_search_name USING GIN (words) WITH (fastupdate = off);
CREATE INDEX dataset_search_fields_words ON dataset_search_fields USING GIN (words) WITH (fastupdate = off);
CREATE INDEX dataset_search_description_words ON dataset_search_description USING GIN (words) WITH (fastupdate = off);
CREATE INDEX dataset_search_source_words ON dataset_search_source USING GIN (words) WITH (fastupdate = off);
CREATE INDEX dataset_search_all_words ON dataset_search_all USING GIN (words) WITH (fastupdate = off);
