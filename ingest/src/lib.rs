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
pub mod app;
pub mod auth;
pub mod backfill;
pub mod buckets;
pub mod config;
pub mod daemon;
pub mod engines;
pub mod error;
pub mod folders;
pub mod governance;
pub mod intake;
pub mod jobs;
pub mod lake;
pub mod names;
pub mod oidc;
pub mod pages;
pub mod parts;
pub mod pipeline;
pub mod quarantine;
pub mod query;
pub mod rescan;
pub mod retention;
pub mod sftp;
pub mod stages;
pub mod transfer;
pub mod wire;

pub use airlock_catalog::now_ms;
pub use app::App;
pub use config::Config;
pub use daemon::serve;
pub use error::IngestError;
