-- Catalog search on PostgreSQL: one weighted tsvector per dataset under a
-- GIN index, kept by the catalog in the transaction that changes what it
-- indexes (publication, tags). Weights: name A; tags and columns B;
-- description C; supplier and purpose D.
CREATE TABLE dataset_search (
    dataset_id  TEXT PRIMARY KEY REFERENCES datasets(id),
    doc         TSVECTOR NOT NULL
);
CREATE INDEX dataset_search_doc ON dataset_search USING GIN (doc);
