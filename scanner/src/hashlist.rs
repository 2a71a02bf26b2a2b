//! The `hashlist` engine: a SHA-256 blocklist.
//!
//! Lists are text files of one hash per line; `#` starts a comment, and
//! anything after the hash (a `sha256sum` file name) is ignored. The hash is
//! computed in the same streaming pass as every other engine. Lists reload
//! when they change ([`crate::reload`]); a list that no longer parses is
//! refused with its file and line, and the previous set stays in force.

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::reload::Reloading;
use crate::{Chunks, Engine, EngineReport, ScanContext, ScanError, Verdict};

/// One loaded generation of the lists.
struct Loaded {
    /// Hash → where it is listed (`file:line`).
    hashes: HashMap<[u8; 32], String>,
    version: String,
}

pub struct HashList {
    lists: Reloading<Loaded>,
}

fn load(files: &[PathBuf]) -> Result<Loaded, ScanError> {
    let mut hashes = HashMap::new();
    let mut digest = Sha256::new();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| ScanError::RulesIo {
            path: path.display().to_string(),
            source,
        })?;
        digest.update(text.as_bytes());
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or_default().trim();
            let Some(hex_hash) = entry.split_whitespace().next() else {
                continue;
            };
            let mut hash = [0u8; 32];
            hex::decode_to_slice(hex_hash, &mut hash).map_err(|_| ScanError::Rules {
                origin: format!("{}:{}", path.display(), i + 1),
                message: format!("{hex_hash:?} is not a SHA-256 (64 hex digits)"),
            })?;
            hashes.insert(hash, format!("{}:{}", path.display(), i + 1));
        }
    }
    let version = format!(
        "hashes-{}-{}",
        hashes.len(),
        &hex::encode(digest.finalize())[..12]
    );
    Ok(Loaded { hashes, version })
}

impl HashList {
    /// Loads the lists; any malformed line refuses them, naming it.
    pub fn new(files: Vec<PathBuf>) -> Result<Self, ScanError> {
        Ok(Self {
            lists: Reloading::new("hash lists", files, load)?,
        })
    }
}

#[async_trait::async_trait]
impl Engine for HashList {
    fn name(&self) -> &'static str {
        "hashlist"
    }

    async fn scan(&self, _ctx: &ScanContext, mut input: Chunks) -> EngineReport {
        let lists = self.lists.get().await;
        let mut hasher = Sha256::new();
        while let Some(chunk) = input.recv().await {
            hasher.update(&chunk);
        }
        let hash: [u8; 32] = hasher.finalize().into();
        let verdict = match lists.hashes.get(&hash) {
            Some(place) => Verdict::Infected {
                signature: format!("sha256:{} listed at {place}", hex::encode(hash)),
            },
            None => Verdict::Clean,
        };
        EngineReport {
            engine: self.name().into(),
            verdict,
            engine_version: concat!("airlock-hashlist ", env!("CARGO_PKG_VERSION")).into(),
            db_version: Some(lists.version.clone()),
        }
    }

    async fn db_version(&self) -> Option<String> {
        Some(self.lists.get().await.version.clone())
    }
}
