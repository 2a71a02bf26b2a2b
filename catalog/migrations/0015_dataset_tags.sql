-- Tags on datasets, set by engineers and reviewers (who may is a Cedar
-- policy); searched with the rest of a dataset's description.
CREATE TABLE dataset_tags (
    dataset_id  TEXT NOT NULL REFERENCES datasets(id),
    tag         TEXT NOT NULL,
    PRIMARY KEY (dataset_id, tag)
);
CREATE INDEX dataset_tags_by_tag ON dataset_tags (tag);
