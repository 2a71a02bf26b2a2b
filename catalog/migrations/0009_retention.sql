-- Versions past their acquisition's retention: `published → deleting`
-- (the proof of what will be deleted is audited first) `→ deleted`.
ALTER TABLE dataset_versions ADD COLUMN deleted_at BIGINT;
