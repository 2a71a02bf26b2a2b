-- Catalog search on SQLite, bounded: hits come by tier (the best field
-- group that holds the whole query) and within a tier a window at a
-- time, newest first (see the catalog's `search` module). Each field
-- group's tier searches a table of its own, so that its walk meets only
-- datasets whose match lies in those fields; words across fields are
-- searched in dataset_search. The tables hold the index alone
-- (contentless); the text stays in dataset_search, from which the
-- catalog copies it. Every document is rebuilt at start
-- (`index_unsearchable`), in the order of dataset ids.
CREATE VIRTUAL TABLE dataset_search_name USING fts5(
    name,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE dataset_search_fields USING fts5(
    tags, columns,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE dataset_search_description USING fts5(
    description,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE dataset_search_source USING fts5(
    supplier, purpose,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
DELETE FROM dataset_search;
DELETE FROM dataset_search_ids;
