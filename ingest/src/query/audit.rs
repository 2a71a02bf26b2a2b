//! The audit log, for admins.

use serde::Serialize;
use utoipa::ToSchema;

use airlock_policies::{Action, Principal};

use super::{Reader, rfc3339};
use crate::IngestError;

impl Reader<'_> {
    /// `limit` audit events after sequence number `after`, oldest first.
    pub async fn audit(
        self,
        who: &Principal,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditView>, IngestError> {
        self.policies.authorize(who, Action::ReadAudit)?;
        if after < 0 {
            return Err(IngestError::bad_request(
                "invalid_after",
                format!("after must be a sequence number, 0 or more, not {after}"),
            ));
        }
        let events = self.catalog.audit_events(after, limit).await?;
        Ok(events
            .into_iter()
            .map(|e| AuditView {
                seq: e.seq,
                at: rfc3339(e.at),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: serde_json::from_str(&e.detail)
                    .unwrap_or(serde_json::Value::String(e.detail)),
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect())
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: String,
    /// A user id, or `system:<daemon>` for pipeline steps.
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// The event's facts; never secrets or data values.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}
