//! Pipeline workers: claim a file from the catalog, move it on step by step,
//! each step one catalog transaction, until it is published, rejected or
//! held.
//!
//! - `received | held → scanning → checking | rejected | held`: every engine
//!   reads the quarantined bytes at once; the bytes are re-hashed on the way
//!   and must match the acknowledged SHA-256.
//! - `checking → converting → published | rejected`: the acquisition and zone
//!   rules are checked, a dataset version is reserved, the Parquet is staged
//!   in the lake, renamed into place and the catalog row committed.
//!
//! A step that fails for a transient reason (lake or catalog unavailable)
//! keeps the file's state and retries it later with backoff. Bad input is
//! rejected with its reason. Nothing is ever passed on without its verdicts.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use airlock_catalog::{
    AcquisitionState, CatalogError, Dataset, FileRecord, FileState, MemberRecord, NewVerdict,
    PublishedVersion, RejectReason, ScanOutcome, ScanRecord,
};
use airlock_policies::{CheckedFile, FileOutcome};
use airlock_scanner::{Allowances, Decision, ScanContext, ScanReport};
use airlock_zones::Classification;

use crate::governance;
use crate::lake::Lake;
use crate::names::{FileName, slug};
use crate::{App, IngestError, now_ms};
use airlock_convert::{ConvertError, ConvertOptions, Converted, Source, to_parquet};

/// Runs the configured number of workers until `stop` is cancelled, then
/// releases this daemon's leases so another daemon (or the next start) can
/// resume at once.
pub async fn run(app: Arc<App>, stop: CancellationToken) {
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..app.config.pipeline.workers.max(1) {
        workers.spawn(worker(app.clone(), stop.clone()));
    }
    while workers.join_next().await.is_some() {}
    if let Err(e) = app.catalog.release_leases(&app.node_id).await {
        tracing::warn!(error = %e, "could not release leases at shutdown; they will expire");
    }
}

async fn worker(app: Arc<App>, stop: CancellationToken) {
    let poll = Duration::from_millis(app.config.pipeline.poll_interval_ms);
    let lease_ms = (app.config.pipeline.lease_secs * 1000) as i64;
    while !stop.is_cancelled() {
        let now = now_ms();
        match app
            .catalog
            .claim_next(&app.node_id, now, now + lease_ms)
            .await
        {
            Ok(Some(file)) => {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = process_leased(&app, file) => {}
                }
            }
            Ok(None) => {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = app.wake.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming work failed");
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(poll) => {}
                }
            }
        }
    }
}

/// Processes a claimed file while renewing its lease; stops if the lease is
/// lost to another worker.
async fn process_leased(app: &App, file: FileRecord) {
    let lease_ms = (app.config.pipeline.lease_secs * 1000) as i64;
    let every = Duration::from_millis((lease_ms / 3).max(100) as u64);
    let id = file.id.clone();
    let heartbeat = async {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = app
                .catalog
                .renew_lease(&id, &app.node_id, now_ms() + lease_ms)
                .await
            {
                tracing::warn!(file = %id, error = %e, "lease renewal failed; stopping work on the file");
                return;
            }
        }
    };
    tokio::select! {
        _ = process(app, file) => {}
        _ = heartbeat => {}
    }
}

/// Moves one file on until it needs nothing more from this worker now.
pub async fn process(app: &App, mut file: FileRecord) {
    loop {
        let step = match file.state {
            FileState::Received | FileState::Held | FileState::Scanning => scan(app, &file).await,
            FileState::Checking | FileState::Converting => check_and_publish(app, &file).await,
            FileState::Published | FileState::Rejected | FileState::AwaitingReview => return,
        };
        match step {
            Ok(next) => {
                tracing::info!(file = %next.id, state = %next.state, reason = ?next.reason, "file moved on");
                if next.state.is_final()
                    || matches!(next.state, FileState::Held | FileState::AwaitingReview)
                {
                    return;
                }
                file = next;
            }
            Err(e) => {
                fail(app, &file, e).await;
                return;
            }
        }
    }
}

/// Records a failed step: bad input is rejected; a lost lease is left to
/// its new owner; anything else is retried later with backoff.
async fn fail(app: &App, file: &FileRecord, err: IngestError) {
    let result = match err {
        IngestError::InvalidInput(message) => {
            if let Ok(lake) = zone_lake(app, file).await {
                let _ = lake.clear_staging(&file.id).await;
            }
            app.catalog
                .reject(&file.id, &app.node_id, RejectReason::Invalid, &message)
                .await
                .map(|_| ())
        }
        IngestError::Catalog(CatalogError::LeaseLost(_)) => {
            tracing::info!(file = %file.id, "lease lost; another worker owns the file");
            Ok(())
        }
        other => {
            let retry_at = now_ms() + backoff_ms(app, file.attempts);
            tracing::warn!(file = %file.id, state = %file.state, error = %other, "step failed; will retry");
            app.catalog
                .retry_later(&file.id, &app.node_id, &other.to_string(), retry_at)
                .await
        }
    };
    if let Err(e) = result {
        tracing::error!(file = %file.id, error = %e, "could not record the failed step; the lease will expire and the step be retried");
    }
}

/// The converter's settings from the configuration (no contract, no
/// sheet).
pub fn convert_options(config: &crate::config::Config) -> ConvertOptions {
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
pub(crate) fn backoff_ms(app: &App, attempts: i64) -> i64 {
    let p = &app.config.pipeline;
    let secs = p
        .retry_initial_secs
        .saturating_mul(1u64 << attempts.clamp(0, 20))
        .min(p.retry_max_secs);
    (secs * 1000) as i64
}

async fn scan(app: &App, file: &FileRecord) -> Result<FileRecord, IngestError> {
    let file = app.catalog.start_scan(&file.id, &app.node_id).await?;
    let acq = app.acquisition(&file.acquisition_id).await?;
    let report = scan_quarantined(app, &file, &acq.allow).await?;
    if report.sha256 != file.sha256 {
        return Err(IngestError::InvalidInput(format!(
            "quarantine integrity check failed: the stored bytes hash to {}, not the acknowledged {}",
            report.sha256, file.sha256
        )));
    }
    let now = now_ms();
    let outcome = match app.scanner.decision(&report) {
        Decision::Clean => ScanOutcome::Clean,
        Decision::Infected(found) => ScanOutcome::Infected {
            message: format!("infected: {}", first_of(&found)),
        },
        Decision::Unavailable(why) => ScanOutcome::Held {
            message: format!("held until every engine can scan: {}", first_of(&why)),
            retry_at: now + backoff_ms(app, file.attempts),
        },
    };
    Ok(app
        .catalog
        .finish_scan(&file.id, &app.node_id, &scan_record(&report, now), &outcome)
        .await?)
}

/// The first few of `items`, joined, and how many more there are: a file
/// of many members keeps a readable reason (every verdict is stored).
pub(crate) fn first_of(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = items[..items.len().min(SHOWN)].join("; ");
    if items.len() > SHOWN {
        text.push_str(&format!("; and {} more", items.len() - SHOWN));
    }
    text
}

/// Scans a file's quarantined bytes with what its acquisition allows.
pub(crate) async fn scan_quarantined(
    app: &App,
    file: &FileRecord,
    allow: &str,
) -> Result<ScanReport, IngestError> {
    let bytes = tokio::fs::File::open(app.quarantine.path(&file.id)).await?;
    let ctx = ScanContext {
        filename: file.filename.clone(),
        declared_format: file.declared_format.clone(),
        allow: Allowances::parse(allow.split(',')).map_err(|e| {
            IngestError::Catalog(CatalogError::Corrupt(format!(
                "acquisition {}: {e}",
                file.acquisition_id
            )))
        })?,
    };
    Ok(app.scanner.scan(&ctx, bytes).await)
}

/// Every verdict on every stream of a scan, and its members, as the catalog
/// stores them.
pub(crate) fn scan_record(report: &ScanReport, now: i64) -> ScanRecord {
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

async fn zone_lake<'a>(app: &'a App, file: &FileRecord) -> Result<&'a Lake, IngestError> {
    let acq = app.acquisition(&file.acquisition_id).await?;
    app.lakes.get(&acq.target_zone)
}

/// The governance checks, then conversion and publishing. Safe to run again
/// from `converting`: the reserved version and the staging key are the
/// file's own, and are overwritten.
async fn check_and_publish(app: &App, file: &FileRecord) -> Result<FileRecord, IngestError> {
    let node = &app.node_id;
    let acq = app.acquisition(&file.acquisition_id).await?;
    let policy = |msg: String| async move {
        Ok::<_, IngestError>(
            app.catalog
                .reject(&file.id, node, RejectReason::Policy, &msg)
                .await?,
        )
    };
    if acq.state != AcquisitionState::Approved {
        return policy(format!(
            "acquisition {} is {}, not approved",
            acq.id, acq.state
        ))
        .await;
    }
    let classification: Classification = acq.classification.parse()?;
    if let Err(e) = app.zones.check_ingest(&acq.target_zone, classification) {
        return policy(e.to_string()).await;
    }
    let name =
        FileName::parse(&file.filename).map_err(|e| IngestError::InvalidInput(e.to_string()))?;
    let Some(source) = Source::of(name.as_str(), file.declared_format.as_deref()) else {
        return Err(IngestError::InvalidInput(format!(
            "unsupported format {:?}: this version converts CSV, TSV, NDJSON, JSON and \
             Avro (and their .gz forms), Parquet and Excel .xlsx",
            name.extension().unwrap_or_default()
        )));
    };
    // `survey.csv.gz` is the dataset `survey`, as `survey.csv` is.
    let stem = match (source.gzip, name.stem().rsplit_once('.')) {
        (true, Some((inner, _))) => inner,
        _ => name.stem(),
    };
    let lake = app.lakes.get(&acq.target_zone)?;
    let path = app.quarantine.path(&file.id);
    // One table, or one per sheet of a workbook: `survey.xlsx` with sheets
    // North and South is the datasets `survey.north` and `survey.south`.
    let tables = airlock_convert::tables(path.clone(), source, acq.sheet.clone()).await?;
    let base = format!("{}.{}", acq.slug, slug(stem, "data"));
    let names = match tables.as_slice() {
        [_] => vec![base],
        several => airlock_convert::names::normalise(
            several
                .iter()
                .map(|t| slug(t.as_deref().unwrap_or_default(), "sheet"))
                .collect(),
        )
        .into_iter()
        .map(|t| format!("{base}.{t}"))
        .collect(),
    };
    let datasets: Vec<Dataset> = names
        .into_iter()
        .map(|name| Dataset {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            zone: acq.target_zone.clone(),
            classification: acq.classification.clone(),
            description: acq.description.clone(),
            acquisition_id: acq.id.clone(),
            created_at: now_ms(),
        })
        .collect();
    let reserved = app.catalog.start_convert(&file.id, node, &datasets).await?;

    lake.clear_staging(&file.id).await?;
    let mut opts = convert_options(&app.config);
    opts.contract = acq.contract()?;
    let mut converted = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        opts.sheet = table.clone();
        let staging = Lake::table_staging(&file.id, i);
        let done = to_parquet(
            path.clone(),
            source,
            lake.store.clone(),
            staging.clone(),
            &opts,
        )
        .await;
        let done = match done {
            Ok(c) => c,
            Err(e) => {
                // Whatever the step ends in, it leaves no staged parts behind.
                if let Err(clear) = lake.clear_staging(&file.id).await {
                    tracing::warn!(file = %file.id, error = %clear, "staging not cleared");
                }
                return Err(match (e, table, tables.len()) {
                    (ConvertError::Invalid(msg), Some(sheet), 2..) => {
                        IngestError::InvalidInput(format!("sheet {sheet:?}: {msg}"))
                    }
                    (other, ..) => other.into(),
                });
            }
        };
        converted.push((staging, done));
    }

    // What the checks found goes to the policies: reject, hold for a
    // reviewer, or publish. Findings name columns, kinds, counts and
    // lines, never values.
    let checked: Vec<(Option<String>, &Converted)> = tables
        .iter()
        .cloned()
        .zip(converted.iter().map(|(_, c)| c))
        .collect();
    let findings = governance::findings(&acq, &checked);
    let submitter = app
        .catalog
        .user(&file.submitted_by)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("user {}", file.submitted_by)))?;
    let outcome = app.policies.decide_file(
        &submitter.principal()?,
        CheckedFile {
            submitter_id: &file.submitted_by,
            zone: &acq.target_zone,
            classification: &acq.classification,
            findings: &findings,
        },
    )?;
    let decided_by = match outcome {
        FileOutcome::Publish { policies } => policies,
        FileOutcome::Review { .. } if file.released_by.is_some() => {
            vec![format!(
                "reviewer:{}",
                file.released_by.as_deref().unwrap_or_default()
            )]
        }
        FileOutcome::Review { policies } => {
            lake.clear_staging(&file.id).await?;
            let reason = governance::review_reason(&findings);
            let evidence = governance::evidence(reason, policies, findings, &checked);
            let json = serde_json::to_string(&evidence).map_err(std::io::Error::other)?;
            return Ok(app.catalog.hold_for_review(&file.id, node, &json).await?);
        }
        FileOutcome::Reject { reason, policies } => {
            lake.clear_staging(&file.id).await?;
            let check = governance::schema_check(&checked);
            let (why, msg) = match check.is_empty() {
                true => (RejectReason::Policy, reason),
                false => (
                    RejectReason::Contract,
                    format!("{reason}: {}", first_of(&check)),
                ),
            };
            let msg = format!("{msg} (decided by {})", policies.join(", "));
            return Ok(app.catalog.reject(&file.id, node, why, &msg).await?);
        }
    };
    let mut published = Vec::with_capacity(converted.len());
    for (r, (staging, c)) in reserved.iter().zip(converted) {
        lake.commit(&[(staging, &c.parts)], &r.dataset_name, r.version)
            .await?;
        published.push(PublishedVersion {
            dataset_id: r.dataset_id.clone(),
            version: r.version,
            location: lake.location(&r.dataset_name, r.version),
            rows: c.rows,
            size_bytes: c.size_bytes,
            columns: c.columns,
            now: now_ms(),
            decided_by: decided_by.clone(),
        });
    }
    Ok(app.catalog.publish(&file.id, node, &published).await?)
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
}
