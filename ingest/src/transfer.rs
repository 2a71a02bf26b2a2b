//! Transfers: a published dataset version moves to another lake zone, as
//! a new dataset version there with lineage to the one it copies.
//!
//! A request is checked structurally first (`ZoneSet::check_transfer`: only
//! along configured flows, at or below the target's ceiling, never from a
//! non-sensitive zone into a sensitive one), then by policy. An export, from
//! a sensitive zone into a non-sensitive one, always waits for a reviewer's
//! release, and nobody releases their own request.
//!
//! A queued transfer goes through the pipeline's controls again, the same
//! [`stages`](crate::stages): each source part is copied into quarantine,
//! scanned by every engine with every verdict recorded on the transfer
//! (failing closed: an engine down retries later), re-encoded into the target lake's
//! staging by the converter, its PII profiled and put to the policies, and
//! the parts are committed as one version; the catalog row turning
//! `published` is the commit point. Every step can be redone: the target
//! version is reserved for the transfer, its staging cleared first.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use airlock_catalog::{Dataset, ReviewDecision, ReviewSubject, Transfer, TransferState};
use airlock_convert::{Converted, Source};
use airlock_policies::{Action, CheckedFile, Principal, TransferFacts};
use airlock_scanner::{Allowances, ScanContext};
use airlock_zones::Classification;

use crate::lake::Lake;
use crate::stages::{self, Decided, Staged, Table, Verdict};
use crate::{App, IngestError, governance, now_ms};

pub(crate) fn facts(
    t: &Transfer,
    classification: Option<Classification>,
    export: bool,
) -> TransferFacts<'_> {
    TransferFacts {
        requester_id: &t.requested_by,
        from_zone: &t.from_zone,
        to_zone: &t.to_zone,
        classification,
        export,
    }
}

/// Requests a transfer of a published version the caller may see.
pub async fn request(
    app: &App,
    who: &Principal,
    dataset_id: &str,
    version: i64,
    to_zone: &str,
    reason: &str,
) -> Result<Transfer, IngestError> {
    let not_found = || IngestError::NotFound(format!("dataset {dataset_id} version {version}"));
    let d = app
        .catalog
        .dataset(dataset_id)
        .await?
        .ok_or_else(not_found)?;
    app.policies
        .authorize(
            who,
            Action::ViewDataset {
                zone: &d.dataset.zone,
            },
        )
        .map_err(|_| not_found())?;
    if !d.versions.iter().any(|v| v.info.version == version) {
        return Err(not_found());
    }
    let reason = crate::wire::check_prose("invalid_reason", "reason", reason, 2000, false)?;
    let from = &d.dataset.zone;
    let classification = d.dataset.classification;
    // The one-way rules first, whatever the policies say.
    app.zones
        .check_transfer(from.as_str(), to_zone, classification)?;
    let export = app.zones.is_export(from.as_str(), to_zone)?;
    let mut t = Transfer {
        id: uuid::Uuid::now_v7().to_string(),
        dataset_id: dataset_id.to_owned(),
        version,
        from_zone: from.clone(),
        to_zone: app.zones.get(to_zone)?.name.clone(),
        requested_by: who.user_id.clone(),
        reason: reason.to_owned(),
        state: TransferState::Queued,
        released_by: None,
        error: None,
        target_dataset_id: None,
        target_version: None,
        attempts: 0,
        created_at: now_ms(),
        updated_at: now_ms(),
    };
    let classification = Some(classification);
    let decided_by = app.policies.authorize(
        who,
        Action::RequestTransfer(facts(&t, classification, export)),
    )?;
    let unreleased = app.policies.authorize(
        who,
        Action::TransferWithoutRelease(facts(&t, classification, export)),
    );
    if export || unreleased.is_err() {
        t.state = TransferState::PendingRelease;
    }
    let t = app.catalog.create_transfer(&t, &decided_by).await?;
    app.wake.notify_one();
    Ok(t)
}

/// A reviewer releases or rejects a transfer waiting for release.
pub async fn release(
    app: &App,
    who: &Principal,
    id: &str,
    decision: ReviewDecision,
    reason: &str,
) -> Result<Transfer, IngestError> {
    let t = get(app, id).await?;
    let d = app.catalog.dataset(&t.dataset_id).await?;
    let classification = d.map(|d| d.dataset.classification);
    let export = app
        .zones
        .is_export(t.from_zone.as_str(), t.to_zone.as_str())?;
    let policies = app.policies.authorize(
        who,
        Action::ReleaseTransfer(facts(&t, classification, export)),
    )?;
    let review = governance::review(ReviewSubject::Transfer, id, who, decision, reason, policies)?;
    let t = app.catalog.release_transfer(&review).await?;
    app.wake.notify_one();
    Ok(t)
}

async fn get(app: &App, id: &str) -> Result<Transfer, IngestError> {
    app.catalog
        .transfer(id)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("transfer {id}")))
}

/// Works queued transfers until `stop`.
pub async fn run(app: Arc<App>, stop: CancellationToken) {
    let poll = Duration::from_millis(app.config.pipeline.poll_interval_ms);
    while !stop.is_cancelled() {
        let worked = tokio::select! {
            _ = stop.cancelled() => break,
            worked = process_due(&app) => worked,
        };
        match worked {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "claiming a transfer failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = app.wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Claims one due transfer and works it until it rests; `false` when none
/// was due.
pub async fn process_due(app: &App) -> Result<bool, IngestError> {
    let now = now_ms();
    // Long enough for a large version; a crashed daemon's claim expires.
    let lease_ms = (app.config.pipeline.lease_secs * 1000 * 20) as i64;
    let Some(t) = app
        .catalog
        .claim_transfer(&app.node_id, now, now + lease_ms)
        .await?
    else {
        return Ok(false);
    };
    let target = app.lakes.get(&t.to_zone).cloned();
    let result = match target {
        Ok(lake) => process(app, &t, &lake).await,
        Err(e) => Err(e),
    };
    if let Ok(lake) = app.lakes.get(&t.to_zone)
        && let Err(e) = lake.clear_staging(&t.id).await
    {
        tracing::warn!(transfer = %t.id, error = %e, "staging not cleared");
    }
    let node = &app.node_id;
    match result {
        Ok(()) => {}
        Err(IngestError::InvalidInput(message)) => {
            app.catalog.reject_transfer(&t.id, node, &message).await?;
        }
        Err(e) => {
            tracing::warn!(transfer = %t.id, error = %e, "transfer step failed; will retry");
            let at = now_ms() + stages::backoff_ms(&app.config.pipeline, t.attempts);
            app.catalog
                .transfer_retry_later(&t.id, node, &e.to_string(), at)
                .await?;
        }
    }
    Ok(true)
}

/// The source version's parts, in order.
async fn source_parts(lake: &Lake, dataset: &str, version: i64) -> Result<Vec<Path>, IngestError> {
    let prefix = Lake::version_prefix(dataset, version);
    let mut parts: Vec<Path> = lake
        .store
        .list(Some(&prefix))
        .map_ok(|m| m.location)
        .try_filter(|p| futures::future::ready(p.as_ref().ends_with(".parquet")))
        .try_collect()
        .await?;
    parts.sort();
    Ok(parts)
}

async fn process(app: &App, t: &Transfer, target: &Lake) -> Result<(), IngestError> {
    let node = &app.node_id;
    let d = app
        .catalog
        .dataset(&t.dataset_id)
        .await?
        .ok_or_else(|| IngestError::InvalidInput("the source version is gone".into()))?;
    if !d.versions.iter().any(|v| v.info.version == t.version) {
        return Err(IngestError::InvalidInput(format!(
            "version {} of {} is no longer published",
            t.version, d.dataset.name
        )));
    }
    if let Some(v) = d
        .versions
        .iter()
        .map(|v| &v.info)
        .find(|v| v.version == t.version && v.tainted_at.is_some())
    {
        return Err(IngestError::InvalidInput(format!(
            "the source version is tainted: {}",
            v.taint_reason.as_deref().unwrap_or_default()
        )));
    }
    // The zone rules again: the configuration may have changed.
    let classification = d.dataset.classification;
    app.zones
        .check_transfer(&t.from_zone, &t.to_zone, classification)
        .map_err(|e| IngestError::InvalidInput(e.to_string()))?;
    let reserved = app
        .catalog
        .start_transfer(
            &t.id,
            node,
            &Dataset {
                id: uuid::Uuid::now_v7().to_string(),
                name: d.dataset.name.clone(),
                zone: t.to_zone.clone(),
                classification: d.dataset.classification,
                description: d.dataset.description.clone(),
                acquisition_id: d.dataset.acquisition_id.clone(),
                created_at: now_ms(),
            },
        )
        .await?;
    let source = app.lakes.get(&t.from_zone)?;
    target.clear_staging(&t.id).await?;
    let opts = stages::convert_options(&app.config);
    let parquet = Source::of("part.parquet", Some("parquet"))
        .ok_or_else(|| IngestError::Config("no Parquet reader".into()))?;
    let mut tables = Vec::new();
    let mut converted = Vec::new();
    for (i, part) in source_parts(source, &d.dataset.name, t.version)
        .await?
        .iter()
        .enumerate()
    {
        let local = app.quarantine.path(&format!("transfer-{}-{i}", t.id));
        let table = Table {
            sheet: None,
            staging: Lake::table_staging(&t.id, i),
        };
        let done = match copy_and_scan(app, t, source, part, &local).await {
            Ok(()) => stages::convert(local.clone(), parquet, target, &t.id, &[table], &opts).await,
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&local).await;
        converted.extend(done?);
        tables.push(Lake::table_staging(&t.id, i));
    }
    if converted.is_empty() {
        return Err(IngestError::InvalidInput(
            "the source version holds no parts".into(),
        ));
    }

    // The policies decide on what the re-check found; a release stands for
    // the review an export needs.
    let acq = app.acquisition(&d.dataset.acquisition_id).await?;
    let checked: Vec<(Option<String>, &Converted)> = converted.iter().map(|c| (None, c)).collect();
    let findings = governance::findings(&acq, &checked);
    let requester = app
        .catalog
        .user(&t.requested_by)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("user {}", t.requested_by)))?;
    let facts = CheckedFile {
        submitter_id: &t.requested_by,
        zone: &t.to_zone,
        classification: d.dataset.classification,
        findings: &findings,
    };
    let released_by = t.released_by.as_deref();
    let decided_by =
        match stages::decide(&app.policies, &requester.principal(), facts, released_by)? {
            Decided::Publish(policies) => policies,
            Decided::Review(_) => {
                return Err(IngestError::InvalidInput(format!(
                    "{}; request it again once a reviewer has seen it",
                    governance::review_reason(&findings)
                )));
            }
            Decided::Reject { reason, policies } => {
                return Err(IngestError::InvalidInput(format!(
                    "{reason} (decided by {})",
                    policies.join(", ")
                )));
            }
        };
    // Every part of the copy is one version.
    let version = Staged {
        reserved: &reserved,
        parts: tables.into_iter().zip(&converted).collect(),
    };
    let published = stages::commit(target, &[version], &decided_by).await?;
    for v in &published {
        app.catalog.publish_transfer(&t.id, node, v).await?;
    }
    Ok(())
}

/// Streams one source part into quarantine and scans it with every engine,
/// recording every verdict with the transfer before it decides anything.
/// A finding rejects the transfer; an engine that cannot answer retries
/// it later.
async fn copy_and_scan(
    app: &App,
    t: &Transfer,
    lake: &Lake,
    part: &Path,
    local: &std::path::Path,
) -> Result<(), IngestError> {
    let mut out = tokio::fs::File::create(local).await?;
    let mut stream = lake.store.get(part).await?.into_stream();
    while let Some(chunk) = stream.try_next().await? {
        out.write_all(&chunk).await?;
    }
    out.sync_all().await?;
    drop(out);
    let name = part.filename().unwrap_or("part.parquet");
    let ctx = ScanContext {
        filename: name.to_owned(),
        declared_format: Some("parquet".into()),
        allow: Allowances::default(),
    };
    let scanned = stages::scan(&app.scanner, &ctx, local).await?;
    app.catalog
        .record_transfer_scan(&t.id, &app.node_id, name, &scanned.record)
        .await?;
    match scanned.verdict {
        Verdict::Clean => Ok(()),
        Verdict::Infected(found) => Err(IngestError::InvalidInput(format!(
            "source part {part}: {found}"
        ))),
        Verdict::Unavailable(why) => Err(IngestError::Unavailable(why)),
    }
}
