//! How analysts' own engines reach a zone's lake: the location of its
//! files and, for an S3 lake, the read credential the operator configured
//! for that zone (`[lake_readers.<zone>]`), which the Iceberg catalog
//! vends with each table a cleared caller loads.
//!
//! Key decision: the vended key is never the daemon's own. The daemon
//! writes with `AWS_*` from its environment; a reader is a separate,
//! read-only key scoped to the zone's prefix, its secret read from a file
//! (a mounted secret) and never logged. A reader configured with the
//! daemon's own key id refuses to start, and a zone with no reader vends
//! nothing: its analysts must bring their own access.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use airlock_iceberg::rest::StorageAccess;
use airlock_zones::ZoneName;

use crate::IngestError;

/// `[lake_readers.<zone>]`: the read-only key for an S3 zone lake.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LakeReaderConfig {
    pub access_key_id: String,
    /// A file holding the secret access key, and nothing else.
    pub secret_access_key_file: PathBuf,
    /// A file holding a session token, for temporary credentials.
    pub session_token_file: Option<PathBuf>,
    /// `s3.endpoint` for an S3-compatible server; AWS when absent.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Path-style URLs (`endpoint/bucket/key`), which most S3-compatible
    /// servers need.
    #[serde(default)]
    pub path_style_access: bool,
}

/// A secret value; its `Debug` shows nothing of it.
#[derive(Clone)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone)]
struct ZoneReader {
    /// The zone lake's URL with a trailing `/`.
    prefix: String,
    config: LakeReaderConfig,
    secret: Secret,
    session_token: Option<Secret>,
}

/// Every zone's vended read access.
#[derive(Debug, Clone, Default)]
pub struct LakeAccess {
    readers: BTreeMap<String, ZoneReader>,
}

impl LakeAccess {
    /// Checks and loads the configured readers against the zones' lake
    /// URLs (`lakes`: zone name and URL). `daemon_key_id` is the daemon's
    /// own write key (`AWS_ACCESS_KEY_ID`), which no reader may be.
    pub fn new<'a>(
        lakes: impl IntoIterator<Item = (&'a str, &'a str)>,
        readers: &BTreeMap<String, LakeReaderConfig>,
        daemon_key_id: Option<&str>,
    ) -> Result<Self, IngestError> {
        let lakes: BTreeMap<&str, &str> = lakes.into_iter().collect();
        let mut out = BTreeMap::new();
        for (zone, config) in readers {
            let section = format!("[lake_readers.{zone}]");
            let cfg = |why: String| IngestError::Config(format!("{section}: {why}"));
            let url = lakes
                .get(zone.as_str())
                .ok_or_else(|| cfg("no such lake zone".into()))?;
            if !url.starts_with("s3://") {
                return Err(cfg(format!(
                    "the zone's lake is {url}, not S3: readers are vended for S3 lakes only"
                )));
            }
            if daemon_key_id == Some(config.access_key_id.as_str()) {
                return Err(cfg(
                    "access_key_id is the daemon's own write key (AWS_ACCESS_KEY_ID); \
                     give analysts a read-only key of their own"
                        .into(),
                ));
            }
            let read = |path: &PathBuf| -> Result<Secret, IngestError> {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| cfg(format!("reading {}: {e}", path.display())))?;
                let text = text.trim();
                if text.is_empty() {
                    return Err(cfg(format!("{} is empty", path.display())));
                }
                Ok(Secret(text.to_owned()))
            };
            let secret = read(&config.secret_access_key_file)?;
            let session_token = config.session_token_file.as_ref().map(read).transpose()?;
            out.insert(
                zone.clone(),
                ZoneReader {
                    prefix: format!("{}/", url.trim_end_matches('/')),
                    config: config.clone(),
                    secret,
                    session_token,
                },
            );
        }
        Ok(Self { readers: out })
    }

    /// The storage access vended for `zone`'s lake: its reader's key,
    /// scoped to the lake's prefix; `None` for a local lake, or an S3 lake
    /// with no reader configured.
    pub fn vend(&self, zone: &ZoneName) -> Option<StorageAccess> {
        let r = self.readers.get(zone.as_str())?;
        let mut config = BTreeMap::new();
        let mut set = |k: &str, v: &str| config.insert(k.to_owned(), v.to_owned());
        set("s3.access-key-id", &r.config.access_key_id);
        set("s3.secret-access-key", &r.secret.0);
        if let Some(token) = &r.session_token {
            set("s3.session-token", &token.0);
        }
        if let Some(endpoint) = &r.config.endpoint {
            set("s3.endpoint", endpoint);
        }
        if let Some(region) = &r.config.region {
            set("s3.region", region);
            set("client.region", region);
        }
        if r.config.path_style_access {
            set("s3.path-style-access", "true");
        }
        Some(StorageAccess {
            prefix: r.prefix.clone(),
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(dir: &std::path::Path, key: &str) -> LakeReaderConfig {
        let secret = dir.join("secret");
        std::fs::write(&secret, "s3cr3t\n").unwrap();
        LakeReaderConfig {
            access_key_id: key.into(),
            secret_access_key_file: secret,
            session_token_file: None,
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: Some("eu-west-2".into()),
            path_style_access: true,
        }
    }

    #[test]
    fn a_zones_reader_is_vended_for_its_prefix_only() {
        let dir = tempfile::tempdir().unwrap();
        let readers = [("sandbox".to_owned(), reader(dir.path(), "analyst-read"))].into();
        let lakes = [
            ("sandbox", "s3://lake/airlock/sandbox"),
            ("corporate", "s3://lake/airlock/corporate"),
        ];
        let access = LakeAccess::new(lakes, &readers, Some("daemon-write")).unwrap();
        let vended = access.vend(&"sandbox".parse().unwrap()).unwrap();
        assert_eq!(vended.prefix, "s3://lake/airlock/sandbox/");
        assert_eq!(vended.config["s3.access-key-id"], "analyst-read");
        assert_eq!(vended.config["s3.secret-access-key"], "s3cr3t");
        assert_eq!(vended.config["s3.endpoint"], "http://127.0.0.1:9000");
        assert_eq!(vended.config["s3.path-style-access"], "true");
        assert!(access.vend(&"corporate".parse().unwrap()).is_none());
        assert!(!format!("{access:?}").contains("s3cr3t"), "{access:?}");
    }

    #[test]
    fn the_daemons_own_key_and_local_lakes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let readers = [("sandbox".to_owned(), reader(dir.path(), "daemon-write"))].into();
        let err = LakeAccess::new(
            [("sandbox", "s3://lake/sandbox")],
            &readers,
            Some("daemon-write"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("daemon's own write key"), "{err}");
        let err = LakeAccess::new([("sandbox", "file:///lake/sandbox")], &readers, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not S3"), "{err}");
        let err = LakeAccess::new([("corporate", "s3://lake/c")], &readers, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[lake_readers.sandbox]: no such lake zone"),
            "{err}"
        );
    }
}
