//! A dataset's lineage as people read it: for each published version, the
//! delivered file it came from (its hash), every engine's verdict on it,
//! and the reviews that let it through.
//!
//! The key decision is that lineage belongs to the dataset: whoever may
//! view the dataset sees these facts (hashes, verdicts, decisions, never a
//! value or a quarantined byte), even an analyst who may not open the
//! delivered file's own page. A version a transfer made points to the
//! version it copied instead.

use serde::Serialize;

use airlock_catalog::ReviewSubject;
use airlock_policies::Principal;

use super::{LineageView, Reader, ReviewView, VerdictView, rfc3339};
use crate::IngestError;

/// Where one published version came from.
#[derive(Serialize)]
pub struct VersionLineage {
    pub version: i64,
    pub published_at: String,
    /// The delivered file it was converted from; absent for a copy a
    /// transfer made.
    pub source: Option<SourceFile>,
    pub transferred_from: Option<LineageView>,
    /// The reviews of the acquisition that allowed the delivery.
    pub acquisition_reviews: Vec<ReviewView>,
}

#[derive(Serialize)]
pub struct SourceFile {
    pub file_id: String,
    pub filename: String,
    pub sha256: String,
    pub received_at: String,
    /// Every engine's verdict on the file itself.
    pub verdicts: Vec<VerdictView>,
    /// The reviews of the file, where policy held it.
    pub reviews: Vec<ReviewView>,
}

/// The most versions whose lineage one view traces (the newest).
pub const MAX_LINEAGE_VERSIONS: usize = 100;

impl Reader<'_> {
    /// Each published version's lineage, oldest first: of the newest
    /// [`MAX_LINEAGE_VERSIONS`], so one view's reads stay bounded.
    pub async fn lineage(
        self,
        who: &Principal,
        id: &str,
    ) -> Result<Vec<VersionLineage>, IngestError> {
        let d = self.visible_dataset(who, id).await?;
        let acquisition_reviews = self
            .review_views(ReviewSubject::Acquisition, &d.dataset.acquisition_id)
            .await?;
        let skip = d.versions.len().saturating_sub(MAX_LINEAGE_VERSIONS);
        let mut out = Vec::with_capacity(d.versions.len() - skip);
        for v in d.versions.into_iter().skip(skip) {
            let v = v.info;
            let transferred_from = LineageView::of(&v);
            let source = match (
                &transferred_from,
                self.catalog.file(&v.source_file_id).await?,
            ) {
                (None, Some(f)) => Some(SourceFile {
                    verdicts: self
                        .catalog
                        .verdicts(&f.id)
                        .await?
                        .into_iter()
                        .filter(|v| v.member.is_empty())
                        .map(VerdictView::from)
                        .collect(),
                    reviews: self.review_views(ReviewSubject::File, &f.id).await?,
                    file_id: f.id,
                    filename: f.filename,
                    sha256: f.sha256,
                    received_at: rfc3339(f.created_at),
                }),
                _ => None,
            };
            out.push(VersionLineage {
                version: v.version,
                published_at: rfc3339(v.created_at),
                source,
                transferred_from,
                acquisition_reviews: acquisition_reviews.clone(),
            });
        }
        Ok(out)
    }
}
