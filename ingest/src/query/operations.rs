//! What admins watch: the scan engines with their signature versions, and
//! a check of the audit log's hash chain.
//!
//! The key decision is that both are asked live (each engine for its
//! database version, the whole chain walked) when an admin looks, so the
//! page never shows a stale answer.

use serde::Serialize;

use airlock_policies::{Action, Principal};

use super::Reader;
use crate::IngestError;

impl Reader<'_> {
    /// Every scan engine, with its signature database's version where it
    /// has one.
    pub async fn engines(self, who: &Principal) -> Result<Vec<EngineView>, IngestError> {
        self.policies.authorize(who, Action::ViewEngines)?;
        let versions = self.scanner.db_versions().await;
        Ok(self
            .scanner
            .engine_names()
            .into_iter()
            .map(|name| EngineView {
                name,
                db_version: versions
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, v)| v.clone()),
            })
            .collect())
    }

    /// Walks the audit log's hash chain from its start; a broken link is
    /// an answer here, not an error.
    pub async fn verify_audit(self, who: &Principal) -> Result<AuditCheck, IngestError> {
        self.policies.authorize(who, Action::ReadAudit)?;
        let check = match airlock_catalog::verify_audit(self.catalog, None).await {
            Ok(head) => AuditCheck {
                intact: true,
                events: head.seq,
                head_hash: head.hash,
                broken: None,
            },
            Err(airlock_catalog::CatalogError::AuditBroken { seq, why }) => AuditCheck {
                intact: false,
                events: seq - 1,
                head_hash: String::new(),
                broken: Some(format!("event {seq}: {why}")),
            },
            Err(e) => return Err(e.into()),
        };
        self.catalog
            .append_audit(
                &who.user_id,
                "audit.verify",
                "audit",
                serde_json::json!({"intact": check.intact, "events": check.events}),
            )
            .await?;
        Ok(check)
    }
}

#[derive(Serialize)]
pub struct EngineView {
    pub name: &'static str,
    /// The signature database's version; absent for an engine without
    /// one (type checks, the archive walker).
    pub db_version: Option<String>,
}

#[derive(Serialize)]
pub struct AuditCheck {
    pub intact: bool,
    /// How many events verified.
    pub events: i64,
    /// The last verified event's hash, to record as a checkpoint.
    pub head_hash: String,
    /// The first bad event and why, when the chain is broken.
    pub broken: Option<String>,
}
