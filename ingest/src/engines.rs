//! The static engine registry: `[[scanner.engines]]` entries become engines.
//!
//! With no entries the daemon runs its defaults: clamav when a clamd answers
//! (named by `AIRLOCK_CLAMD` or found at a default address), filetype, yara
//! and archive. An explicitly listed clamav is required: if no clamd
//! answers, files are held until one does. No configuration yields zero
//! engines, and no quorum lets a file through that no engine scanned.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use airlock_scanner::{
    Budgets, ClamAv, ClamdAddr, DEFAULT_HEALTH_CHECK, DEFAULT_WINDOW_BYTES, Engine, FileType,
    HashList, Quorum, Scanner, Yara,
};

fn addr_of(engine: &ClamAv) -> String {
    engine
        .addrs()
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

use crate::IngestError;
use crate::config::{EngineConfig, QuorumConfig, ScannerConfig};

/// Where clamd is looked for when none is named.
pub const CLAMD_PROBES: &[&str] = &["/var/run/clamav/clamd.ctl", "tcp://127.0.0.1:3310"];

fn config_error(e: impl std::fmt::Display) -> IngestError {
    IngestError::Config(e.to_string())
}

/// Builds the configured engines; `clamd_env` is `AIRLOCK_CLAMD`, used by
/// clamav entries that name no address.
pub async fn build(sc: &ScannerConfig, clamd_env: Option<&str>) -> Result<Scanner, IngestError> {
    let explicit = !sc.engines.is_empty();
    let specs = if explicit {
        sc.engines.clone()
    } else {
        vec![
            EngineConfig::Clamav {
                address: None,
                addresses: vec![],
                health_check_secs: None,
                window_bytes: None,
            },
            EngineConfig::Filetype,
            EngineConfig::Yara { rules_dirs: vec![] },
            EngineConfig::archive(),
        ]
    };
    let mut engines: Vec<Arc<dyn Engine>> = Vec::new();
    let mut archive = None;
    let mut seen = Vec::new();
    for spec in specs {
        let kind = spec.kind();
        if seen.contains(&kind) {
            return Err(IngestError::Config(format!(
                "[[scanner.engines]] lists {kind} twice"
            )));
        }
        seen.push(kind);
        match spec {
            EngineConfig::Clamav {
                address,
                addresses,
                health_check_secs,
                window_bytes,
            } => {
                let timeout = Duration::from_secs(sc.clamd_connect_timeout_secs);
                let found = if addresses.is_empty() {
                    clamav(address.as_deref().or(clamd_env), explicit, timeout).await?
                } else if address.is_some() {
                    return Err(IngestError::Config(
                        "a clamav engine takes `address` or `addresses`, not both".into(),
                    ));
                } else {
                    let pool = addresses
                        .iter()
                        .map(|a| a.parse())
                        .collect::<Result<Vec<ClamdAddr>, _>>()
                        .map_err(config_error)?;
                    Some(ClamAv::pool(pool, timeout).map_err(config_error)?)
                };
                match found {
                    Some(engine) => {
                        let window = window_bytes.unwrap_or(DEFAULT_WINDOW_BYTES);
                        let check = health_check_secs
                            .map(Duration::from_secs)
                            .unwrap_or(DEFAULT_HEALTH_CHECK);
                        let engine = engine.with_window(window).map_err(config_error)?;
                        engines.push(Arc::new(engine.with_health_check(check)));
                    }
                    None => tracing::warn!(
                        probed = ?CLAMD_PROBES,
                        "NO CLAMD FOUND: scanning with the built-in engines only (filetype, yara). \
                         Set AIRLOCK_CLAMD or list a clamav engine to scan with ClamAV."
                    ),
                }
            }
            EngineConfig::Yara { rules_dirs } => {
                let dirs: Vec<&Path> = rules_dirs.iter().map(|p| p.as_path()).collect();
                engines.push(Arc::new(Yara::new(&dirs).map_err(config_error)?));
            }
            EngineConfig::Hashlist { files } => {
                engines.push(Arc::new(HashList::new(files).map_err(config_error)?));
            }
            EngineConfig::Filetype => engines.push(Arc::new(FileType::new())),
            EngineConfig::Archive {
                max_depth,
                max_members,
                max_expanded_bytes,
                max_ratio,
                max_expand_secs,
            } => {
                let d = Budgets::default();
                archive = Some(Budgets {
                    max_depth: max_depth.unwrap_or(d.max_depth),
                    max_members: max_members.unwrap_or(d.max_members),
                    max_expanded_bytes: max_expanded_bytes.unwrap_or(d.max_expanded_bytes),
                    max_ratio: max_ratio.unwrap_or(d.max_ratio),
                    max_expand_secs: max_expand_secs.unwrap_or(d.max_expand_secs),
                });
            }
        }
    }
    if engines.is_empty() {
        return Err(IngestError::Config(
            "[[scanner.engines]] lists no engine that reads content (clamav, yara, hashlist or filetype)"
                .into(),
        ));
    }
    let mut scanner = Scanner::new(engines, Duration::from_secs(sc.engine_timeout_secs));
    if let Some(budgets) = archive {
        scanner = scanner.with_archive(budgets);
    }
    let quorum = match sc.quorum {
        QuorumConfig::All => Quorum::All,
        QuorumConfig::MinClean(n) => Quorum::AtLeast(n),
    };
    scanner.with_quorum(quorum).map_err(config_error)
}

/// The clamav engine for `address`, or for the first default address that
/// answers. `None` only when clamav is optional and no clamd was found.
async fn clamav(
    address: Option<&str>,
    required: bool,
    timeout: Duration,
) -> Result<Option<ClamAv>, IngestError> {
    let candidates: Vec<&str> = match address {
        Some(a) => vec![a],
        None => CLAMD_PROBES.to_vec(),
    };
    for candidate in &candidates {
        let addr: ClamdAddr = candidate.parse().map_err(config_error)?;
        let engine = ClamAv::new(addr, timeout);
        if engine.ping().await {
            tracing::info!(clamd = %addr_of(&engine), "clamav engine enabled");
            return Ok(Some(engine));
        }
    }
    if address.is_none() && !required {
        return Ok(None);
    }
    // Required or named: keep it, fail closed until it answers.
    let addr: ClamdAddr = candidates[0].parse().map_err(config_error)?;
    tracing::warn!(clamd = %addr, "clamd does not answer; files will be held until it does");
    Ok(Some(ClamAv::new(addr, timeout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_text: &str) -> ScannerConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[tokio::test]
    async fn defaults_never_lose_the_built_in_engines() {
        // Nothing listens on port 1.
        let s = build(&ScannerConfig::default(), Some("tcp://127.0.0.1:1"))
            .await
            .unwrap();
        assert_eq!(s.engine_names(), ["clamav", "filetype", "yara", "archive"]);
    }

    #[tokio::test]
    async fn an_explicit_list_is_exactly_what_runs() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("block.sha256");
        std::fs::write(&list, "").unwrap();
        let sc = config(&format!(
            "[[engines]]\ntype = \"hashlist\"\nfiles = [{:?}]\n[[engines]]\ntype = \"yara\"\n",
            list.display().to_string()
        ));
        assert_eq!(
            build(&sc, None).await.unwrap().engine_names(),
            ["hashlist", "yara"]
        );
    }

    #[tokio::test]
    async fn a_listed_clamav_is_kept_even_when_down() {
        let sc = config(
            "clamd_connect_timeout_secs = 1\n[[engines]]\ntype = \"clamav\"\naddress = \"tcp://127.0.0.1:1\"\n",
        );
        assert_eq!(build(&sc, None).await.unwrap().engine_names(), ["clamav"]);
        let pool = config(
            "[[engines]]\ntype = \"clamav\"\naddresses = [\"tcp://127.0.0.1:1\", \"unix:///run/x.sock\"]\nhealth_check_secs = 2\n",
        );
        assert_eq!(build(&pool, None).await.unwrap().engine_names(), ["clamav"]);
        let both = config(
            "[[engines]]\ntype = \"clamav\"\naddress = \"tcp://127.0.0.1:1\"\naddresses = [\"tcp://127.0.0.1:2\"]\n",
        );
        assert!(build(&both, None).await.is_err());
    }

    #[tokio::test]
    async fn bad_entries_are_refused() {
        let dup = config("[[engines]]\ntype = \"filetype\"\n[[engines]]\ntype = \"filetype\"\n");
        let Err(err) = build(&dup, None).await else {
            panic!("duplicate accepted")
        };
        assert!(err.to_string().contains("filetype twice"), "{err}");
        let bad = config("[[engines]]\ntype = \"clamav\"\naddress = \"clamd.local\"\n");
        assert!(build(&bad, None).await.is_err());
        let only_archive = config("[[engines]]\ntype = \"archive\"\nmax_depth = 2\n");
        assert!(
            build(&only_archive, None).await.is_err(),
            "archive alone scans nothing"
        );
        let quorum =
            config("quorum = 3\n[[engines]]\ntype = \"filetype\"\n[[engines]]\ntype = \"yara\"\n");
        let Err(err) = build(&quorum, None).await else {
            panic!("an unreachable quorum accepted")
        };
        assert!(err.to_string().contains("min_clean = 3"), "{err}");
        assert!(toml::from_str::<ScannerConfig>("[[engines]]\ntype = \"sophos\"\n").is_err());
        let unknown = toml::from_str::<ScannerConfig>("[[engines]]\ntype = \"yara\"\nrules = []\n");
        assert!(unknown.is_err(), "unknown fields are refused");
    }
}
