//! Pipeline workers: claim a file from the catalog, move it on step by step,
//! each step one catalog transaction, until it is published, rejected or
//! held.
//!
//! - `received | held → scanning → checking | rejected | held`: every engine
//!   reads the quarantined bytes at once; the bytes are re-hashed on the way
//!   and must match the acknowledged SHA-256.
//! - `checking → converting | rejected`: the acquisition and zone rules are
//!   checked and a version of each dataset is reserved.
//! - `converting → published | awaiting_review | rejected`: the Parquet is
//!   staged in the lake (or was, beside the scan, in the same run), the
//!   policies decide, the parts are renamed into place and the catalog row
//!   committed.
//!
//! One function per state; the work of each is the [`stages`](crate::stages)
//! transfers share.
//!
//! A step that fails for a transient reason (lake or catalog unavailable)
//! keeps the file's state and retries it later with backoff. Bad input is
//! rejected with its reason. Nothing is ever passed on without its verdicts.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use airlock_catalog::{
    Acquisition, AcquisitionState, CatalogError, Dataset, FileRecord, FileState, RejectReason,
    ScanOutcome,
};
use airlock_convert::{Converted, Source};
use airlock_policies::CheckedFile;

use crate::governance;
use crate::lake::Lake;
use crate::names::{FileName, slug};
use crate::stages::{self, Decided, Staged, Table, Verdict};
use crate::{App, IngestError, now_ms};

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

/// Moves one file on until it needs nothing more from this worker now:
/// one function per state a worker has a step to take in.
pub async fn process(app: &App, mut file: FileRecord) {
    // What the scanning step converted beside the scan, for the converting
    // step of this same run; a run that starts later converts again.
    let mut prestaged: Option<Vec<Converted>> = None;
    loop {
        let step = match file.state {
            FileState::Received | FileState::Held | FileState::Scanning => {
                scanning(app, &file, &mut prestaged).await
            }
            FileState::Checking => checking(app, &file).await,
            FileState::Converting => converting(app, &file, prestaged.take()).await,
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
            let retry_at = now_ms() + stages::backoff_ms(&app.config.pipeline, file.attempts);
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

/// `received | held | scanning → checking | rejected | held`: every
/// engine reads the quarantined bytes, which must still hash to what was
/// acknowledged; every verdict is recorded with the outcome.
///
/// Beside the scan, at the same time, the file is converted into the
/// lake's staging (invisible to readers), so that a clean file's
/// converting step finds its work done. The staging is kept only for a
/// clean verdict; anything else clears it, and only the converting step,
/// which a clean verdict recorded in the catalog must precede, commits.
async fn scanning(
    app: &App,
    file: &FileRecord,
    prestaged: &mut Option<Vec<Converted>>,
) -> Result<FileRecord, IngestError> {
    let file = app.catalog.start_scan(&file.id, &app.node_id).await?;
    let acq = app.acquisition(&file.acquisition_id).await?;
    let ctx = stages::delivery_context(&file, acq.allow);
    let path = app.quarantine.path(&file.id);
    // Both run to their end: a conversion's blocking threads cannot be
    // stopped midway, and staging is cleared only once they are done.
    let timed = |started: std::time::Instant| started.elapsed().as_millis() as u64;
    let (scanned, staged) = tokio::join!(
        async {
            let started = std::time::Instant::now();
            let scanned = stages::scan(&app.scanner, &ctx, &path).await;
            (scanned, timed(started))
        },
        async {
            let started = std::time::Instant::now();
            (prestage(app, &file, &acq).await, timed(started))
        }
    );
    let ((scanned, scan_ms), (staged, convert_ms)) = (scanned, staged);
    let was_staged = staged.is_some();
    let kept = match &scanned {
        Ok(s) if s.report.sha256 == file.sha256 && matches!(s.verdict, Verdict::Clean) => staged,
        _ => {
            if was_staged {
                app.lakes
                    .get(acq.target_zone.as_str())?
                    .clear_staging(&file.id)
                    .await?;
            }
            None
        }
    };
    let scanned = scanned?;
    if scanned.report.sha256 != file.sha256 {
        return Err(IngestError::InvalidInput(format!(
            "quarantine integrity check failed: the stored bytes hash to {}, not the acknowledged {}",
            scanned.report.sha256, file.sha256
        )));
    }
    let outcome = match scanned.verdict {
        Verdict::Clean => ScanOutcome::Clean,
        Verdict::Infected(message) => ScanOutcome::Infected { message },
        Verdict::Unavailable(message) => ScanOutcome::Held {
            message,
            retry_at: now_ms() + stages::backoff_ms(&app.config.pipeline, file.attempts),
        },
    };
    let next = app
        .catalog
        .finish_scan(&file.id, &app.node_id, &scanned.record, &outcome)
        .await?;
    tracing::info!(
        file = %file.id,
        staged = was_staged,
        kept = kept.is_some(),
        scan_ms,
        convert_ms,
        "scan and conversion done"
    );
    *prestaged = kept;
    Ok(next)
}

/// The conversion into staging that runs beside the scan, for a file
/// that will be converted after it (its acquisition approved, its format
/// one Airlock reads). It parses unscanned bytes in the converter's
/// memory-safe code under its usual budgets. Any failure is left to the
/// converting step, which converts again and reports it.
async fn prestage(app: &App, file: &FileRecord, acq: &Acquisition) -> Option<Vec<Converted>> {
    if !app.config.pipeline.convert_while_scanning || acq.state != AcquisitionState::Approved {
        return None;
    }
    let plan = plan(app, file, acq).await.ok()?;
    let lake = app.lakes.get(acq.target_zone.as_str()).ok()?;
    lake.clear_staging(&file.id).await.ok()?;
    tracing::info!(file = %file.id, "converting beside the scan");
    let mut opts = stages::convert_options(&app.config);
    opts.contract = acq.contract().ok()?;
    let tables = staging_tables(&plan, &file.id);
    let path = app.quarantine.path(&file.id);
    stages::convert(path, plan.source, lake, &file.id, &tables, &opts)
        .await
        .ok()
}

/// Where each table of a plan is staged: the file's own keys.
fn staging_tables(plan: &Plan, file_id: &str) -> Vec<Table> {
    plan.sheets
        .iter()
        .enumerate()
        .map(|(i, sheet)| Table {
            sheet: sheet.clone(),
            staging: Lake::table_staging(file_id, i),
        })
        .collect()
}

async fn zone_lake<'a>(app: &'a App, file: &FileRecord) -> Result<&'a Lake, IngestError> {
    let acq = app.acquisition(&file.acquisition_id).await?;
    app.lakes.get(acq.target_zone.as_str())
}

/// What a file becomes: how it is read, and one dataset per table (one,
/// or one per sheet of a workbook: `survey.xlsx` with sheets North and
/// South is the datasets `survey.north` and `survey.south`).
struct Plan {
    source: Source,
    sheets: Vec<Option<String>>,
    datasets: Vec<Dataset>,
}

async fn plan(app: &App, file: &FileRecord, acq: &Acquisition) -> Result<Plan, IngestError> {
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
    let path = app.quarantine.path(&file.id);
    let sheets = airlock_convert::tables(path, source, acq.sheet.clone()).await?;
    let base = format!("{}.{}", acq.slug, slug(stem, "data"));
    let names = match sheets.as_slice() {
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
    let datasets = names
        .into_iter()
        .map(|name| Dataset {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            zone: acq.target_zone.clone(),
            classification: acq.classification,
            description: acq.description.clone(),
            acquisition_id: acq.id.clone(),
            created_at: now_ms(),
        })
        .collect();
    Ok(Plan {
        source,
        sheets,
        datasets,
    })
}

/// `checking → converting | rejected`: the acquisition is still approved,
/// its zone still takes its classification, the format is one Airlock
/// reads; then a version of each dataset is reserved for the file.
async fn checking(app: &App, file: &FileRecord) -> Result<FileRecord, IngestError> {
    let node = &app.node_id;
    let acq = app.acquisition(&file.acquisition_id).await?;
    let refusal = if acq.state != AcquisitionState::Approved {
        Some(format!(
            "acquisition {} is {}, not approved",
            acq.id, acq.state
        ))
    } else {
        app.zones
            .check_ingest(acq.target_zone.as_str(), acq.classification)
            .err()
            .map(|e| e.to_string())
    };
    if let Some(msg) = refusal {
        return Ok(app
            .catalog
            .reject(&file.id, node, RejectReason::Policy, &msg)
            .await?);
    }
    let plan = plan(app, file, &acq).await?;
    app.catalog
        .start_convert(&file.id, node, &plan.datasets)
        .await?;
    app.catalog
        .file(&file.id)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("file {}", file.id)))
}

/// `converting → published | awaiting_review | rejected`: converted into
/// the lake's staging, what the checks found put to the policies, then
/// committed and published, held for a reviewer or rejected. Safe to run
/// again: the reserved versions and the staging keys are the file's own.
async fn converting(
    app: &App,
    file: &FileRecord,
    prestaged: Option<Vec<Converted>>,
) -> Result<FileRecord, IngestError> {
    let node = &app.node_id;
    let acq = app.acquisition(&file.acquisition_id).await?;
    let plan = plan(app, file, &acq).await?;
    // Idempotent: the versions reserved when checking.
    let reserved = app
        .catalog
        .start_convert(&file.id, node, &plan.datasets)
        .await?;
    let lake = app.lakes.get(acq.target_zone.as_str())?;
    let tables = staging_tables(&plan, &file.id);
    let converted = match prestaged {
        // Staged beside the scan, in this run, under this lease.
        Some(converted) if converted.len() == tables.len() => converted,
        _ => {
            lake.clear_staging(&file.id).await?;
            let mut opts = stages::convert_options(&app.config);
            opts.contract = acq.contract()?;
            let path = app.quarantine.path(&file.id);
            stages::convert(path, plan.source, lake, &file.id, &tables, &opts).await?
        }
    };

    // What the checks found goes to the policies: reject, hold for a
    // reviewer, or publish. Findings name columns, kinds, counts and
    // lines, never values.
    let checked: Vec<(Option<String>, &Converted)> =
        plan.sheets.iter().cloned().zip(&converted).collect();
    let findings = governance::findings(&acq, &checked);
    let submitter = app
        .catalog
        .user(&file.submitted_by)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("user {}", file.submitted_by)))?;
    let facts = CheckedFile {
        submitter_id: &file.submitted_by,
        zone: &acq.target_zone,
        classification: acq.classification,
        findings: &findings,
    };
    let released_by = file.released_by.as_deref();
    let decided_by =
        match stages::decide(&app.policies, &submitter.principal(), facts, released_by)? {
            Decided::Publish(policies) => policies,
            Decided::Review(policies) => {
                lake.clear_staging(&file.id).await?;
                let reason = governance::review_reason(&findings);
                let evidence = governance::evidence(reason, policies, findings, &checked);
                let json = serde_json::to_string(&evidence).map_err(std::io::Error::other)?;
                return Ok(app.catalog.hold_for_review(&file.id, node, &json).await?);
            }
            Decided::Reject { reason, policies } => {
                lake.clear_staging(&file.id).await?;
                let check = governance::schema_check(&checked);
                let (why, msg) = match check.is_empty() {
                    true => (RejectReason::Policy, reason),
                    false => (
                        RejectReason::Contract,
                        format!("{reason}: {}", stages::first_of(&check)),
                    ),
                };
                let msg = format!("{msg} (decided by {})", policies.join(", "));
                return Ok(app.catalog.reject(&file.id, node, why, &msg).await?);
            }
        };
    let versions: Vec<Staged> = reserved
        .iter()
        .zip(tables.into_iter().zip(&converted))
        .map(|(reserved, (table, c))| Staged {
            reserved,
            parts: vec![(table.staging, c)],
        })
        .collect();
    let published = stages::commit(lake, &versions, &decided_by).await?;
    Ok(app.catalog.publish(&file.id, node, &published).await?)
}
