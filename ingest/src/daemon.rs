//! The running daemon: the HTTP API, SFTP, the pipeline and transfer
//! workers and the scheduled jobs, started together and stopped together.
//!
//! Key decision: one cancellation token stops everything, in order: no
//! new requests, in-flight ones finish, then the workers stop and release
//! their leases, so a clean stop leaves nothing for another daemon to wait
//! out.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{App, IngestError, api, buckets, folders, jobs, now_ms, pipeline, sftp, transfer};

/// Serves the API and runs the pipeline until `shutdown` resolves, then
/// stops taking requests, lets in-flight ones finish, stops the workers and
/// releases their leases.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), IngestError> {
    let stop = CancellationToken::new();
    let workers = tokio::spawn(pipeline::run(app.clone(), stop.clone()));
    let rescans = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let schedule = app.rescan_schedule.clone();
            jobs::every("rescan", schedule, None, stop, || app.rescan()).await
        })
    };
    let retention = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let schedule = app.retention_schedule.clone();
            jobs::every("retention", schedule, None, stop, || {
                app.retention(now_ms())
            })
            .await
        })
    };
    let transfers = tokio::spawn(transfer::run(app.clone(), stop.clone()));
    // Once at start: what an earlier release's catalog lacks.
    let backfill = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let work = async {
                match app.index_search().await {
                    Ok(n) => tracing::info!(datasets = n, "search index complete"),
                    Err(e) => {
                        tracing::warn!(error = %e, "search indexing failed; it runs again at the next start")
                    }
                }
                match app.backfill_iceberg().await {
                    Ok(s) => tracing::info!(
                        written = s.written,
                        recorded = s.recorded,
                        skipped = s.skipped,
                        "Iceberg metadata backfilled"
                    ),
                    Err(e) => tracing::warn!(error = %e,
                        "Iceberg backfill failed; it runs again at the next start"),
                }
            };
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = work => {}
            }
        })
    };
    let mut sweeps = Vec::new();
    for (bucket, schedule) in app
        .config
        .drop_buckets
        .iter()
        .zip(app.config.bucket_schedules()?)
    {
        let (app, stop, bucket) = (app.clone(), stop.clone(), bucket.clone());
        sweeps.push(tokio::spawn(async move {
            jobs::every("drop bucket", schedule, None, stop, || {
                buckets::sweep(app.intake(), &bucket)
            })
            .await
        }));
    }
    for (folder, schedule) in app
        .config
        .drop_folders
        .iter()
        .zip(app.config.drop_schedules()?)
    {
        let (app, stop, folder) = (app.clone(), stop.clone(), folder.clone());
        let wake = Arc::new(Notify::new());
        let events = folders::watcher(app.watch.clone(), &folder.path, wake.clone())
            .inspect_err(|e| {
                tracing::warn!(folder = %folder.path.display(), error = %e,
                    "drop folder not watched for events; swept on its schedule only")
            })
            .ok();
        sweeps.push(tokio::spawn(async move {
            let _events = events;
            jobs::every("drop folder", schedule, Some(wake), stop, || {
                folders::sweep(
                    app.intake(),
                    &app.watch,
                    &folder,
                    std::time::SystemTime::now(),
                )
            })
            .await
        }));
    }
    let uploads = {
        let (app, stop) = (app.clone(), stop.clone());
        let every_minute = jobs::schedule("uploads", "0 * * * * *")?;
        tokio::spawn(async move {
            jobs::every("upload expiry", every_minute, None, stop, || {
                api::tus::expire_once(&app)
            })
            .await
        })
    };
    let sftp = match app.config.sftp.clone() {
        Some(config) => {
            let listener = TcpListener::bind(config.listen).await?;
            let (app, stop) = (app.clone(), stop.clone());
            Some(tokio::spawn(async move {
                sftp::serve(app, &config, listener, stop).await
            }))
        }
        None => None,
    };
    let router = api::router(app.clone());
    let stop_http = stop.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = shutdown => {}
                _ = stop_http.cancelled() => {}
            }
        })
        .await?;
    stop.cancel();
    workers.await.map_err(std::io::Error::other)?;
    rescans.await.map_err(std::io::Error::other)?;
    retention.await.map_err(std::io::Error::other)?;
    transfers.await.map_err(std::io::Error::other)?;
    backfill.await.map_err(std::io::Error::other)?;
    for sweep in sweeps {
        sweep.await.map_err(std::io::Error::other)?;
    }
    uploads.await.map_err(std::io::Error::other)?;
    if let Some(sftp) = sftp {
        sftp.await.map_err(std::io::Error::other)??;
    }
    Ok(())
}
