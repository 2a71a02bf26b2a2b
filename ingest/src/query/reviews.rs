//! The reviewers' queue: held files with their evidence, acquisitions
//! pending review and transfers waiting for a release.

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::AcquisitionState;
use airlock_policies::{Action, Principal};

use super::{AcquisitionView, Reader, TransferView, VerdictView, rfc3339};
use crate::IngestError;
use crate::governance::Evidence;

impl Reader<'_> {
    /// Everything waiting for a reviewer, oldest first.
    pub async fn review_queue(self, who: &Principal) -> Result<ReviewQueue, IngestError> {
        self.policies.authorize(who, Action::ListReviews)?;
        let mut files = Vec::new();
        for f in self.catalog.review_queue().await? {
            let acq = self.acquisition_record(&f.acquisition_id).await?;
            let name = self.catalog.user(&f.submitted_by).await?.map(|u| u.name);
            let verdicts = self.catalog.verdicts(&f.id).await?;
            files.push(HeldFileView {
                submitted_by: UserRef {
                    id: f.submitted_by,
                    name: name.unwrap_or_default(),
                },
                held_at: rfc3339(f.updated_at),
                acquisition: acq.into(),
                verdicts: verdicts.into_iter().map(VerdictView::from).collect(),
                evidence: f
                    .evidence
                    .as_deref()
                    .and_then(|e| serde_json::from_str(e).ok()),
                id: f.id,
                filename: f.filename,
                sha256: f.sha256,
                size_bytes: f.size_bytes,
                channel: f.channel.to_string(),
            });
        }
        let acquisitions = self
            .catalog
            .acquisitions_in(AcquisitionState::PendingReview)
            .await?
            .into_iter()
            .map(AcquisitionView::from)
            .collect();
        let transfers = self
            .catalog
            .transfers_in(airlock_catalog::TransferState::PendingRelease)
            .await?
            .into_iter()
            .map(TransferView::from)
            .collect();
        Ok(ReviewQueue {
            files,
            acquisitions,
            transfers,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReviewQueue {
    /// Files that policy held, oldest first, each with its evidence.
    pub files: Vec<HeldFileView>,
    /// Acquisitions waiting for approval, oldest first.
    pub acquisitions: Vec<AcquisitionView>,
    /// Transfers waiting for a release (every export), oldest first.
    pub transfers: Vec<TransferView>,
}

#[derive(Serialize, ToSchema)]
pub struct HeldFileView {
    pub id: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub channel: String,
    pub submitted_by: UserRef,
    pub held_at: String,
    pub acquisition: AcquisitionView,
    /// Every engine's verdict on the file and its members.
    pub verdicts: Vec<VerdictView>,
    /// Rows, columns, PII findings per column, the schema check and the
    /// policies that held it. Never a value.
    pub evidence: Option<Evidence>,
}

#[derive(Serialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub name: String,
}
