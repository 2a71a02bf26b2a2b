//! The rescan job: when an engine's signature database changes, the sources
//! of recently published datasets are scanned again, and a version whose
//! source is now flagged is marked tainted in the catalog, with an audit
//! event.
//!
//! Files not yet published need no job: they are scanned with the databases
//! in force when their scan step runs, and a held file is scanned afresh on
//! every retry. A rescan that cannot get a verdict (an engine down) records
//! nothing, so the next run tries again. Several daemons sharing a catalog
//! may rescan the same file; the taint is set once.

use std::collections::HashMap;

use airlock_catalog::CatalogStore;
use airlock_scanner::Scanner;

use crate::quarantine::Quarantine;
use crate::stages::{self, Verdict};
use crate::{IngestError, governance, now_ms};

/// The actor rescans are audited as.
const ACTOR: &str = "system:rescan";

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Candidates whose verdicts were already current.
    pub current: u64,
    pub rescanned: u64,
    pub tainted: u64,
    /// Rescans that got no verdict; tried again next run.
    pub unavailable: u64,
}

/// One pass over the sources of versions published within the last
/// `published_within_days` whose recorded signature versions differ from
/// `scanner`'s today.
pub async fn rescan_once(
    catalog: &dyn CatalogStore,
    scanner: &Scanner,
    quarantine: &Quarantine,
    published_within_days: u64,
) -> Result<Summary, IngestError> {
    let current: Vec<(&str, String)> = scanner
        .db_versions()
        .await
        .into_iter()
        .filter_map(|(engine, db)| db.map(|db| (engine, db)))
        .collect();
    let window_ms = published_within_days as i64 * 86_400_000;
    let since = now_ms() - window_ms;
    let mut summary = Summary::default();
    let mut after = String::new();
    loop {
        let page = catalog.rescan_candidates(since, &after, 100).await?;
        let Some(last) = page.last() else {
            return Ok(summary);
        };
        after = last.file_id.clone();
        let mut previous = String::new();
        for c in page {
            // A workbook's sheets are several versions of one source file,
            // which is scanned (and its versions tainted) once.
            if c.file_id == previous {
                continue;
            }
            previous = c.file_id.clone();
            let recorded: HashMap<String, Option<String>> = catalog
                .verdicts(&c.file_id)
                .await?
                .into_iter()
                .filter(|v| v.member.is_empty())
                .map(|v| (v.engine, v.db_version))
                .collect();
            let stale = current
                .iter()
                .any(|(engine, db)| recorded.get(*engine) != Some(&Some(db.clone())));
            if !stale {
                summary.current += 1;
                continue;
            }
            let Some(file) = catalog.file(&c.file_id).await? else {
                continue;
            };
            let acq = governance::acquisition(catalog, &file.acquisition_id).await?;
            let ctx = stages::delivery_context(&file, acq.allow);
            let scanned = stages::scan(scanner, &ctx, &quarantine.path(&file.id)).await?;
            let taint = if scanned.report.sha256 != file.sha256 {
                Some(format!(
                    "quarantine integrity: the source now hashes to {}, not {}",
                    scanned.report.sha256, file.sha256
                ))
            } else {
                match scanned.verdict {
                    Verdict::Clean => None,
                    Verdict::Infected(found) => Some(found),
                    Verdict::Unavailable(why) => {
                        tracing::info!(file = %file.id, why, "rescan got no verdict; next run retries");
                        summary.unavailable += 1;
                        continue;
                    }
                }
            };
            catalog
                .record_rescan(&file.id, ACTOR, &scanned.record, taint.as_deref())
                .await?;
            summary.rescanned += 1;
            if let Some(reason) = taint {
                tracing::warn!(file = %file.id, dataset = %c.dataset_id, version = c.version, reason, "published source flagged: version tainted");
                summary.tainted += 1;
            }
        }
    }
}
