//! Acquisitions and their deliveries, and the zones they may target.

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::Contract;
use airlock_policies::{Action, Principal};

use super::{Reader, rfc3339};
use crate::IngestError;

#[derive(Serialize, ToSchema)]
pub struct ZoneView {
    pub name: String,
    pub kind: String,
    pub ceiling: String,
    pub accepts_from: Vec<String>,
}

impl Reader<'_> {
    /// The configured zones and their ceilings.
    pub fn zones(self, who: &Principal) -> Result<Vec<ZoneView>, IngestError> {
        self.policies.authorize(who, Action::ListZones)?;
        Ok(self
            .zones
            .iter()
            .map(|z| ZoneView {
                name: z.name.to_string(),
                kind: serde_json::to_value(z.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                ceiling: z.ceiling.to_string(),
                accepts_from: z.accepts_from.iter().map(|n| n.to_string()).collect(),
            })
            .collect())
    }

    /// One acquisition, for its owner, reviewers and admins.
    pub async fn acquisition(
        self,
        who: &Principal,
        id: &str,
    ) -> Result<AcquisitionView, IngestError> {
        let acq = self.acquisition_record(id).await?;
        self.policies.authorize(
            who,
            Action::ViewAcquisition {
                owner_id: &acq.owner_id,
            },
        )?;
        Ok(acq.into())
    }

    /// The caller's own acquisitions, newest first, at most `limit`.
    pub async fn my_acquisitions(
        self,
        who: &Principal,
        limit: i64,
    ) -> Result<Vec<AcquisitionView>, IngestError> {
        self.policies.authorize(
            who,
            Action::ViewAcquisition {
                owner_id: &who.user_id,
            },
        )?;
        let owned = self.catalog.acquisitions_owned(&who.user_id, limit).await?;
        Ok(owned.into_iter().map(AcquisitionView::from).collect())
    }

    /// An acquisition's deliveries, however they came in, newest first:
    /// `limit` of those delivered before file `before` (all, if empty).
    pub async fn acquisition_files(
        self,
        who: &Principal,
        id: &str,
        before: &str,
        limit: i64,
    ) -> Result<Vec<FileSummary>, IngestError> {
        let acq = self.acquisition_record(id).await?;
        self.policies.authorize(
            who,
            Action::ViewAcquisition {
                owner_id: &acq.owner_id,
            },
        )?;
        let files = self.catalog.acquisition_files(id, before, limit).await?;
        Ok(files
            .into_iter()
            .map(|f| FileSummary {
                id: f.id,
                filename: f.filename,
                channel: f.channel.to_string(),
                size_bytes: f.size_bytes,
                sha256: f.sha256,
                state: f.state.to_string(),
                reason: f.reason,
                error: f.error,
                held_because: f
                    .evidence
                    .as_deref()
                    .filter(|_| f.state == airlock_catalog::FileState::AwaitingReview)
                    .and_then(|e| serde_json::from_str::<crate::governance::Evidence>(e).ok())
                    .map(|e| e.reason),
                submitted_by: f.submitted_by,
                created_at: rfc3339(f.created_at),
            })
            .collect())
    }
}

#[derive(Serialize, ToSchema)]
pub struct AcquisitionView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub target_zone: String,
    pub classification: String,
    /// draft, pending_review, approved, rejected or closed. Files are
    /// accepted only while approved.
    pub state: String,
    pub owner_id: String,
    pub created_at: String,
    pub supplier: String,
    pub legal_basis: String,
    pub purpose: String,
    pub personal_data: bool,
    pub retention_days: Option<i64>,
    pub ethics_ref: String,
    /// The multiple counts must be rounded to, where required.
    pub rounding_base: Option<i64>,
    pub allow: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub schema: Option<Contract>,
}

impl From<airlock_catalog::Acquisition> for AcquisitionView {
    fn from(a: airlock_catalog::Acquisition) -> Self {
        Self {
            id: a.id,
            name: a.name,
            slug: a.slug,
            description: a.description,
            target_zone: a.target_zone.to_string(),
            classification: a.classification.to_string(),
            state: a.state.to_string(),
            owner_id: a.owner_id,
            created_at: rfc3339(a.created_at),
            supplier: a.supplier,
            legal_basis: a.legal_basis,
            purpose: a.purpose,
            personal_data: a.personal_data,
            retention_days: a.retention_days,
            ethics_ref: a.ethics_ref,
            rounding_base: a.rounding_base,
            allow: a.allow.names().into_iter().map(str::to_owned).collect(),
            sheet: a.sheet,
            // Stored by this API, so it parses; a corrupt row shows none.
            schema: a
                .declared_schema
                .as_deref()
                .and_then(|j| Contract::from_json(j).ok()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FileSummary {
    pub id: String,
    pub filename: String,
    /// api, tus, folder, bucket or sftp.
    pub channel: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub state: String,
    pub reason: Option<String>,
    /// What was wrong, for a rejected file: the offending line or member.
    pub error: Option<String>,
    /// Why policy held it for a reviewer, while it waits.
    pub held_because: Option<String>,
    pub submitted_by: String,
    pub created_at: String,
}
