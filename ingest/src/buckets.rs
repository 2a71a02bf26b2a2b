//! Object-store drop buckets: a bucket and prefix (any object_store URL
//! a lake can have) bound to an acquisition and swept on a schedule.
//!
//! An object is whole once listed (stores make objects visible whole). It
//! is taken exactly once per version: each taken (key, ETag) is recorded
//! with the delivery it became, and the read is pinned to the listed ETag,
//! so an object overwritten mid-read is not taken torn. Taking streams it
//! into quarantine (hashed, fsync'd) and records it (channel `bucket`,
//! attributed to the acquisition's owner); then, by config, the object is
//! deleted or kept. A sweep cut short between recording and the rest finds
//! the same bytes (one delivery per acquisition and SHA-256) or the
//! recorded version, and only finishes the job.

use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, ObjectStoreExt};
use serde::Deserialize;

use airlock_catalog::Channel;

use crate::folders::delivering;
use crate::lake::Lake;
use crate::names::FileName;
use crate::{App, IngestError};

/// One `[[drop_buckets]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropBucket {
    /// `s3://bucket/prefix`, `file:///dir` or `hdfs://…`.
    pub url: String,
    pub acquisition_id: String,
    /// When to sweep: a cron expression with seconds.
    #[serde(default = "default_schedule")]
    pub schedule: String,
    /// What becomes of a taken object.
    #[serde(default)]
    pub after: After,
}

fn default_schedule() -> String {
    "0 * * * * *".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum After {
    /// Delete it from the bucket (the default).
    #[default]
    Delete,
    /// Leave it; the catalog remembers it was taken.
    Keep,
}

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub taken: u64,
    /// Objects taken before (kept, or their deletion redone).
    pub known: u64,
    pub paused: bool,
}

/// Sweeps one bucket once.
pub async fn sweep(app: &App, bucket: &DropBucket) -> Result<Summary, IngestError> {
    let mut summary = Summary::default();
    let Some((acq, owner, decided_by)) =
        delivering(app, &bucket.acquisition_id, &bucket.url).await?
    else {
        summary.paused = true;
        return Ok(summary);
    };
    let store = Lake::open(&bucket.url)?.store;
    let mut objects: Vec<_> = store.list(None).try_collect().await?;
    objects.sort_by(|a, b| a.location.cmp(&b.location));
    for meta in objects {
        let key = meta.location.to_string();
        let name = meta.location.filename().unwrap_or_default().to_owned();
        if name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp") {
            continue;
        }
        let etag = meta.e_tag.clone().unwrap_or_default();
        if app
            .catalog
            .bucket_object(&bucket.url, &key, &etag)
            .await?
            .is_some()
        {
            summary.known += 1;
            if bucket.after == After::Delete {
                delete(&store, &meta.location).await?;
            }
            continue;
        }
        let filename = FileName::lossy(&name);
        if filename.as_str() != name {
            tracing::warn!(key, delivered_as = %filename, "drop bucket: the name is not valid; delivered under a valid one");
        }
        let mut ticket = match app
            .admission
            .admit(app, &owner.user_id, &acq.id, Some(meta.size))
            .await
        {
            Ok(t) => t,
            Err(IngestError::Busy { message, .. }) => {
                tracing::info!(url = %bucket.url, %message, "drop bucket paused");
                summary.paused = true;
                return Ok(summary);
            }
            Err(e) => return Err(e),
        };
        // Pinned to the listed version: an overwrite mid-read fails the
        // read instead of mixing two versions.
        let opts = GetOptions {
            if_match: meta.e_tag.clone(),
            ..GetOptions::default()
        };
        let stream = store
            .get_opts(&meta.location, opts)
            .await?
            .into_stream()
            .map(|r| r.map_err(|e| e.to_string()));
        let received = app
            .quarantine
            .receive(stream, |n| ticket.reserve(n))
            .await?;
        let (sha256, size) = (received.sha256.clone(), received.size_bytes as i64);
        let inserted = app
            .record_delivery(
                received,
                crate::Delivery {
                    acquisition_id: &acq.id,
                    filename: filename.as_str(),
                    channel: Channel::Bucket,
                    submitted_by: &owner.user_id,
                    declared_format: None,
                },
                &decided_by,
            )
            .await?;
        app.catalog
            .take_bucket_object(&bucket.url, &key, &etag, size, &sha256, &inserted.file.id)
            .await?;
        if bucket.after == After::Delete {
            delete(&store, &meta.location).await?;
        }
        summary.taken += 1;
    }
    Ok(summary)
}

async fn delete(
    store: &std::sync::Arc<dyn object_store::ObjectStore>,
    key: &object_store::path::Path,
) -> Result<(), IngestError> {
    match store.delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
