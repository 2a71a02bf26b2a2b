//! The query layer: every read of the catalog that a person's interface
//! makes (the HTTP API's views, the web pages and the Iceberg catalog; the
//! CLI reads through the API) goes through here, so each read is
//! authorised and, where it reaches data, audited in one place.
//!
//! The key decision is that a view is assembled here, not in a handler:
//! a [`Reader`] holds the catalog, the policies and the zones (nothing
//! else of the daemon), and each function takes the caller's
//! [`Principal`](airlock_policies::Principal), asks the policies, reads
//! and returns a serialisable view. A dataset outside the caller's zones
//! is `NotFound`, never `Forbidden`, so its name does not leak.

mod access;
mod acquisitions;
mod audit;
mod data;
mod datasets;
mod evidence;
mod files;
mod iceberg;
mod lineage;
mod operations;
mod reviews;
mod transfers;
mod users;
mod versions;

pub use access::{LakeAccess, LakeReaderConfig};
pub use data::{DataFormat, VersionData};
pub use iceberg::LoadedTable;

pub use acquisitions::{AcquisitionView, FileSummary, ZoneView};
pub use audit::AuditView;
pub use datasets::{DatasetPage, DatasetSearch, DatasetSummary, DatasetView, FACET_SAMPLE, Facets};
pub use evidence::{PACK_FORMAT, digest};
pub use files::{FileAccepted, FileView, MemberView, OutputView, ReviewView, VerdictView};
pub use lineage::{SourceFile, VersionLineage};
pub use operations::{AuditCheck, EngineView};
pub use reviews::{
    AcquisitionReview, FileReview, HeldFileView, QueueKind, ReviewFilter, ReviewQueue, UserRef,
};
pub use transfers::{PartVerdictView, TransferView};
pub use users::UserView;
pub use versions::{ColumnView, LineageView, PiiView, SchemaChange, StatisticsView, VersionView};

use airlock_catalog::{Acquisition, CatalogStore};
use airlock_policies::Policies;
use airlock_zones::ZoneSet;

use crate::IngestError;

/// What the query layer reads with.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub catalog: &'a dyn CatalogStore,
    pub policies: &'a Policies,
    pub zones: &'a ZoneSet,
    /// The read access vended with Iceberg tables.
    pub access: &'a LakeAccess,
    /// The zones' lakes, which data is read back from.
    pub lakes: &'a crate::lake::Lakes,
    /// The scan engines, for their signature versions.
    pub scanner: &'a airlock_scanner::Scanner,
}

impl Reader<'_> {
    /// An acquisition that must exist.
    pub async fn acquisition_record(self, id: &str) -> Result<Acquisition, IngestError> {
        self.catalog
            .acquisition(id)
            .await?
            .ok_or_else(|| IngestError::NotFound(format!("acquisition {id}")))
    }
}

/// RFC 3339 time from Unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// The largest page of files or audit events.
pub const MAX_PAGE: i64 = 1000;
/// The largest page of search results.
pub const MAX_SEARCH_PAGE: i64 = 100;
/// The furthest a search may page: deeper pages cost more than they help.
pub const MAX_SEARCH_OFFSET: i64 = 1_000_000;

/// A page size a caller asked for: `default` if not given, otherwise 1 to
/// `max`, or `400 invalid_limit` (never silently clamped).
pub fn page_limit(asked: Option<i64>, default: i64, max: i64) -> Result<i64, IngestError> {
    match asked {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(IngestError::bad_request(
            "invalid_limit",
            format!("limit must be 1 to {max}, not {n}"),
        )),
    }
}

/// A position in a listing: 0 to `max`, or `400 invalid_offset`.
pub fn page_offset(asked: Option<i64>, max: i64) -> Result<i64, IngestError> {
    match asked.unwrap_or(0) {
        n if (0..=max).contains(&n) => Ok(n),
        n => Err(IngestError::bad_request(
            "invalid_offset",
            format!("offset must be 0 to {max}, not {n}"),
        )),
    }
}
