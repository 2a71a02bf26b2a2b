//! A delivered file: its state, every engine's verdict on it and on each
//! archive member, what it became, and its reviews.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::{FileRecord, ReviewSubject};
use airlock_policies::{Action, Principal};

use super::{Reader, rfc3339};
use crate::IngestError;
use crate::governance::Evidence;

impl Reader<'_> {
    /// A delivered file, for its submitter, reviewers and admins.
    pub async fn file(self, who: &Principal, id: &str) -> Result<FileView, IngestError> {
        let f: FileRecord = self
            .catalog
            .file(id)
            .await?
            .ok_or_else(|| IngestError::NotFound(format!("file {id}")))?;
        self.policies.authorize(
            who,
            Action::ViewFile {
                submitter_id: &f.submitted_by,
            },
        )?;
        let mut by_member: HashMap<String, Vec<VerdictView>> = HashMap::new();
        for v in self.catalog.verdicts(&f.id).await? {
            let member = v.member.clone();
            let mut view = VerdictView::from(v);
            view.member.clear();
            by_member.entry(member).or_default().push(view);
        }
        let verdicts = by_member.remove("").unwrap_or_default();
        let members = self
            .catalog
            .members(&f.id)
            .await?
            .into_iter()
            .map(|m| MemberView {
                verdicts: by_member.remove(&m.path).unwrap_or_default(),
                path: m.path,
                size_bytes: m.size_bytes,
                sha256: m.sha256,
            })
            .collect();
        let datasets = self
            .catalog
            .file_outputs(&f.id)
            .await?
            .into_iter()
            .map(|r| OutputView {
                dataset_id: r.dataset_id,
                name: r.dataset_name,
                version: r.version,
            })
            .collect();
        Ok(FileView {
            id: f.id,
            acquisition_id: f.acquisition_id,
            filename: f.filename,
            sha256: f.sha256,
            size_bytes: f.size_bytes,
            channel: f.channel.to_string(),
            declared_format: f.declared_format,
            state: f.state.to_string(),
            reason: f.reason,
            error: f.error,
            verdicts,
            members,
            dataset_id: f.dataset_id,
            version: f.version,
            datasets,
            attempts: f.attempts,
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(f.updated_at),
            evidence: f
                .evidence
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok()),
            reviews: self.review_views(ReviewSubject::File, id).await?,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct FileAccepted {
    pub id: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub state: String,
}

impl From<FileRecord> for FileAccepted {
    fn from(f: FileRecord) -> Self {
        Self {
            id: f.id,
            sha256: f.sha256,
            size_bytes: f.size_bytes,
            state: f.state.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct VerdictView {
    /// The archive member it is about; absent for the file itself.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub member: String,
    pub engine: String,
    /// clean, infected, over_limit, error or timeout.
    pub verdict: String,
    pub detail: Option<String>,
    pub engine_version: String,
    pub db_version: Option<String>,
    pub scanned_at: String,
}

impl From<airlock_catalog::VerdictRecord> for VerdictView {
    fn from(v: airlock_catalog::VerdictRecord) -> Self {
        Self {
            member: v.member,
            engine: v.engine,
            verdict: v.verdict,
            detail: v.detail,
            engine_version: v.engine_version,
            db_version: v.db_version,
            scanned_at: rfc3339(v.scanned_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FileView {
    pub id: String,
    pub acquisition_id: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub channel: String,
    /// The format the supplier declared, if any.
    pub declared_format: Option<String>,
    /// received, scanning, checking, converting, awaiting_review,
    /// published, rejected or held.
    pub state: String,
    /// Why it was rejected: infected, policy, invalid, contract (it breaks the declared schema) or reviewer.
    pub reason: Option<String>,
    pub error: Option<String>,
    /// Every engine's verdict on the file itself.
    pub verdicts: Vec<VerdictView>,
    /// Every member of an archive, at any depth, with every engine's
    /// verdict on it.
    pub members: Vec<MemberView>,
    /// The dataset version it became (the first, for a workbook of
    /// several sheets)…
    pub dataset_id: Option<String>,
    pub version: Option<i64>,
    /// …and every published version it became: one per sheet of a
    /// workbook.
    pub datasets: Vec<OutputView>,
    pub attempts: i64,
    pub created_at: String,
    pub updated_at: String,
    /// What the checks found, when policy held the file for review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The reviews of the file: who decided, what and why.
    pub reviews: Vec<ReviewView>,
}

#[derive(Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub reviewer_id: String,
    /// approve or reject.
    pub decision: String,
    pub reason: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct OutputView {
    pub dataset_id: String,
    pub name: String,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    /// The member's path; `inner.zip!/x.csv` for a member of a member.
    pub path: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub verdicts: Vec<VerdictView>,
}
