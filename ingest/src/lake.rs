//! Zone lakes, all through `object_store`: `file://` (LocalFileSystem),
//! `s3://bucket/prefix` (AmazonS3, configured from the `AWS_*` environment:
//! keys, region, `AWS_ENDPOINT` for S3-compatible servers, `AWS_ALLOW_HTTP`)
//! and `hdfs://namenode:port/path` (hdfs-native, a Rust client of the
//! NameNode and DataNode protocols; Hadoop's XML config is read from
//! `HADOOP_CONF_DIR` for HA name services and Kerberos).
//!
//! A version's parts are written under `_staging/<file id>/` (engines skip
//! `_`-prefixed directories) and then moved to `<dataset>/v<N>/` (on S3 a
//! server-side copy and a delete; large parts go up as multipart uploads),
//! after which `_SUCCESS` is written. The catalog row turning `published`
//! is the commit point: a version is visible through Airlock only once that
//! row commits. A crash before it leaves at most staged parts or an
//! unreferenced version directory, which the retried step clears and
//! writes again, since the version number is reserved for that one file.

use std::collections::BTreeMap;
use std::sync::Arc;

use hdfs_native_object_store::HdfsObjectStoreBuilder;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt};

use airlock_zones::{Zone, ZoneSet};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::IngestError;
use airlock_convert::write::{Part, part_name};

/// Written last into a version's directory, after every part: the Hadoop
/// convention telling tools that read the directory that it is complete.
pub const SUCCESS_MARKER: &str = "_SUCCESS";

/// The S3 store of an `s3://BUCKET[/PREFIX]` URL: the environment's
/// configuration (`AWS_*`) with `options` over it.
pub fn s3_builder(
    url: &str,
    options: &BTreeMap<String, String>,
) -> Result<AmazonS3Builder, IngestError> {
    let bucket = url
        .strip_prefix("s3://")
        .and_then(|rest| rest.split('/').next())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            IngestError::Config(format!("URL {url:?}: expected s3://BUCKET[/PREFIX]"))
        })?;
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    for (key, value) in options {
        let key = key
            .parse()
            .map_err(|e| IngestError::Config(format!("URL {url:?}: option {key:?}: {e}")))?;
        builder = builder.with_config(key, value);
    }
    Ok(builder)
}

#[derive(Clone)]
pub struct Lake {
    pub store: Arc<dyn ObjectStore>,
    /// The lake's URL, used to build locations analysts can open.
    pub url: String,
}

impl Lake {
    pub fn open(url: &str) -> Result<Self, IngestError> {
        Self::open_with(url, &BTreeMap::new())
    }

    /// Opens `url` with object_store `options` (`aws_endpoint`,
    /// `aws_region`, …) over what the environment configures.
    pub fn open_with(url: &str, options: &BTreeMap<String, String>) -> Result<Self, IngestError> {
        let url = url.trim_end_matches('/');
        let store: Arc<dyn ObjectStore> = if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir)?;
            Arc::new(LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true))
        } else if let Some(rest) = url.strip_prefix("s3://") {
            let prefix = rest.split_once('/').map_or("", |(_, p)| p);
            let s3 = s3_builder(url, options)?
                .build()
                .map_err(|e| IngestError::Config(format!("lake URL {url:?}: {e}")))?;
            prefixed(s3, prefix, url)?
        } else if let Some(rest) = url.strip_prefix("hdfs://") {
            let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if authority.is_empty() {
                return Err(IngestError::Config(format!(
                    "lake URL {url:?}: expected hdfs://NAMENODE[:PORT][/PATH]"
                )));
            }
            let hdfs = HdfsObjectStoreBuilder::new()
                .with_url(format!("hdfs://{authority}"))
                .build()
                .map_err(|e| IngestError::Config(format!("lake URL {url:?}: {e}")))?;
            prefixed(hdfs, prefix, url)?
        } else {
            return Err(IngestError::Config(format!(
                "lake URL {url:?}: expected file:///PATH, s3://BUCKET[/PREFIX] or \
                 hdfs://NAMENODE[:PORT][/PATH]"
            )));
        };
        Ok(Self {
            store,
            url: url.to_owned(),
        })
    }

    /// Everything a file's conversion stages…
    pub fn staging_prefix(file_id: &str) -> Path {
        Path::from_iter(["_staging", file_id])
    }

    /// …one directory per table it becomes (a workbook's sheets).
    pub fn table_staging(file_id: &str, table: usize) -> Path {
        Self::staging_prefix(file_id).join(table.to_string())
    }

    pub fn version_prefix(dataset: &str, version: i64) -> Path {
        Path::from_iter([dataset.to_owned(), format!("v{version}")])
    }

    /// `dir` joined with `path`, a relative path of one or more segments.
    pub fn join(dir: &Path, path: &str) -> Path {
        path.split('/')
            .fold(dir.clone(), |p, segment| p.join(segment))
    }

    /// The location recorded in the catalog: the version's directory.
    pub fn location(&self, dataset: &str, version: i64) -> String {
        format!("{}/{}/", self.url, Self::version_prefix(dataset, version))
    }

    /// The dataset's directory, Iceberg's table location.
    pub fn table_location(&self, dataset: &str) -> String {
        format!("{}/{dataset}/", self.url)
    }

    /// The names the staged parts take in the version's directory, with
    /// their rows and sizes, in order: several stagings (a transfer's, one
    /// per source part) are numbered on.
    pub fn committed_parts(staged: &[(Path, &[Part])]) -> Vec<(String, i64, i64)> {
        staged
            .iter()
            .flat_map(|(_, parts)| parts.iter())
            .enumerate()
            .map(|(i, p)| (part_name(i), p.rows, p.size_bytes))
            .collect()
    }

    /// Moves the staged parts under the version's directory (a rename on
    /// the local filesystem; a server-side copy and a delete on S3), writes
    /// `sidecars` (the version's Iceberg metadata, by path within its
    /// directory), then the `_SUCCESS` marker. The parts of several stagings (a
    /// transfer's, one per source part) are numbered on in order. The
    /// directory is this file's alone (its version number is reserved for
    /// it), so whatever an earlier, crashed attempt left there is cleared
    /// first; the step can be redone any number of times.
    pub async fn commit(
        &self,
        staged: &[(Path, &[Part])],
        dataset: &str,
        version: i64,
        sidecars: &[(String, Vec<u8>)],
    ) -> Result<(), IngestError> {
        let dir = Self::version_prefix(dataset, version);
        self.delete_under(&dir).await?;
        let names = Self::committed_parts(staged);
        let from: Vec<Path> = staged
            .iter()
            .flat_map(|(staging, parts)| {
                parts.iter().map(|p| staging.clone().join(p.name.as_str()))
            })
            .collect();
        for (from, (to, ..)) in from.iter().zip(&names) {
            self.store
                .rename(from, &dir.clone().join(to.as_str()))
                .await?;
        }
        for (path, bytes) in sidecars {
            let to = Self::join(&dir, path);
            self.store.put(&to, bytes.clone().into()).await?;
        }
        self.store
            .put(&dir.join(SUCCESS_MARKER), Default::default())
            .await?;
        Ok(())
    }

    /// Every object of a version, with its size and SHA-256 (streamed, so
    /// memory stays flat whatever a part's size), in key order.
    pub async fn inventory(
        &self,
        dataset: &str,
        version: i64,
    ) -> Result<Vec<LakeObject>, IngestError> {
        let prefix = Self::version_prefix(dataset, version);
        let mut objects: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        objects.sort_by(|a, b| a.location.cmp(&b.location));
        let mut out = Vec::with_capacity(objects.len());
        for meta in objects {
            let mut hash = Sha256::new();
            let mut stream = self.store.get(&meta.location).await?.into_stream();
            while let Some(chunk) = stream.try_next().await? {
                hash.update(&chunk);
            }
            out.push(LakeObject {
                key: meta.location.to_string(),
                size_bytes: meta.size,
                sha256: hex::encode(hash.finalize()),
            });
        }
        Ok(out)
    }

    /// Deletes every object of a version and checks that none is left.
    pub async fn delete_version(&self, dataset: &str, version: i64) -> Result<(), IngestError> {
        let prefix = Self::version_prefix(dataset, version);
        self.delete_under(&prefix).await?;
        let left: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        match left.first() {
            None => Ok(()),
            Some(o) => Err(IngestError::Unavailable(format!(
                "{} still holds {} after deletion",
                self.url, o.location
            ))),
        }
    }

    pub async fn clear_staging(&self, file_id: &str) -> Result<(), IngestError> {
        self.delete_under(&Self::staging_prefix(file_id)).await
    }

    async fn delete_under(&self, prefix: &Path) -> Result<(), IngestError> {
        let objects: Vec<_> = self.store.list(Some(prefix)).try_collect().await?;
        for meta in objects {
            match self.store.delete(&meta.location).await {
                Err(object_store::Error::NotFound { .. }) | Ok(()) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// `store`, under `prefix` when there is one.
fn prefixed(
    store: impl ObjectStore,
    prefix: &str,
    url: &str,
) -> Result<Arc<dyn ObjectStore>, IngestError> {
    let prefix =
        Path::parse(prefix).map_err(|e| IngestError::Config(format!("lake URL {url:?}: {e}")))?;
    Ok(if prefix.as_ref().is_empty() {
        Arc::new(store)
    } else {
        Arc::new(PrefixStore::new(store, prefix))
    })
}

/// One object in a lake, as deletion proofs record it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LakeObject {
    pub key: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// One lake per zone that has one.
#[derive(Clone)]
pub struct Lakes(BTreeMap<String, Lake>);

impl Lakes {
    /// Opens the lake of every zone but the ingest zone, at the URL
    /// `url_of` gives it.
    pub fn open(
        zones: &ZoneSet,
        url_of: impl Fn(&Zone) -> Result<String, IngestError>,
    ) -> Result<Self, IngestError> {
        let mut lakes = BTreeMap::new();
        for zone in zones.iter() {
            if zone.kind == airlock_zones::ZoneKind::Ingest {
                continue;
            }
            let url = url_of(zone)?;
            lakes.insert(zone.name.to_string(), Lake::open(&url)?);
        }
        Ok(Self(lakes))
    }

    /// Each zone's name and its lake's URL.
    pub fn urls(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(zone, lake)| (zone.as_str(), lake.url.as_str()))
    }

    pub fn get(&self, zone: &str) -> Result<&Lake, IngestError> {
        self.0
            .get(zone)
            .ok_or_else(|| IngestError::Config(format!("zone {zone:?} has no lake")))
    }
}
