//! The Airlock daemon: the ways in, the pipeline and transfer workers, the
//! query layer and the HTTP API.
//!
//! Key decision: the catalog is the only state that matters. Every way in
//! is an adapter over one [`intake`] (deliverable, admitted, durable in
//! [`quarantine`], recorded); everything after that is done by
//! [`pipeline`] workers that claim files from the catalog under a lease
//! and move each one a state at a time through the [`stages`] transfers
//! share, each state change one catalog transaction. So a daemon killed at
//! any point resumes every file from its recorded state, and several
//! daemons can share one PostgreSQL catalog. People read through one
//! [`query`] layer; the [`api`] handlers only extract, call and map.

pub mod admission;
pub mod api;
pub mod auth;
pub mod buckets;
pub mod config;
pub mod engines;
pub mod error;
pub mod folders;
pub mod governance;
pub mod intake;
pub mod jobs;
pub mod lake;
pub mod names;
pub mod oidc;
pub mod pipeline;
pub mod quarantine;
pub mod query;
pub mod rescan;
pub mod retention;
pub mod sftp;
pub mod stages;
pub mod transfer;

use std::sync::Arc;

use airlock_catalog::{Acquisition, CatalogStore};
use airlock_scanner::Scanner;
use airlock_zones::ZoneSet;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use airlock_catalog::now_ms;
pub use config::Config;
pub use error::IngestError;

/// Everything a handler or worker needs, shared.
pub struct App {
    pub config: Config,
    pub catalog: Arc<dyn CatalogStore>,
    pub zones: ZoneSet,
    /// Verifies OIDC JWTs, when `[oidc]` is configured.
    pub oidc: Option<oidc::Verifier>,
    /// Every authorization and publication decision is put to these.
    pub policies: airlock_policies::Policies,
    pub quarantine: quarantine::Quarantine,
    pub lakes: lake::Lakes,
    pub scanner: Scanner,
    /// This daemon's identity in leases; stable across restarts of the same
    /// data directory, so a restart reclaims its own leases at once.
    pub node_id: String,
    /// Wakes an idle worker when a file arrives.
    pub wake: Notify,
    /// Back-pressure on uploads.
    pub admission: admission::Admission,
    /// What the drop-folder sweeps have seen arriving.
    pub watch: folders::Watch,
    pub rescan_schedule: cron::Schedule,
    pub retention_schedule: cron::Schedule,
}

impl App {
    /// Opens the data directory, the catalog and the lakes, builds the
    /// scan engines and cleans up what a crash left behind.
    /// `clamd_env` is `AIRLOCK_CLAMD`, if set.
    pub async fn open(config: Config, clamd_env: Option<&str>) -> Result<Arc<App>, IngestError> {
        let zones = config.zone_set()?;
        let policies = config.policies()?;
        let oidc = match &config.oidc {
            Some(c) => Some(oidc::Verifier::new(c.clone()).await?),
            None => None,
        };
        let rescan_schedule = config.rescan_schedule()?;
        let retention_schedule = config.retention_schedule()?;
        config.check_endpoints()?;
        std::fs::create_dir_all(&config.data_dir)?;
        let catalog = airlock_catalog::connect(&config.catalog_url()).await?;
        let quarantine = quarantine::Quarantine::open(&config.quarantine_dir())?;
        let lakes = lake::Lakes::open(&zones, |zone| config.lake_url(zone))?;
        let scanner = engines::build(&config.scanner, clamd_env).await?;
        let node_id = node_id(&config)?;
        let released = catalog.release_leases(&node_id).await?;
        let swept = quarantine
            .sweep(|id| {
                let catalog = catalog.clone();
                async move { Ok(catalog.file(&id).await?.is_some()) }
            })
            .await?;
        tracing::info!(
            catalog = catalog.backend(),
            node_id,
            released,
            swept,
            engines = ?scanner.engine_names(),
            policies = policies.len(),
            "airlock opened"
        );
        Ok(Arc::new(App {
            config,
            catalog,
            zones,
            policies,
            oidc,
            quarantine,
            lakes,
            scanner,
            node_id,
            wake: Notify::new(),
            admission: admission::Admission::default(),
            watch: folders::Watch::default(),
            rescan_schedule,
            retention_schedule,
        }))
    }

    /// The query layer over this daemon's catalog, policies and zones.
    pub fn reader(&self) -> query::Reader<'_> {
        query::Reader {
            catalog: self.catalog.as_ref(),
            policies: &self.policies,
            zones: &self.zones,
        }
    }

    /// An acquisition that must exist.
    pub async fn acquisition(&self, id: &str) -> Result<Acquisition, IngestError> {
        self.catalog
            .acquisition(id)
            .await?
            .ok_or_else(|| IngestError::NotFound(format!("acquisition {id}")))
    }
}

fn node_id(config: &Config) -> Result<String, IngestError> {
    let path = config.data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            let id = format!("node-{}", uuid::Uuid::now_v7().simple());
            std::fs::write(&path, &id)?;
            Ok(id)
        }
    }
}

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
    let rescans = tokio::spawn(rescan::run(
        app.clone(),
        app.rescan_schedule.clone(),
        stop.clone(),
    ));
    let retention = tokio::spawn(retention::run(
        app.clone(),
        app.retention_schedule.clone(),
        stop.clone(),
    ));
    let transfers = tokio::spawn(transfer::run(app.clone(), stop.clone()));
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
                buckets::sweep(&app, &bucket)
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
        let events = folders::watcher(app.clone(), &folder.path, wake.clone())
            .inspect_err(|e| {
                tracing::warn!(folder = %folder.path.display(), error = %e,
                    "drop folder not watched for events; swept on its schedule only")
            })
            .ok();
        sweeps.push(tokio::spawn(async move {
            let _events = events;
            jobs::every("drop folder", schedule, Some(wake), stop, || {
                folders::sweep(&app, &app.watch, &folder, std::time::SystemTime::now())
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
    for sweep in sweeps {
        sweep.await.map_err(std::io::Error::other)?;
    }
    uploads.await.map_err(std::io::Error::other)?;
    if let Some(sftp) = sftp {
        sftp.await.map_err(std::io::Error::other)??;
    }
    Ok(())
}
