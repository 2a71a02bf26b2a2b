-- Catalog search on PostgreSQL, bounded: hits come by tier (the best
-- field group that holds the whole query) and within a tier a window at
-- a time, newest first (see the catalog's `search` module). Each field
-- group gets a tsvector of its own under a GIN index, so that a tier's
-- match is exact in the index (weights in one tsvector need a recheck of
-- every candidate); the weighted document stays, to match exclusions and
-- to rank. `n` is a dataset's place in the newest-first order, taken
-- once from dataset_search_ids so that rewriting a document (new tags)
-- keeps it. The documents are rebuilt by the catalog at start
-- (`index_unsearchable`), as for 0016.
DROP TABLE dataset_search;
CREATE TABLE dataset_search_ids (
    n           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dataset_id  TEXT NOT NULL UNIQUE REFERENCES datasets(id)
);
CREATE TABLE dataset_search (
    dataset_id       TEXT PRIMARY KEY REFERENCES datasets(id),
    n                BIGINT NOT NULL UNIQUE,
    -- Weights: name A; tags and columns B; description C; supplier and
    -- purpose D.
    doc              TSVECTOR NOT NULL,
    name_doc         TSVECTOR NOT NULL,
    fields_doc       TSVECTOR NOT NULL,
    description_doc  TSVECTOR NOT NULL,
    source_doc       TSVECTOR NOT NULL
);
CREATE INDEX dataset_search_doc ON dataset_search USING GIN (doc);
CREATE INDEX dataset_search_name ON dataset_search USING GIN (name_doc);
CREATE INDEX dataset_search_fields ON dataset_search USING GIN (fields_doc);
CREATE INDEX dataset_search_description ON dataset_search USING GIN (description_doc);
CREATE INDEX dataset_search_source ON dataset_search USING GIN (source_doc);
