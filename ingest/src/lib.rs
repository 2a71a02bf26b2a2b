//! The Airlock daemon: HTTP API, pipeline workers, conversion and publishing.
//!
//! Key decision: the catalog is the only state that matters. Handlers are
//! thin: they authenticate, authorize through `airlock-policies`, make the
//! bytes durable in [`quarantine`] and record them in the catalog. Everything
//! after that is done by [`pipeline`] workers that claim files from the
//! catalog under a lease and move each one a step at a time, each step one
//! catalog transaction. So a daemon killed at any point resumes every file
//! from its recorded state, and several daemons can share one PostgreSQL
//! catalog.

pub mod api;
pub mod auth;
pub mod config;
pub mod convert;
pub mod error;
pub mod lake;
pub mod names;
pub mod pipeline;
pub mod quarantine;

use std::sync::Arc;
use std::time::Duration;

use airlock_catalog::CatalogStore;
use airlock_scanner::{ClamAv, ClamdAddr, Engine, FileType, Scanner, Yara};
use airlock_zones::ZoneSet;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use airlock_catalog::now_ms;
pub use config::Config;
pub use error::IngestError;

/// Where clamd is looked for when none is configured.
pub const CLAMD_PROBES: &[&str] = &["/var/run/clamav/clamd.ctl", "tcp://127.0.0.1:3310"];

/// Everything a handler or worker needs, shared.
pub struct App {
    pub config: Config,
    pub catalog: Arc<dyn CatalogStore>,
    pub zones: ZoneSet,
    pub quarantine: quarantine::Quarantine,
    pub lakes: lake::Lakes,
    pub scanner: Scanner,
    /// This daemon's identity in leases; stable across restarts of the same
    /// data directory, so a restart reclaims its own leases at once.
    pub node_id: String,
    /// Wakes an idle worker when a file arrives.
    pub wake: Notify,
}

impl App {
    /// Opens the data directory, the catalog and the lakes, builds the
    /// scan engines and cleans up what a crash left behind.
    pub async fn open(config: Config) -> Result<Arc<App>, IngestError> {
        let zones = config.zone_set()?;
        std::fs::create_dir_all(&config.data_dir)?;
        let catalog = airlock_catalog::connect(&config.catalog_url()).await?;
        let quarantine = quarantine::Quarantine::open(&config.quarantine_dir())?;
        let lakes = lake::Lakes::open(&config, &zones)?;
        let scanner = build_scanner(&config).await?;
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
            "airlock opened"
        );
        Ok(Arc::new(App {
            config,
            catalog,
            zones,
            quarantine,
            lakes,
            scanner,
            node_id,
            wake: Notify::new(),
        }))
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

/// The built-in engines (filetype, yara) always; clamd when configured (then a clamd that is down
/// holds files) or, unconfigured, when one answers at a default address.
async fn build_scanner(config: &Config) -> Result<Scanner, IngestError> {
    let sc = &config.scanner;
    let connect_timeout = Duration::from_secs(sc.clamd_connect_timeout_secs);
    let dirs: Vec<&std::path::Path> = sc.yara_rules_dirs.iter().map(|p| p.as_path()).collect();
    let yara = Yara::new(&dirs).map_err(|e| IngestError::Config(e.to_string()))?;
    let mut engines: Vec<Arc<dyn Engine>> = Vec::new();
    let clamd = match &sc.clamd {
        Some(addr) => {
            let addr: ClamdAddr = addr
                .parse()
                .map_err(|e: airlock_scanner::ScanError| IngestError::Config(e.to_string()))?;
            let engine = ClamAv::new(addr, connect_timeout);
            if !engine.ping().await {
                tracing::warn!(clamd = %engine.addr(), "configured clamd does not answer; files will be held until it does");
            }
            Some(engine)
        }
        None => probe_clamd(connect_timeout).await,
    };
    match clamd {
        Some(engine) => {
            tracing::info!(clamd = %engine.addr(), "clamav engine enabled");
            engines.push(Arc::new(engine));
        }
        None => tracing::warn!(
            probed = ?CLAMD_PROBES,
            "NO CLAMD FOUND: scanning with the built-in engines only (filetype, yara). \
             Set AIRLOCK_CLAMD or [scanner] clamd to scan with ClamAV."
        ),
    }
    engines.push(Arc::new(FileType::new()));
    engines.push(Arc::new(yara));
    Ok(Scanner::new(
        engines,
        Duration::from_secs(sc.engine_timeout_secs),
    ))
}

async fn probe_clamd(timeout: Duration) -> Option<ClamAv> {
    for probe in CLAMD_PROBES {
        let addr: ClamdAddr = probe.parse().expect("valid probe address");
        let engine = ClamAv::new(addr, timeout);
        if engine.ping().await {
            return Some(engine);
        }
    }
    None
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
    Ok(())
}
