//! Evidence packs: what a decision on a file or an acquisition was made
//! on, in one JSON document that a reviewer downloads and files.
//!
//! The key decision: a pack is sealed with a SHA-256 over its canonical
//! JSON (object keys sorted, no whitespace, the `sha256` member left out),
//! and it names the audit events that recorded each decision, whose hash
//! chain ties it to the tamper-evident log. Anyone can recompute the
//! digest ([`digest`]); the events prove the decisions were taken.
//! Exporting a pack is itself audited.

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use airlock_catalog::AuditEvent;
use airlock_policies::Principal;

use super::{Reader, rfc3339};
use crate::{IngestError, now_ms};

/// The pack format's name, in every pack.
pub const PACK_FORMAT: &str = "airlock-evidence-pack/1";

/// The most audit events of one subject a pack looks through.
const MAX_SUBJECT_EVENTS: i64 = 10_000;

impl Reader<'_> {
    /// The evidence pack of a delivered file: its record, every verdict,
    /// its members, the checks' evidence and each review with its audit
    /// event.
    pub async fn file_evidence_pack(self, who: &Principal, id: &str) -> Result<Value, IngestError> {
        let review = self.file_review(who, id).await?;
        let subject = json!({"kind": "file", "id": id});
        let body = json!({
            "file": review.file,
            "acquisition": review.acquisition,
            "submitted_by": review.submitted_by,
        });
        self.seal(who, subject, body, "file.review").await
    }

    /// The evidence pack of an acquisition: its record and each review
    /// with its audit event.
    pub async fn acquisition_evidence_pack(
        self,
        who: &Principal,
        id: &str,
    ) -> Result<Value, IngestError> {
        let review = self.acquisition_review(who, id).await?;
        let subject = json!({"kind": "acquisition", "id": id});
        let body = json!({
            "acquisition": review.acquisition,
            "owner": review.owner,
            "reviews": review.reviews,
        });
        self.seal(who, subject, body, "acquisition.review").await
    }

    async fn seal(
        self,
        who: &Principal,
        subject: Value,
        mut pack: Value,
        decision_action: &str,
    ) -> Result<Value, IngestError> {
        let id = subject["id"].as_str().unwrap_or_default().to_owned();
        let events = self.catalog.subject_events(&id, MAX_SUBJECT_EVENTS).await?;
        let decisions: Vec<DecisionEvent> = events
            .into_iter()
            .filter(|e| e.action == decision_action)
            .map(DecisionEvent::from)
            .collect();
        pack["format"] = json!(PACK_FORMAT);
        pack["subject"] = subject;
        pack["decisions"] = json!(decisions);
        pack["exported_at"] = json!(rfc3339(now_ms()));
        pack["exported_by"] = json!(who.user_id);
        let sha256 = digest(&pack);
        self.catalog
            .append_audit(
                &who.user_id,
                "evidence.export",
                &id,
                json!({"sha256": sha256, "decisions": decisions.len()}),
            )
            .await?;
        pack["sha256"] = json!(sha256);
        Ok(pack)
    }
}

/// The audit event that recorded a decision.
#[derive(Serialize)]
struct DecisionEvent {
    audit_seq: i64,
    audit_hash: String,
    at: String,
    reviewer_id: String,
    detail: Value,
}

impl From<AuditEvent> for DecisionEvent {
    fn from(e: AuditEvent) -> Self {
        DecisionEvent {
            audit_seq: e.seq,
            audit_hash: e.hash,
            at: rfc3339(e.at),
            reviewer_id: e.actor,
            detail: serde_json::from_str(&e.detail).unwrap_or(Value::String(e.detail)),
        }
    }
}

/// The hex SHA-256 of a pack's canonical JSON without its `sha256`
/// member.
pub fn digest(pack: &Value) -> String {
    let mut bytes = Vec::new();
    canonical(pack, &mut bytes, true);
    hex::encode(Sha256::digest(&bytes))
}

/// Keys sorted at every depth, no whitespace; the top level's `sha256`
/// left out.
fn canonical(v: &Value, out: &mut Vec<u8>, top: bool) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map
                .keys()
                .filter(|k| !(top && k.as_str() == "sha256"))
                .collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                canonical(&map[k], out, false);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out, false);
            }
            out.push(b']');
        }
        scalar => out.extend(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_ignores_key_order_and_its_own_member() {
        let a = json!({"b": 1, "a": {"y": [1, "x"], "x": null}});
        let mut b = json!({"a": {"x": null, "y": [1, "x"]}, "b": 1});
        assert_eq!(digest(&a), digest(&b));
        b["sha256"] = json!(digest(&a));
        assert_eq!(digest(&a), digest(&b), "the seal is not sealed");
        b["a"]["y"][0] = json!(2);
        assert_ne!(digest(&a), digest(&b), "a changed value changes it");
        let mut bytes = Vec::new();
        canonical(&a, &mut bytes, true);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"a":{"x":null,"y":[1,"x"]},"b":1}"#
        );
    }
}
