//! The stages every copy of data goes through on its way into a lake,
//! whether it was delivered (the [`pipeline`](crate::pipeline)) or is a
//! published version moving to another zone (a
//! [`transfer`](crate::transfer)): scan, convert, decide, commit.
//!
//! The key decision is that the two paths share these functions and
//! differ only in what they record: a delivered file's verdicts go to its
//! file row, a transfer's to the transfer, each in the catalog before the
//! verdict decides anything. So no object reaches a lake without clean
//! verdicts recorded, whichever way it came, and a control added here
//! applies to both.

use std::path::PathBuf;

use object_store::path::Path;

use airlock_catalog::{
    ColumnInfo, FileRecord, MemberRecord, NewVerdict, PublishedVersion, Reservation, ScanRecord,
};
use airlock_convert::{ConvertError, ConvertOptions, Converted, Source, to_parquet};
use airlock_policies::{CheckedFile, FileOutcome, Policies, Principal};
use airlock_scanner::{Allowances, Decision, ScanContext, ScanReport, Scanner};

use crate::config::{Config, PipelineConfig};
use crate::lake::Lake;
use crate::{IngestError, now_ms};

/// What every engine made of one stream of bytes.
pub struct Scanned {
    pub report: ScanReport,
    /// Every verdict on every stream, and the members, as the catalog
    /// stores them.
    pub record: ScanRecord,
    pub verdict: Verdict,
}

/// The quorum's verdict on a scan, with a readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// A finding: the copy is refused.
    Infected(String),
    /// An engine could not answer: retried later, never passed.
    Unavailable(String),
}

/// The scan stage: every engine reads the bytes at `path` at once.
pub async fn scan(
    scanner: &Scanner,
    ctx: &ScanContext,
    path: &std::path::Path,
) -> Result<Scanned, IngestError> {
    let bytes = tokio::fs::File::open(path).await?;
    let report = scanner.scan(ctx, bytes).await;
    let verdict = match scanner.decision(&report) {
        Decision::Clean => Verdict::Clean,
        Decision::Infected(found) => Verdict::Infected(format!("infected: {}", first_of(&found))),
        Decision::Unavailable(why) => Verdict::Unavailable(format!(
            "held until every engine can scan: {}",
            first_of(&why)
        )),
    };
    let record = scan_record(&report, now_ms());
    Ok(Scanned {
        report,
        record,
        verdict,
    })
}

/// What scanning a delivered file knows of it: its name, the format its
/// supplier declared and what its acquisition allows.
pub fn delivery_context(file: &FileRecord, allow: Allowances) -> ScanContext {
    ScanContext {
        filename: file.filename.clone(),
        declared_format: file.declared_format.clone(),
        allow,
    }
}

/// Every verdict on every stream of a scan, and its members, as the catalog
/// stores them.
pub fn scan_record(report: &ScanReport, now: i64) -> ScanRecord {
    let verdicts = report
        .streams()
        .flat_map(|(member, reports)| {
            reports.iter().map(move |r| NewVerdict {
                member: member.to_owned(),
                engine: r.engine.clone(),
                verdict: r.verdict.kind().to_owned(),
                detail: r.verdict.detail().map(str::to_owned),
                engine_version: r.engine_version.clone(),
                db_version: r.db_version.clone(),
                scanned_at: now,
            })
        })
        .collect();
    let members = report
        .members
        .iter()
        .map(|m| MemberRecord {
            path: m.path.clone(),
            size_bytes: m.size_bytes as i64,
            sha256: m.sha256.clone(),
        })
        .collect();
    ScanRecord { verdicts, members }
}

/// One table to convert: the sheet of a workbook (`None`: the only
/// table) and the staging prefix its parts go to.
pub struct Table {
    pub sheet: Option<String>,
    pub staging: Path,
}

/// The convert stage: each table of the file at `src` into its staging in
/// `lake`, re-encoded as Parquet. A failure leaves nothing staged under
/// `owner` (the file's or transfer's id), and names the sheet of a
/// workbook of several.
pub async fn convert(
    src: PathBuf,
    source: Source,
    lake: &Lake,
    owner: &str,
    tables: &[Table],
    opts: &ConvertOptions,
) -> Result<Vec<Converted>, IngestError> {
    let mut converted = Vec::with_capacity(tables.len());
    for table in tables {
        let opts = ConvertOptions {
            sheet: table.sheet.clone(),
            ..opts.clone()
        };
        let done = to_parquet(
            src.clone(),
            source,
            lake.store.clone(),
            table.staging.clone(),
            &opts,
        )
        .await;
        match done {
            Ok(c) => converted.push(c),
            Err(e) => {
                if let Err(clear) = lake.clear_staging(owner).await {
                    tracing::warn!(owner, error = %clear, "staging not cleared");
                }
                return Err(match (e, &table.sheet, tables.len()) {
                    (ConvertError::Invalid(msg), Some(sheet), 2..) => {
                        IngestError::InvalidInput(format!("sheet {sheet:?}: {msg}"))
                    }
                    (other, ..) => other.into(),
                });
            }
        }
    }
    Ok(converted)
}

/// The decide stage's answer.
pub enum Decided {
    /// Publish, on these policies' word (or `reviewer:<id>`'s release).
    Publish(Vec<String>),
    /// No policy lets it publish without a reviewer, and none has released it.
    Review(Vec<String>),
    /// Refused, with the forbidding policy's reason.
    Reject {
        reason: String,
        policies: Vec<String>,
    },
}

/// The decide stage: the policies on what the checks found, for the
/// `requester` whose data it is. A reviewer's release stands for the
/// review the policies ask for.
pub fn decide(
    policies: &Policies,
    requester: &Principal,
    checked: CheckedFile<'_>,
    released_by: Option<&str>,
) -> Result<Decided, IngestError> {
    Ok(
        match (policies.decide_file(requester, checked)?, released_by) {
            (FileOutcome::Publish { policies }, _) => Decided::Publish(policies),
            (FileOutcome::Review { .. }, Some(reviewer)) => {
                Decided::Publish(vec![format!("reviewer:{reviewer}")])
            }
            (FileOutcome::Review { policies }, None) => Decided::Review(policies),
            (FileOutcome::Reject { reason, policies }, _) => Decided::Reject { reason, policies },
        },
    )
}

/// One version to commit: its reservation and the staged conversions
/// that make it up, in order.
pub struct Staged<'a> {
    pub reserved: &'a Reservation,
    pub parts: Vec<(Path, &'a Converted)>,
}

/// The commit stage: each version's staged parts move into place in the
/// lake; the returned versions are what the catalog then publishes in one
/// transaction, the commit point.
pub async fn commit(
    lake: &Lake,
    versions: &[Staged<'_>],
    decided_by: &[String],
) -> Result<Vec<PublishedVersion>, IngestError> {
    let mut published = Vec::with_capacity(versions.len());
    for v in versions {
        let Some((_, first)) = v.parts.first() else {
            return Err(IngestError::InvalidInput("nothing was converted".into()));
        };
        let staged: Vec<(Path, &[airlock_convert::write::Part])> = v
            .parts
            .iter()
            .map(|(staging, c)| (staging.clone(), c.parts.as_slice()))
            .collect();
        let r = v.reserved;
        let location = lake.location(&r.dataset_name, r.version);
        let now = now_ms();
        let table = airlock_iceberg::Table {
            uuid: &r.dataset_id,
            location: &lake.table_location(&r.dataset_name),
        };
        let parts = Lake::committed_parts(&staged);
        let iceberg = iceberg_files(table, r.version, now, &location, &first.columns, &parts);
        lake.commit(&staged, &r.dataset_name, r.version, &iceberg)
            .await?;
        published.push(PublishedVersion {
            dataset_id: r.dataset_id.clone(),
            version: r.version,
            location,
            rows: v.parts.iter().map(|(_, c)| c.rows).sum(),
            size_bytes: v.parts.iter().map(|(_, c)| c.size_bytes).sum(),
            columns: first.columns.clone(),
            iceberg_parts: (!iceberg.is_empty()).then_some(parts.len() as i64),
            now,
            decided_by: decided_by.to_vec(),
        });
    }
    Ok(published)
}

/// A version's Iceberg metadata ([`airlock_iceberg::version_files`]), or
/// none, logged, for columns Iceberg has no type for: the version still
/// publishes, but no Iceberg reader can find it.
pub fn iceberg_files(
    table: airlock_iceberg::Table<'_>,
    number: i64,
    now: i64,
    location: &str,
    columns: &[ColumnInfo],
    parts: &[(String, i64, i64)],
) -> Vec<(String, Vec<u8>)> {
    let version = airlock_iceberg::Version {
        table,
        number,
        timestamp_ms: now,
        location,
        columns: iceberg_columns(columns),
        parts,
    };
    airlock_iceberg::version_files(&version)
        .inspect_err(
            |e| tracing::warn!(location, error = %e, "no Iceberg metadata for this version"),
        )
        .unwrap_or_default()
}

/// The catalog's columns as Iceberg's schemas read them.
pub fn iceberg_columns(columns: &[ColumnInfo]) -> Vec<airlock_iceberg::Column<'_>> {
    columns
        .iter()
        .map(|c| airlock_iceberg::Column {
            name: &c.name,
            data_type: &c.data_type,
            nullable: c.nullable.0,
        })
        .collect()
}

/// The converter's settings from the configuration (no contract, no
/// sheet).
pub fn convert_options(config: &Config) -> ConvertOptions {
    let p = &config.pipeline;
    ConvertOptions {
        batch_rows: p.batch_rows,
        row_group_rows: p.row_group_rows,
        row_group_bytes: p.row_group_bytes,
        part_bytes: p.part_bytes,
        threads: p.threads(),
        chunk_bytes: airlock_convert::frame::CHUNK_BYTES,
        sample_bytes: p.infer_sample_bytes,
        sheet: None,
        max_record_bytes: config.limits.max_record_bytes,
        max_columns: config.limits.max_columns,
        contract: None,
        zstd_level: p.zstd_level,
    }
}

/// Exponential backoff from `retry_initial_secs`, capped at `retry_max_secs`.
pub fn backoff_ms(p: &PipelineConfig, attempts: i64) -> i64 {
    let secs = p
        .retry_initial_secs
        .saturating_mul(1u64 << attempts.clamp(0, 20))
        .min(p.retry_max_secs);
    (secs * 1000) as i64
}

/// The first few of `items`, joined, and how many more there are: a file
/// of many members keeps a readable reason (every verdict is stored).
pub fn first_of(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = items[..items.len().min(SHOWN)].join("; ");
    if items.len() > SHOWN {
        text.push_str(&format!("; and {} more", items.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_show_the_first_ten_and_count_the_rest() {
        let items: Vec<String> = (0..13).map(|i| format!("m{i}")).collect();
        assert_eq!(
            first_of(&items),
            "m0; m1; m2; m3; m4; m5; m6; m7; m8; m9; and 3 more"
        );
        assert_eq!(first_of(&items[..2]), "m0; m1");
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let p = PipelineConfig {
            retry_initial_secs: 5,
            retry_max_secs: 60,
            ..PipelineConfig::default()
        };
        let waits: Vec<i64> = (0..6).map(|n| backoff_ms(&p, n)).collect();
        assert_eq!(waits, [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
    }
}
