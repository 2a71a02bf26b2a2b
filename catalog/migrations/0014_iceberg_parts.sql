-- How many data files a published version's Iceberg manifest lists; NULL
-- when the version has no Iceberg metadata in its lake (published before
-- Airlock wrote it, or with a column type Iceberg lacks), so the REST
-- catalog never serves a snapshot whose manifest list is missing.
ALTER TABLE dataset_versions ADD COLUMN iceberg_parts BIGINT;
