-- The zones an analyst is cleared to read, comma-separated.
ALTER TABLE users ADD COLUMN zones TEXT NOT NULL DEFAULT '';
