//! The reviewers' queue: held files with their evidence, acquisitions
//! pending review and transfers waiting for a release; and what a
//! reviewer sees of one acquisition or file before deciding, with whether
//! they may decide it and, if not, why (four eyes, their role).

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::{AcquisitionState, ReviewSubject};
use airlock_policies::{Action, Principal, Role};

use super::{AcquisitionView, FileView, Reader, ReviewView, TransferView, VerdictView, rfc3339};
use crate::governance::Evidence;
use crate::{IngestError, now_ms};

/// Which of the queue a reviewer wants to see.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// Only what targets this zone.
    pub zone: Option<String>,
    /// Only this kind: `files`, `acquisitions` or `transfers`.
    pub kind: Option<QueueKind>,
    /// Only what has waited at least this long.
    pub min_age_hours: Option<u32>,
}

/// The three things a reviewer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueKind {
    Files,
    Acquisitions,
    Transfers,
}

/// An acquisition as a reviewer judges it.
#[derive(Serialize)]
pub struct AcquisitionReview {
    pub acquisition: AcquisitionView,
    pub owner: UserRef,
    pub reviews: Vec<ReviewView>,
    /// Why the caller may not decide it now; `None` when they may.
    pub cannot_decide: Option<String>,
}

/// A delivered file as a reviewer judges it.
#[derive(Serialize)]
pub struct FileReview {
    pub file: FileView,
    pub acquisition: AcquisitionView,
    pub submitted_by: UserRef,
    /// Why the caller may not decide it now; `None` when they may.
    pub cannot_decide: Option<String>,
}

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

impl Reader<'_> {
    /// The queue narrowed to a zone, a kind and a least age.
    pub async fn filtered_review_queue(
        self,
        who: &Principal,
        filter: &ReviewFilter,
    ) -> Result<ReviewQueue, IngestError> {
        if let Some(zone) = &filter.zone {
            self.zones.get(zone)?;
        }
        let mut queue = self.review_queue(who).await?;
        let zone_fits = |z: &str| filter.zone.as_deref().is_none_or(|f| f == z);
        let kind_fits = |k: QueueKind| filter.kind.is_none_or(|f| f == k);
        let cutoff = filter
            .min_age_hours
            .map(|h| rfc3339(now_ms() - i64::from(h) * 3_600_000));
        // RFC 3339 in UTC with milliseconds sorts as it reads.
        let old_enough = |at: &str| cutoff.as_deref().is_none_or(|c| at <= c);
        queue.files.retain(|f| {
            kind_fits(QueueKind::Files)
                && zone_fits(&f.acquisition.target_zone)
                && old_enough(&f.held_at)
        });
        queue.acquisitions.retain(|a| {
            kind_fits(QueueKind::Acquisitions)
                && zone_fits(&a.target_zone)
                && old_enough(&a.created_at)
        });
        queue.transfers.retain(|t| {
            kind_fits(QueueKind::Transfers) && zone_fits(&t.to_zone) && old_enough(&t.created_at)
        });
        Ok(queue)
    }

    /// An acquisition with its reviews, and whether the caller may decide
    /// it.
    pub async fn acquisition_review(
        self,
        who: &Principal,
        id: &str,
    ) -> Result<AcquisitionReview, IngestError> {
        let acquisition = self.acquisition(who, id).await?;
        let owner = self.user_ref(&acquisition.owner_id).await?;
        let cannot_decide = if acquisition.state != AcquisitionState::PendingReview.to_string() {
            Some(format!(
                "It is {}: only an acquisition pending review is decided.",
                acquisition.state.replace('_', " ")
            ))
        } else {
            let action = Action::ReviewAcquisition {
                owner_id: &acquisition.owner_id,
            };
            self.why_not(
                who,
                action,
                &acquisition.owner_id,
                "registered this acquisition",
            )
        };
        let reviews = self.review_views(ReviewSubject::Acquisition, id).await?;
        Ok(AcquisitionReview {
            acquisition,
            owner,
            reviews,
            cannot_decide,
        })
    }

    /// A delivered file with its acquisition, and whether the caller may
    /// release or reject it.
    pub async fn file_review(self, who: &Principal, id: &str) -> Result<FileReview, IngestError> {
        let file = self.file(who, id).await?;
        let record = self.acquisition_record(&file.acquisition_id).await?;
        let submitter = self
            .catalog
            .file(id)
            .await?
            .map(|f| f.submitted_by)
            .unwrap_or_default();
        let submitted_by = self.user_ref(&submitter).await?;
        let waiting = airlock_catalog::FileState::AwaitingReview.to_string();
        let cannot_decide = if file.state != waiting {
            Some(format!(
                "It is {}: only a file that policy held for review waits for a reviewer.",
                file.state.replace('_', " ")
            ))
        } else {
            let action = Action::ReviewFile {
                submitter_id: &submitter,
            };
            self.why_not(who, action, &submitter, "delivered this file")
        };
        Ok(FileReview {
            file,
            acquisition: record.into(),
            submitted_by,
            cannot_decide,
        })
    }

    /// Why `who` may not take `action` on something `owner_id` made, in
    /// words for the page; `None` when they may.
    fn why_not(
        self,
        who: &Principal,
        action: Action<'_>,
        owner_id: &str,
        made_it: &str,
    ) -> Option<String> {
        let refusal = self.policies.authorize(who, action).err()?;
        Some(if who.user_id == owner_id {
            format!(
                "Four eyes: you {made_it}, so another reviewer must decide it. \
                 Nobody approves their own work."
            )
        } else if who.role != Role::Reviewer {
            format!("Only reviewers decide; you are signed in as {}.", who.role)
        } else {
            refusal.to_string()
        })
    }

    async fn user_ref(self, id: &str) -> Result<UserRef, IngestError> {
        let name = self.catalog.user(id).await?.map(|u| u.name);
        Ok(UserRef {
            id: id.to_owned(),
            name: name.unwrap_or_default(),
        })
    }

    pub(super) async fn review_views(
        self,
        kind: ReviewSubject,
        id: &str,
    ) -> Result<Vec<ReviewView>, IngestError> {
        Ok(self
            .catalog
            .reviews(kind, id)
            .await?
            .into_iter()
            .map(|r| ReviewView {
                reviewer_id: r.reviewer_id,
                decision: r.decision.to_string(),
                reason: r.reason,
                at: rfc3339(r.created_at),
            })
            .collect())
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
