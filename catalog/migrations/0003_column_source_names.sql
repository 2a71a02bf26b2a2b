-- A column renamed so that Parquet and the common engines accept it (an
-- empty or repeated name) keeps the name its supplier gave it.
ALTER TABLE dataset_columns ADD COLUMN source_name TEXT;
