//! Transfers: copies of published versions between zones.

use serde::Serialize;
use utoipa::ToSchema;

use airlock_policies::{Action, Principal};

use super::{Reader, VerdictView, rfc3339};
use crate::IngestError;

impl Reader<'_> {
    /// A transfer, for its requester, reviewers and admins.
    pub async fn transfer(self, who: &Principal, id: &str) -> Result<TransferView, IngestError> {
        let t = self
            .catalog
            .transfer(id)
            .await?
            .ok_or_else(|| IngestError::NotFound(format!("transfer {id}")))?;
        let export = self
            .zones
            .is_export(t.from_zone.as_str(), t.to_zone.as_str())?;
        self.policies.authorize(
            who,
            Action::ViewTransfer(crate::transfer::facts(&t, None, export)),
        )?;
        let mut view = TransferView::from(t);
        view.verdicts = self
            .catalog
            .transfer_verdicts(id)
            .await?
            .into_iter()
            .map(|v| PartVerdictView {
                part: v.part,
                verdict: v.verdict.into(),
            })
            .collect();
        Ok(view)
    }
}

/// One engine's verdict on one part of a transfer's copy.
#[derive(Serialize, ToSchema)]
pub struct PartVerdictView {
    /// The source part the copy was scanned from.
    pub part: String,
    #[serde(flatten)]
    pub verdict: VerdictView,
}

#[derive(Serialize, ToSchema)]
pub struct TransferView {
    pub id: String,
    pub dataset_id: String,
    pub version: i64,
    pub from_zone: String,
    pub to_zone: String,
    pub requested_by: String,
    pub reason: String,
    /// pending_release, queued, publishing, published or rejected.
    pub state: String,
    pub released_by: Option<String>,
    pub error: Option<String>,
    /// The version it became in the target zone.
    pub target_dataset_id: Option<String>,
    pub target_version: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    /// Every engine's verdict on every part of the copy, once it was
    /// scanned.
    pub verdicts: Vec<PartVerdictView>,
}

impl From<airlock_catalog::Transfer> for TransferView {
    fn from(t: airlock_catalog::Transfer) -> Self {
        Self {
            id: t.id,
            dataset_id: t.dataset_id,
            version: t.version,
            from_zone: t.from_zone.to_string(),
            to_zone: t.to_zone.to_string(),
            requested_by: t.requested_by,
            reason: t.reason,
            state: t.state.to_string(),
            released_by: t.released_by,
            error: t.error,
            target_dataset_id: t.target_dataset_id,
            target_version: t.target_version,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            verdicts: vec![],
        }
    }
}
