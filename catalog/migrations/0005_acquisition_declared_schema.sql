-- An acquisition's declared schema (its contract), as JSON.
ALTER TABLE acquisitions ADD COLUMN declared_schema TEXT;
