//! The daemon's configuration: TOML, unknown fields refused, units in names.
//! Every field has an embedded default, so no file is needed at all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use airlock_policies::{Policies, PolicyFile};
use airlock_zones::{Zone, ZoneSet};
use serde::Deserialize;

use crate::IngestError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub catalog: CatalogConfig,
    pub scanner: ScannerConfig,
    pub pipeline: PipelineConfig,
    pub limits: LimitsConfig,
    pub retention: RetentionConfig,
    /// Directories swept for deliveries, each bound to an acquisition.
    pub drop_folders: Vec<crate::folders::DropFolder>,
    /// Object-store prefixes swept for deliveries, each bound to an
    /// acquisition.
    pub drop_buckets: Vec<crate::buckets::DropBucket>,
    /// The SFTP drop endpoint; off unless configured.
    pub sftp: Option<crate::sftp::SftpConfig>,
    /// Accept OIDC JWTs from one identity provider, beside Airlock tokens.
    pub oidc: Option<crate::oidc::OidcConfig>,
    /// Empty means the default zones: trusted, corporate and sandbox.
    pub zones: Vec<Zone>,
    /// `[lake_readers.<zone>]`: the read-only key the Iceberg catalog
    /// vends for an S3 zone lake. Never the daemon's own.
    pub lake_readers: std::collections::BTreeMap<String, crate::query::LakeReaderConfig>,
    /// A directory of Cedar policy files (`*.cedar`) that replaces the
    /// policies shipped with Airlock. Validated at startup.
    pub policy_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// `sqlite:PATH` or `postgres://…`. Default: `sqlite:<data_dir>/catalog.db`.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScannerConfig {
    pub clamd_connect_timeout_secs: u64,
    /// Time one engine may take over one file.
    pub engine_timeout_secs: u64,
    /// The engines. Empty means the defaults: clamav (when a clamd is
    /// found), filetype, yara and archive.
    pub engines: Vec<EngineConfig>,
    /// `"all"` (the default): every engine must say clean for the file and
    /// every member. A number N: at least N content engines must say clean
    /// and the others may be down; a finding or a limit still stops the
    /// file.
    pub quorum: QuorumConfig,
    pub rescan: RescanConfig,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        Self {
            clamd_connect_timeout_secs: 5,
            engine_timeout_secs: 600,
            engines: vec![],
            quorum: QuorumConfig::default(),
            rescan: RescanConfig::default(),
        }
    }
}

/// `quorum = "all"` or `quorum = N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "toml::Value")]
pub enum QuorumConfig {
    #[default]
    All,
    MinClean(usize),
}

impl TryFrom<toml::Value> for QuorumConfig {
    type Error = String;
    fn try_from(v: toml::Value) -> Result<Self, String> {
        match v {
            toml::Value::String(s) if s == "all" => Ok(Self::All),
            toml::Value::Integer(n) if n >= 1 => Ok(Self::MinClean(n as usize)),
            other => Err(format!(
                "quorum must be \"all\" or a number of engines of at least 1, not {other}"
            )),
        }
    }
}

/// The rescan job: when a signature database changes, the sources of
/// recently published datasets are scanned again.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RescanConfig {
    /// A cron expression with seconds: `sec min hour day month weekday`.
    pub schedule: String,
    /// Sources of versions published this recently are rescanned.
    pub published_within_days: u64,
}

impl Default for RescanConfig {
    fn default() -> Self {
        Self {
            schedule: "0 */15 * * * *".into(),
            published_within_days: 30,
        }
    }
}

/// The retention job: dataset versions older than their acquisition's
/// `retention_days` are deleted from the lake, with proof in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// A cron expression with seconds: `sec min hour day month weekday`.
    pub schedule: String,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            schedule: "0 30 2 * * *".into(),
        }
    }
}

/// One `[[scanner.engines]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EngineConfig {
    /// clamd over INSTREAM. Without `address`: `AIRLOCK_CLAMD`, else the
    /// first default address that answers.
    Clamav {
        #[serde(default)]
        address: Option<String>,
        /// A pool of clamd servers, used in turn; one that fails leaves the
        /// rotation for `health_check_secs`. Instead of `address`.
        #[serde(default)]
        addresses: Vec<String>,
        /// How long a failed clamd stays out of the rotation (default 10).
        #[serde(default)]
        health_check_secs: Option<u64>,
        /// Bytes per INSTREAM session, at most clamd's StreamMaxLength
        /// (default 24 MiB, under Debian's 25M). Longer streams are scanned
        /// in windows that overlap by one 1 MiB chunk.
        #[serde(default)]
        window_bytes: Option<u64>,
    },
    /// YARA-X with the shipped rules plus `rules_dirs`.
    Yara {
        #[serde(default)]
        rules_dirs: Vec<PathBuf>,
    },
    /// SHA-256 blocklist files.
    Hashlist { files: Vec<PathBuf> },
    /// Magic bytes against the extension; executables, scripts, macros and
    /// encrypted archives refused.
    Filetype,
    /// Zip, gzip and tar members scanned by every engine, under budgets
    /// shared by the whole tree of one delivered file.
    Archive {
        /// Archive levels opened (default 6).
        #[serde(default)]
        max_depth: Option<u32>,
        /// Members over all levels (default 10000).
        #[serde(default)]
        max_members: Option<u64>,
        /// Bytes expanded over all levels (default 64 GiB).
        #[serde(default)]
        max_expanded_bytes: Option<u64>,
        /// Expanded bytes per delivered byte, past 16 MiB (default 200).
        #[serde(default)]
        max_ratio: Option<u64>,
        /// Wall time for the expansion (default 1800).
        #[serde(default)]
        max_expand_secs: Option<u64>,
    },
}

impl EngineConfig {
    /// The archive layer with its default budgets.
    pub fn archive() -> Self {
        EngineConfig::Archive {
            max_depth: None,
            max_members: None,
            max_expanded_bytes: None,
            max_ratio: None,
            max_expand_secs: None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            EngineConfig::Clamav { .. } => "clamav",
            EngineConfig::Yara { .. } => "yara",
            EngineConfig::Hashlist { .. } => "hashlist",
            EngineConfig::Filetype => "filetype",
            EngineConfig::Archive { .. } => "archive",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Concurrent pipeline workers in this daemon.
    pub workers: usize,
    /// How often idle workers look for work another daemon made due.
    pub poll_interval_ms: u64,
    /// How long a claimed file stays leased without a heartbeat.
    pub lease_secs: u64,
    /// First retry delay for held files; doubles per attempt.
    pub retry_initial_secs: u64,
    pub retry_max_secs: u64,
    /// Record batch size of the converter.
    pub batch_rows: usize,
    /// Parquet row groups hold at most this many rows…
    pub row_group_rows: usize,
    /// …and about this many encoded bytes (which bounds the memory a
    /// conversion holds).
    pub row_group_bytes: usize,
    /// A dataset version's parts close at the first row group past this.
    pub part_bytes: usize,
    /// Threads one conversion parses and encodes with; 0: one per core.
    pub convert_threads: usize,
    /// CSV column types are inferred from this much of the file's start
    /// (whole records); a later value that does not fit widens its column.
    pub infer_sample_bytes: usize,
    /// The Parquet pages' zstd level, 1 to 22. 3 (as DuckDB, polars and
    /// Spark) balances size and speed; 1 converts about a fifth faster for
    /// about 5% more bytes.
    pub zstd_level: i32,
    /// Convert a delivery into the lake's staging while it is scanned
    /// (the default), or only once every verdict is clean: for a site
    /// whose rules forbid parsing bytes before they are scanned, at the
    /// cost of a second pass.
    pub convert_while_scanning: bool,
}

impl PipelineConfig {
    /// Sizes of zero would stall a conversion: refused at start.
    fn check(&self) -> Result<(), IngestError> {
        for (name, value) in [
            ("batch_rows", self.batch_rows),
            ("row_group_rows", self.row_group_rows),
            ("row_group_bytes", self.row_group_bytes),
            ("part_bytes", self.part_bytes),
            ("infer_sample_bytes", self.infer_sample_bytes),
        ] {
            if value == 0 {
                return Err(IngestError::Config(format!(
                    "[pipeline] {name} must be at least 1"
                )));
            }
        }
        if !(1..=22).contains(&self.zstd_level) {
            return Err(IngestError::Config(
                "[pipeline] zstd_level must be 1 to 22".into(),
            ));
        }
        Ok(())
    }

    pub fn threads(&self) -> usize {
        match self.convert_threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

impl Default for PipelineConfig {
    /// The converter's own defaults, so the daemon and the in-process
    /// bench convert alike.
    fn default() -> Self {
        let convert = airlock_convert::ConvertOptions::default();
        Self {
            workers: 2,
            poll_interval_ms: 1000,
            lease_secs: 60,
            retry_initial_secs: 5,
            retry_max_secs: 300,
            batch_rows: convert.batch_rows,
            row_group_rows: convert.row_group_rows,
            row_group_bytes: convert.row_group_bytes,
            part_bytes: convert.part_bytes,
            convert_threads: 0,
            infer_sample_bytes: convert.sample_bytes,
            zstd_level: convert.zstd_level,
            convert_while_scanning: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest accepted delivery.
    pub max_file_bytes: u64,
    /// Longest CSV record (a row, quoted newlines included).
    pub max_record_bytes: usize,
    /// Most columns in a table.
    pub max_columns: usize,
    /// Bytes delivered but not yet published or rejected (in quarantine or
    /// still arriving), in all: past it, deliveries get 503 and
    /// `Retry-After`.
    pub max_inflight_bytes: u64,
    /// The same, for one acquisition.
    pub max_inflight_bytes_per_acquisition: u64,
    /// Uploads one user may have arriving at once: past it, 429.
    pub max_concurrent_uploads_per_user: u32,
    /// A resumable upload idle this long is forgotten, bytes and all.
    pub upload_expiry_secs: u64,
}

impl From<&LimitsConfig> for crate::admission::Limits {
    fn from(c: &LimitsConfig) -> Self {
        crate::admission::Limits {
            max_file_bytes: c.max_file_bytes,
            max_inflight_bytes_per_acquisition: c.max_inflight_bytes_per_acquisition,
            max_inflight_bytes: c.max_inflight_bytes,
            max_concurrent_uploads_per_user: c.max_concurrent_uploads_per_user,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let convert = airlock_convert::ConvertOptions::default();
        Self {
            max_file_bytes: 100 << 30,
            max_record_bytes: convert.max_record_bytes,
            max_columns: convert.max_columns,
            max_inflight_bytes: 1 << 40,
            max_inflight_bytes_per_acquisition: 256 << 30,
            max_concurrent_uploads_per_user: 8,
            upload_expiry_secs: 86_400,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            data_dir: PathBuf::from("./airlock-data"),
            catalog: CatalogConfig::default(),
            scanner: ScannerConfig::default(),
            pipeline: PipelineConfig::default(),
            limits: LimitsConfig::default(),
            retention: RetentionConfig::default(),
            oidc: None,
            sftp: None,
            drop_folders: vec![],
            drop_buckets: vec![],
            zones: vec![],
            lake_readers: Default::default(),
            policy_dir: None,
        }
    }
}

/// The `*.cedar` files of `dir`, in name order. A directory without any
/// is refused: it would deny everything.
pub fn read_policy_dir(dir: &Path) -> Result<Vec<PolicyFile>, IngestError> {
    let cfg = |e: String| IngestError::Config(format!("policy directory {}: {e}", dir.display()));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| cfg(e.to_string()))? {
        let path = entry.map_err(|e| cfg(e.to_string()))?.path();
        if path.extension().is_some_and(|x| x == "cedar") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| cfg(format!("{}: {e}", path.display())))?;
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            files.push(PolicyFile { name, text });
        }
    }
    if files.is_empty() {
        return Err(cfg("holds no .cedar files".into()));
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

impl Config {
    /// Reads a TOML file, or the embedded defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, IngestError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| IngestError::Config(format!("reading {}: {e}", path.display())))?;
        let config: Self = toml::from_str(&text)
            .map_err(|e| IngestError::Config(format!("{}: {e}", path.display())))?;
        config.pipeline.check()?;
        Ok(config)
    }

    pub fn catalog_url(&self) -> String {
        self.catalog
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("catalog.db").display()))
    }

    /// The validated zones; a forbidden flow refuses to start.
    pub fn zone_set(&self) -> Result<ZoneSet, IngestError> {
        if self.zones.is_empty() {
            Ok(ZoneSet::defaults())
        } else {
            Ok(ZoneSet::new(self.zones.clone())?)
        }
    }

    pub fn rescan_schedule(&self) -> Result<cron::Schedule, IngestError> {
        crate::jobs::schedule("[scanner.rescan]", &self.scanner.rescan.schedule)
    }

    pub fn retention_schedule(&self) -> Result<cron::Schedule, IngestError> {
        crate::jobs::schedule("[retention]", &self.retention.schedule)
    }

    /// Each drop bucket's sweep schedule, checked.
    pub fn bucket_schedules(&self) -> Result<Vec<cron::Schedule>, IngestError> {
        self.drop_buckets
            .iter()
            .map(|b| crate::jobs::schedule(&format!("[[drop_buckets]] {}", b.url), &b.schedule))
            .collect()
    }

    /// Each drop folder's sweep schedule, checked.
    pub fn drop_schedules(&self) -> Result<Vec<cron::Schedule>, IngestError> {
        self.drop_folders
            .iter()
            .map(|f| {
                let section = format!("[[drop_folders]] {}", f.path.display());
                crate::jobs::schedule(&section, &f.schedule)
            })
            .collect()
    }

    /// Checks every way in that config names: the drop folders' and
    /// buckets' schedules and the SFTP keys.
    pub fn check_endpoints(&self) -> Result<(), IngestError> {
        self.drop_schedules()?;
        self.bucket_schedules()?;
        for bucket in &self.drop_buckets {
            bucket.check()?;
        }
        if let Some(sftp) = &self.sftp {
            crate::sftp::check(sftp)?;
        }
        Ok(())
    }

    /// The validated policy set: the configured directory's, else the
    /// shipped one. Any error names its file and line.
    pub fn policies(&self) -> Result<Policies, IngestError> {
        Ok(match &self.policy_dir {
            Some(dir) => Policies::load(&read_policy_dir(dir)?)?,
            None => Policies::embedded()?,
        })
    }

    pub fn quarantine_dir(&self) -> PathBuf {
        self.data_dir.join("quarantine")
    }

    /// A zone's lake URL: configured, or a directory under the data dir.
    pub fn lake_url(&self, zone: &Zone) -> Result<String, IngestError> {
        if let Some(url) = &zone.lake {
            return Ok(url.clone());
        }
        let dir = self.data_dir.join("lake").join(zone.name.as_str());
        std::fs::create_dir_all(&dir)?;
        let abs = std::fs::canonicalize(&dir)?;
        Ok(format!("file://{}", abs.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused() {
        let err = toml::from_str::<Config>("[pipeline]\nlease = 5\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `lease`"), "{err}");
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let c: Config = toml::from_str(
            "listen = \"127.0.0.1:9999\"\n[pipeline]\nlease_secs = 7\n[[zones]]\nname = \"trusted\"\nkind = \"ingest\"\nceiling = \"OFFICIAL\"\n",
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.pipeline.lease_secs, 7);
        assert_eq!(c.pipeline.workers, 2);
        assert!(c.zone_set().is_ok());
    }

    #[test]
    fn zero_pipeline_sizes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("airlock.toml");
        std::fs::write(&path, "[pipeline]\nrow_group_rows = 0\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("row_group_rows must be at least 1"), "{err}");
        std::fs::write(&path, "[pipeline]\nrow_group_rows = 10\n").unwrap();
        assert_eq!(
            Config::load(Some(&path)).unwrap().pipeline.row_group_rows,
            10
        );
        for level in [0, 23] {
            std::fs::write(&path, format!("[pipeline]\nzstd_level = {level}\n")).unwrap();
            let err = Config::load(Some(&path)).unwrap_err().to_string();
            assert!(err.contains("zstd_level must be 1 to 22"), "{err}");
        }
    }

    #[test]
    fn quorum_is_all_or_a_positive_number() {
        let q = |text: &str| toml::from_str::<ScannerConfig>(text).map(|c| c.quorum);
        assert_eq!(q("").unwrap(), QuorumConfig::All);
        assert_eq!(q("quorum = \"all\"").unwrap(), QuorumConfig::All);
        assert_eq!(q("quorum = 2").unwrap(), QuorumConfig::MinClean(2));
        for bad in ["quorum = 0", "quorum = \"most\"", "quorum = -1"] {
            let err = q(bad).unwrap_err().to_string();
            assert!(err.contains("quorum must be"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_forbidden_flow_refuses_to_start() {
        let c: Config =
            toml::from_str(include_str!("../../tests/fixtures/forbidden-flow.toml")).unwrap();
        let err = c.zone_set().unwrap_err();
        assert!(err.to_string().contains("sandbox"), "{err}");
    }
}
