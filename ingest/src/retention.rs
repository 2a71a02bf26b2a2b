//! The retention job: dataset versions older than their acquisition's
//! `retention_days` are deleted from the lake and marked deleted in the
//! catalog, with proof of deletion in the audit log.
//!
//! Each version goes in two catalog steps around the lake deletion. First
//! every object is listed and hashed and the version turns `deleting`, its
//! proof (keys, sizes, SHA-256s, times) audited before a byte goes and the
//! version gone from the catalog's views. Then the objects are deleted, the
//! lake is listed again to show none is left, and the version turns
//! `deleted`. A pass cut short anywhere is finished by the next one: a
//! `deleting` version is picked up again and its deletion completed.

use serde_json::json;

use airlock_catalog::{CatalogStore, VersionState};

use crate::lake::Lakes;
use crate::{IngestError, now_ms};

/// The actor retention is audited as.
const ACTOR: &str = "system:retention";

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub deleted: u64,
    /// Versions whose deletion failed (a lake down); tried again next pass.
    pub failed: u64,
}

/// Deletes every version past its retention by `now`, and finishes
/// deletions an earlier pass began.
pub async fn retention_once(
    catalog: &dyn CatalogStore,
    lakes: &Lakes,
    now: i64,
) -> Result<Summary, IngestError> {
    let mut summary = Summary::default();
    let mut failed = std::collections::HashSet::new();
    loop {
        let due = catalog.expired_versions(now, 100).await?;
        let due: Vec<_> = due
            .into_iter()
            .filter(|v| !failed.contains(&(v.dataset_id.clone(), v.version)))
            .collect();
        if due.is_empty() {
            return Ok(summary);
        }
        for v in due {
            match delete(catalog, lakes, &v).await {
                Ok(()) => summary.deleted += 1,
                Err(e) => {
                    tracing::warn!(dataset = %v.dataset_name, version = v.version, error = %e,
                        "retention: deletion failed; the next pass retries");
                    summary.failed += 1;
                    failed.insert((v.dataset_id.clone(), v.version));
                }
            }
        }
    }
}

async fn delete(
    catalog: &dyn CatalogStore,
    lakes: &Lakes,
    v: &airlock_catalog::ExpiredVersion,
) -> Result<(), IngestError> {
    let lake = lakes.get(v.zone.as_str())?;
    if v.state == VersionState::Published {
        let objects = lake.inventory(&v.dataset_name, v.version).await?;
        let proof = json!({
            "dataset": v.dataset_name, "version": v.version, "zone": v.zone,
            "location": v.location, "published_at": v.published_at,
            "retention_days": v.retention_days, "objects": objects,
        });
        catalog
            .begin_deletion(&v.dataset_id, v.version, ACTOR, proof)
            .await?;
    }
    lake.delete_version(&v.dataset_name, v.version).await?;
    let detail = json!({"location": v.location, "deleted_at": now_ms(), "objects_left": 0});
    catalog
        .finish_deletion(&v.dataset_id, v.version, ACTOR, detail)
        .await?;
    Ok(())
}
