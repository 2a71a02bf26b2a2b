//! The `yara` engine: YARA-X rules over the stream, block by block.
//!
//! YARA-X's block scanner never sees the whole file, and a pattern only
//! matches inside one block, so each block is scanned together with the
//! tail of the previous one ([`OVERLAP_BYTES`]). A pattern up to that length
//! that spans a chunk edge is still found. Block mode has no modules and no
//! `filesize`, so shipped rules use strings and regexes only.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::reload::Reloading;
use crate::{Chunks, Engine, EngineReport, ScanContext, ScanError, Verdict};

/// The yara-x crate version this engine is built with (checked against
/// Cargo.lock by a test).
pub const YARA_X_VERSION: &str = "1.22.1";

/// Rules shipped in the binary, from `scanner/rules/`.
const BUILTIN_RULES: &[(&str, &str)] = &[
    ("rules/eicar.yar", include_str!("../rules/eicar.yar")),
    (
        "rules/executables.yar",
        include_str!("../rules/executables.yar"),
    ),
    ("rules/scripts.yar", include_str!("../rules/scripts.yar")),
    ("rules/office.yar", include_str!("../rules/office.yar")),
];

/// How much of each block is scanned again with the next one.
pub const OVERLAP_BYTES: usize = 64 * 1024;

/// One compiled generation of the rules.
struct Compiled {
    rules: yara_x::Rules,
    /// A digest of every rule source, so verdicts name the rule set used.
    version: String,
}

pub struct Yara {
    rules: Reloading<Compiled>,
}

/// Compiles the built-in rules plus every `*.yar`/`*.yara` file in `dirs`.
/// Any syntax error refuses the whole set, naming the file.
fn compile(dirs: &[PathBuf]) -> Result<Compiled, ScanError> {
    let mut sources: Vec<(String, String)> = BUILTIN_RULES
        .iter()
        .map(|(o, s)| ((*o).to_owned(), (*s).to_owned()))
        .collect();
    for dir in dirs {
        let io = |source| ScanError::RulesIo {
            path: dir.display().to_string(),
            source,
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?
            .into_iter()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yar" || e == "yara"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| ScanError::RulesIo {
                path: path.display().to_string(),
                source,
            })?;
            sources.push((path.display().to_string(), text));
        }
    }
    let mut compiler = yara_x::Compiler::new();
    let mut digest = Sha256::new();
    for (origin, text) in &sources {
        digest.update(origin.as_bytes());
        digest.update(text.as_bytes());
        compiler
            .add_source(yara_x::SourceCode::from(text.as_str()).with_origin(origin.as_str()))
            .map_err(|e| ScanError::Rules {
                origin: origin.clone(),
                message: e.to_string(),
            })?;
    }
    Ok(Compiled {
        rules: compiler.build(),
        version: format!("rules-{}", &hex::encode(digest.finalize())[..12]),
    })
}

impl Yara {
    /// The shipped rules plus those in `dirs`, recompiled when a file in
    /// `dirs` changes. A syntax error refuses the set at start, naming the
    /// file; after start it keeps the previous rules in force.
    pub fn new(dirs: &[&Path]) -> Result<Self, ScanError> {
        let dirs = dirs.iter().map(|d| d.to_path_buf()).collect();
        Ok(Self {
            rules: Reloading::new("yara rules", dirs, compile)?,
        })
    }
}

/// Scans the chunks in blocks, each prefixed by the tail of the previous
/// one. Returns the identifiers of the matching rules.
fn scan_blocks(rules: &yara_x::Rules, mut input: Chunks) -> Result<Vec<String>, String> {
    let mut scanner = yara_x::blocks::Scanner::new(rules);
    let mut block: Vec<u8> = Vec::new();
    // Offset in the stream of block[0].
    let mut base = 0usize;
    while let Some(chunk) = input.blocking_recv() {
        let keep = block.len().min(OVERLAP_BYTES);
        let drop = block.len() - keep;
        block.drain(..drop);
        base += drop;
        block.extend_from_slice(&chunk);
        scanner.scan(base, &block).map_err(|e| e.to_string())?;
    }
    if base == 0 && block.is_empty() {
        // An empty stream: YARA-X panics finishing a scan that saw no block.
        scanner.scan(0, &[]).map_err(|e| e.to_string())?;
    }
    let results = scanner.finish().map_err(|e| e.to_string())?;
    Ok(results
        .matching_rules()
        .map(|r| r.identifier().to_owned())
        .collect())
}

#[async_trait::async_trait]
impl Engine for Yara {
    fn name(&self) -> &'static str {
        "yara"
    }

    async fn scan(&self, _ctx: &ScanContext, input: Chunks) -> EngineReport {
        let compiled = self.rules.get().await;
        let version = compiled.version.clone();
        let verdict =
            match tokio::task::spawn_blocking(move || scan_blocks(&compiled.rules, input)).await {
                Ok(Ok(matched)) if matched.is_empty() => Verdict::Clean,
                Ok(Ok(matched)) => Verdict::Infected {
                    signature: matched.join(", "),
                },
                Ok(Err(reason)) => Verdict::Error { reason },
                Err(e) => Verdict::Error {
                    reason: format!("yara task failed: {e}"),
                },
            };
        EngineReport {
            engine: "yara".into(),
            verdict,
            engine_version: format!("yara-x {YARA_X_VERSION}"),
            db_version: Some(version),
        }
    }

    async fn db_version(&self) -> Option<String> {
        Some(self.rules.get().await.version.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_version_matches_cargo_lock() {
        let lock = include_str!("../../Cargo.lock");
        let want = format!("name = \"yara-x\"\nversion = \"{YARA_X_VERSION}\"");
        assert!(
            lock.contains(&want),
            "update YARA_X_VERSION to Cargo.lock's yara-x"
        );
    }

    #[test]
    fn a_syntax_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.yar"), "rule broken { condition: }").unwrap();
        let Err(err) = Yara::new(&[dir.path()]) else {
            panic!("bad rules compiled")
        };
        let msg = err.to_string();
        assert!(msg.contains("bad.yar"), "{msg}");
    }
}
