-- Catalog search on SQLite: an FTS5 index with one row per dataset, kept
-- by the catalog in the transaction that changes what it indexes
-- (publication, tags). Columns are weighted at query time (bm25). Porter
-- stemming over unicode61, as PostgreSQL's english configuration stems.
CREATE VIRTUAL TABLE dataset_search USING fts5(
    dataset_id UNINDEXED,
    name,
    tags,
    columns,
    description,
    supplier,
    purpose,
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '2 3'
);
