//! Object-store drop buckets: a bucket and prefix (any object_store URL
//! a lake can have) bound to an acquisition and swept on a schedule.
//!
//! An object is whole once listed (stores make objects visible whole). It
//! is taken exactly once per version: each taken (key, ETag) is recorded
//! with the delivery it became, and the read is pinned to the listed ETag,
//! so an object overwritten mid-read is not taken torn. Taking streams it
//! into quarantine (hashed, fsync'd) and records it (channel `bucket`,
//! attributed to the acquisition's owner); then, by config, the object is
//! deleted, kept, or kept with S3 tags naming its delivery. A sweep cut short between recording and the rest finds
//! the same bytes (one delivery per acquisition and SHA-256) or the
//! recorded version, and only finishes the job.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::Method;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3ConfigKey, AwsAuthorizer};
use object_store::client::{
    ClientConfigKey, ClientOptions, HttpClient, HttpConnector, HttpRequestBody, ReqwestConnector,
};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{GetOptions, ObjectStoreExt};
use serde::Deserialize;

use airlock_catalog::Channel;

use crate::IngestError;
use crate::intake::{self, Arrival, Intake};
use crate::lake::{Lake, s3_builder};
use crate::names::FileName;

/// One `[[drop_buckets]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropBucket {
    /// `s3://bucket/prefix`, `file:///dir` or `hdfs://…`.
    pub url: String,
    /// object_store settings for this bucket over the environment's
    /// (`aws_endpoint`, `aws_region`, `aws_access_key_id`, …): a
    /// supplier's bucket is often elsewhere than the lakes.
    #[serde(default)]
    pub options: StoreOptions,
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
    /// Leave it with the S3 object tags `airlock=accepted` and
    /// `airlock-delivery=<file id>` (s3:// only), for lifecycle rules and
    /// for the supplier to see.
    Tag,
}

/// Store settings; `Debug` shows the keys only (values may be secrets).
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct StoreOptions(pub BTreeMap<String, String>);

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl DropBucket {
    /// Checks what can be checked before a sweep.
    pub fn check(&self) -> Result<(), IngestError> {
        if self.after == After::Tag && !self.url.starts_with("s3://") {
            return Err(IngestError::Config(format!(
                "[[drop_buckets]] {}: after = \"tag\" needs an s3:// bucket",
                self.url
            )));
        }
        Lake::open_with(&self.url, &self.options.0).map(|_| ())
    }
}

/// Tags taken objects of one S3 drop bucket (object_store has no call for
/// it): a signed `PUT ?tagging` on the object's own URL.
struct Tagger {
    s3: AmazonS3,
    region: String,
    prefix: Path,
    http: HttpClient,
}

impl Tagger {
    fn new(bucket: &DropBucket) -> Result<Self, IngestError> {
        let builder = s3_builder(&bucket.url, &bucket.options.0)?;
        let region = builder
            .get_config_value(&AmazonS3ConfigKey::Region)
            .unwrap_or_else(|| "us-east-1".into());
        let allow_http = builder
            .get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp))
            .is_some_and(|v| v == "true");
        let s3 = builder
            .build()
            .map_err(|e| IngestError::Config(format!("{}: {e}", bucket.url)))?;
        let http = ReqwestConnector::default()
            .connect(&ClientOptions::new().with_allow_http(allow_http))?;
        let prefix = bucket.url["s3://".len()..]
            .trim_end_matches('/')
            .split_once('/')
            .map_or("", |(_, p)| p);
        Ok(Self {
            s3,
            region,
            prefix: Path::from(prefix),
            http,
        })
    }

    async fn tag(&self, key: &Path, file_id: &str) -> Result<(), IngestError> {
        let key = Path::from_iter(self.prefix.parts().chain(key.parts()));
        // The object's URL exactly as object_store forms it.
        let mut url = self
            .s3
            .signed_url(Method::PUT, &key, Duration::from_secs(60))
            .await?;
        url.set_query(Some("tagging"));
        let body = format!(
            "<Tagging><TagSet>\
             <Tag><Key>airlock</Key><Value>accepted</Value></Tag>\
             <Tag><Key>airlock-delivery</Key><Value>{file_id}</Value></Tag>\
             </TagSet></Tagging>"
        );
        let mut request = axum::http::Request::builder()
            .method(Method::PUT)
            .uri(url.as_str())
            .header("content-type", "application/xml")
            .body(HttpRequestBody::from(body))
            .map_err(|e| IngestError::Unavailable(format!("tagging {key}: {e}")))?;
        let credential = self.s3.credentials().get_credential().await?;
        AwsAuthorizer::new(&credential, "s3", &self.region).try_authorize(&mut request, None)?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| IngestError::Unavailable(format!("tagging {key}: {e}")))?;
        match response.status() {
            s if s.is_success() => Ok(()),
            s => Err(IngestError::Unavailable(format!(
                "tagging {key}: the store answered {s}"
            ))),
        }
    }
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
pub async fn sweep(intake: Intake<'_>, bucket: &DropBucket) -> Result<Summary, IngestError> {
    let mut summary = Summary::default();
    let owner = intake::owner(intake, &bucket.acquisition_id).await?;
    let store = Lake::open_with(&bucket.url, &bucket.options.0)?.store;
    let tagger = match bucket.after {
        After::Tag => Some(Tagger::new(bucket)?),
        _ => None,
    };
    let mut objects: Vec<_> = store.list(None).try_collect().await?;
    objects.sort_by(|a, b| a.location.cmp(&b.location));
    for meta in objects {
        let key = meta.location.to_string();
        let name = meta.location.filename().unwrap_or_default().to_owned();
        if name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp") {
            continue;
        }
        let etag = meta.e_tag.clone().unwrap_or_default();
        if intake
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
        let arrival = Arrival {
            who: &owner,
            acquisition_id: &bucket.acquisition_id,
            channel: Channel::Bucket,
            declared_format: None,
            length: Some(meta.size),
        };
        let Some(mut gate) = intake::open_or_wait(intake, arrival, &bucket.url).await? else {
            summary.paused = true;
            return Ok(summary);
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
        let received = gate.receive(intake, stream).await?;
        let (sha256, size) = (received.sha256.clone(), received.size_bytes as i64);
        let inserted = gate.record(intake, received, &filename).await?;
        intake
            .catalog
            .take_bucket_object(&bucket.url, &key, &etag, size, &sha256, &inserted.file.id)
            .await?;
        match &tagger {
            Some(t) => t.tag(&meta.location, &inserted.file.id).await?,
            None if bucket.after == After::Delete => delete(&store, &meta.location).await?,
            None => {}
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
