-- FTS5 finds a row fast only by rowid, not by an UNINDEXED column: each
-- dataset's search document takes a rowid of its own from here, so that
-- rewriting one document, and finding datasets without one, are index
-- lookups rather than scans of the whole index.
CREATE TABLE dataset_search_ids (
    n           INTEGER PRIMARY KEY,
    dataset_id  TEXT NOT NULL UNIQUE REFERENCES datasets(id)
);
DELETE FROM dataset_search;
