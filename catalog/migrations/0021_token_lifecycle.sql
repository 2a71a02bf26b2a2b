-- Token lifecycle. A token may carry an expiry and may be revoked (both
-- Unix milliseconds); a disabled user is refused with every token they
-- hold, and through OIDC too. Rows are kept, never deleted, so that the
-- audit log's subjects stay resolvable.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN revoked_at BIGINT;
CREATE INDEX tokens_by_user ON tokens (user_id);
