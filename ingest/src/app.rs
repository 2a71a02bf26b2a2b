//! The daemon's shared state, [`App`], built once at start, and the
//! narrow views of it each library module takes ([`App::intake`],
//! [`App::desk`], [`App::reader`]).
//!
//! Key decision: only the top of the house (the HTTP API, SFTP and the
//! pipeline and transfer workers) holds the whole `App`. The modules
//! below them take the few parts they use, so what a module touches is
//! written in its signature.

use std::sync::Arc;

use airlock_catalog::{Acquisition, CatalogStore};
use airlock_scanner::Scanner;
use airlock_zones::ZoneSet;
use tokio::sync::Notify;

use crate::{
    Config, IngestError, admission, backfill, engines, folders, governance, intake, lake, oidc,
    quarantine, query, rescan, retention,
};

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
    /// The read credentials vended to analysts' engines, per zone.
    pub lake_access: query::LakeAccess,
    pub scanner: Scanner,
    /// This daemon's identity in leases; stable across restarts of the same
    /// data directory, so a restart reclaims its own leases at once.
    pub node_id: String,
    /// Wakes an idle worker when a file arrives.
    pub wake: Notify,
    /// Back-pressure on uploads.
    pub admission: admission::Admission,
    /// What the drop-folder sweeps have seen arriving.
    pub watch: Arc<folders::Watch>,
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
        let daemon_key_id = std::env::var("AWS_ACCESS_KEY_ID").ok();
        let lake_access =
            query::LakeAccess::new(lakes.urls(), &config.lake_readers, daemon_key_id.as_deref())?;
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
        let admission = admission::Admission::new((&config.limits).into());
        Ok(Arc::new(App {
            config,
            catalog,
            zones,
            policies,
            oidc,
            quarantine,
            lakes,
            lake_access,
            scanner,
            node_id,
            wake: Notify::new(),
            admission,
            watch: Default::default(),
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
            access: &self.lake_access,
            lakes: &self.lakes,
            scanner: &self.scanner,
        }
    }

    /// What governance decisions work with.
    pub fn desk(&self) -> governance::Desk<'_> {
        governance::Desk {
            catalog: self.catalog.as_ref(),
            policies: &self.policies,
            zones: &self.zones,
            wake: &self.wake,
        }
    }

    /// What every way in delivers through.
    pub fn intake(&self) -> intake::Intake<'_> {
        intake::Intake {
            catalog: self.catalog.as_ref(),
            policies: &self.policies,
            quarantine: &self.quarantine,
            admission: &self.admission,
            wake: &self.wake,
            max_file_bytes: self.config.limits.max_file_bytes,
        }
    }

    /// One rescan pass ([`rescan::rescan_once`]) over the configured
    /// window.
    pub async fn rescan(&self) -> Result<rescan::Summary, IngestError> {
        let days = self.config.scanner.rescan.published_within_days;
        rescan::rescan_once(self.catalog.as_ref(), &self.scanner, &self.quarantine, days).await
    }

    /// One retention pass ([`retention::retention_once`]) at `now`.
    pub async fn retention(&self, now: i64) -> Result<retention::Summary, IngestError> {
        retention::retention_once(self.catalog.as_ref(), &self.lakes, now).await
    }

    /// One pass of [`backfill::backfill_iceberg`] over this daemon's
    /// lakes.
    pub async fn backfill_iceberg(&self) -> Result<backfill::Summary, IngestError> {
        backfill::backfill_iceberg(self.catalog.as_ref(), &self.lakes, "system:iceberg").await
    }

    /// [`backfill::index_search`] on this daemon's catalog.
    pub async fn index_search(&self) -> Result<u64, IngestError> {
        backfill::index_search(self.catalog.as_ref()).await
    }

    /// An acquisition that must exist.
    pub async fn acquisition(&self, id: &str) -> Result<Acquisition, IngestError> {
        governance::acquisition(self.catalog.as_ref(), id).await
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
