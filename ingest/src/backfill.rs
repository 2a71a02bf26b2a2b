//! What a catalog from an earlier release lacks, made up at start:
//! Iceberg metadata for versions published before Airlock wrote it, so
//! that the REST catalog serves a lake's whole history, and search
//! documents for datasets published before search existed
//! ([`index_search`]).
//!
//! Key decision: a published version's files are never rewritten. For
//! each version the catalog records no Iceberg metadata for, the pass
//! reads the parts' footers (row counts; sizes from the listing), builds
//! the same three files publication writes ([`stages::iceberg_files`]) and
//! adds each only where none is (put-if-absent), then records the parts
//! count in the catalog, which is what makes the version a snapshot. A
//! version whose metadata is already in the lake (published by a release
//! that wrote it but did not record it) is only recorded. The files are a
//! pure function of the catalog and the parts, so a pass cut short and
//! run again, or run by two daemons at once, writes the same bytes.

use object_store::{ObjectStoreExt, PutMode, PutOptions};

use airlock_catalog::{CatalogStore, VersionWithoutIceberg};

use crate::lake::{Lake, Lakes};
use crate::{IngestError, parts, stages};

/// Versions read from the catalog at a time.
const PAGE: i64 = 100;

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Versions whose metadata was written, then recorded.
    pub written: u64,
    /// Versions whose metadata was in the lake already: recorded only.
    pub recorded: u64,
    /// Versions left as they are: no parts, or a column type Iceberg
    /// lacks.
    pub skipped: u64,
}

/// One pass over every published version without Iceberg metadata.
pub async fn backfill_iceberg(
    catalog: &dyn CatalogStore,
    lakes: &Lakes,
    actor: &str,
) -> Result<Summary, IngestError> {
    let mut summary = Summary::default();
    let mut after: Option<(String, i64)> = None;
    loop {
        let page = catalog
            .versions_without_iceberg(after.as_ref().map(|(d, v)| (d.as_str(), *v)), PAGE)
            .await?;
        let Some(last) = page.last() else {
            return Ok(summary);
        };
        after = Some((last.dataset_id.clone(), last.version));
        for v in &page {
            let lake = lakes.get(v.zone.as_str())?;
            match backfill_version(catalog, lake, v).await? {
                Outcome::Written(parts) | Outcome::Found(parts) if parts == 0 => {
                    summary.skipped += 1
                }
                Outcome::Written(parts) => {
                    catalog
                        .record_iceberg(&v.dataset_id, v.version, parts, actor)
                        .await?;
                    summary.written += 1;
                }
                Outcome::Found(parts) => {
                    catalog
                        .record_iceberg(&v.dataset_id, v.version, parts, actor)
                        .await?;
                    summary.recorded += 1;
                }
                Outcome::Unsupported => summary.skipped += 1,
            }
        }
    }
}

enum Outcome {
    /// Written now, for this many parts.
    Written(i64),
    /// In the lake already, for this many parts.
    Found(i64),
    /// A column type Iceberg lacks (logged).
    Unsupported,
}

async fn backfill_version(
    catalog: &dyn CatalogStore,
    lake: &Lake,
    v: &VersionWithoutIceberg,
) -> Result<Outcome, IngestError> {
    let found = parts::version_parts(lake, &v.dataset_name, v.version).await?;
    let count = found.len() as i64;
    let dir = Lake::version_prefix(&v.dataset_name, v.version);
    let [.., metadata] = airlock_iceberg::version_file_names(v.version);
    if lake.store.head(&Lake::join(&dir, &metadata)).await.is_ok() {
        return Ok(Outcome::Found(count));
    }
    let mut listed = Vec::with_capacity(found.len());
    for part in &found {
        let name = part.location.filename().unwrap_or_default().to_owned();
        listed.push((name, parts::part_rows(lake, part).await?, part.size as i64));
    }
    let columns = catalog
        .table_versions(&v.dataset_id)
        .await?
        .into_iter()
        .find(|t| t.version == v.version)
        .map(|t| t.columns)
        .unwrap_or_default();
    let table = airlock_iceberg::Table {
        uuid: &v.dataset_id,
        location: &lake.table_location(&v.dataset_name),
    };
    let files = stages::iceberg_files(
        table,
        v.version,
        v.created_at,
        &v.location,
        &columns,
        &listed,
    );
    if files.is_empty() {
        return Ok(Outcome::Unsupported);
    }
    for (path, bytes) in files {
        let create = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match lake
            .store
            .put_opts(&Lake::join(&dir, &path), bytes.into(), create)
            .await
        {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Outcome::Written(count))
}

/// Datasets indexed for search at a time.
const SEARCH_PAGE: i64 = 500;

/// Indexes every dataset that has no search document; returns how many.
pub async fn index_search(catalog: &dyn CatalogStore) -> Result<u64, IngestError> {
    let mut indexed = 0;
    loop {
        let done = catalog.index_unsearchable(SEARCH_PAGE).await?;
        indexed += done;
        if done == 0 {
            return Ok(indexed);
        }
    }
}
