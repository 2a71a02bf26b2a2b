//! The tamper-evident audit log: each event's hash covers its own fields and
//! the previous event's hash, so altering, removing or reordering any event
//! breaks every link after it.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::CatalogError;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: i64,
    /// A user id, or `system:<daemon>` for pipeline steps.
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON with the event's facts. Never holds secrets or data values.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an event with these fields. Each field is length-prefixed so
/// that no two different events encode to the same bytes.
pub(crate) fn event_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for field in [
        prev_hash,
        &seq.to_string(),
        &at.to_string(),
        actor,
        action,
        subject,
        detail,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

impl AuditEvent {
    /// Checks this event's link to `prev_hash` and its own hash.
    pub fn verify(&self, prev_hash: &str) -> Result<(), CatalogError> {
        let broken = |why: &str| CatalogError::AuditBroken {
            seq: self.seq,
            why: why.to_owned(),
        };
        if self.prev_hash != prev_hash {
            return Err(broken("its prev_hash does not match the previous event"));
        }
        let want = event_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
        );
        if self.hash != want {
            return Err(broken("its contents do not match its hash"));
        }
        Ok(())
    }
}
