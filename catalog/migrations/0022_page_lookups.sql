-- Lookups for the web pages.
-- An engineer's own acquisitions, newest first (the web pages' list).
CREATE INDEX acquisitions_by_owner ON acquisitions (owner_id, created_at);
-- The events about one subject: a decision's evidence pack names its event.
CREATE INDEX audit_events_by_subject ON audit_events (subject, seq);
