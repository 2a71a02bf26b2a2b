//! Scan engines behind one small trait, fed concurrently from one stream.
//!
//! Key decisions:
//! - The file is read once. Each chunk goes to every engine through a small
//!   bounded channel, so the engines run side by side, memory stays flat
//!   whatever the file size, and the slowest engine sets the pace.
//! - Every engine gives an explicit [`Verdict`]. Only `clean` from every
//!   configured engine lets a file on ([`Decision::Clean`]); an engine that is
//!   down, slow or over a limit holds the file. It fails closed: no engines,
//!   a read error or a timeout is never clean.

mod clamav;
mod filetype;
mod hashlist;
mod reload;
mod yara;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

pub use clamav::{ClamAv, ClamdAddr, DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES, MIN_WINDOW_BYTES};
pub use filetype::FileType;
pub use hashlist::HashList;
pub use yara::{YARA_X_VERSION, Yara};

/// Everything that can go wrong setting up the scanner. Problems *during* a
/// scan are verdicts, not errors.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "invalid clamd address {0:?}: expected tcp://HOST:PORT, unix:///PATH or an absolute socket path"
    )]
    ClamdAddr(String),
    #[error("YARA rules in {origin}: {message}")]
    Rules { origin: String, message: String },
    #[error("reading YARA rules from {path}: {source}")]
    RulesIo {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "clamav window_bytes {0} is outside 4 MiB..=2000000000 (keep it at or below clamd's StreamMaxLength)"
    )]
    Window(u64),
}

/// One engine's verdict on one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Clean,
    Infected { signature: String },
    OverLimit { limit: String },
    Error { reason: String },
    Timeout,
}

impl Verdict {
    /// The verdict's name as stored in the catalog.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Infected { .. } => "infected",
            Verdict::OverLimit { .. } => "over_limit",
            Verdict::Error { .. } => "error",
            Verdict::Timeout => "timeout",
        }
    }

    /// The signature, limit or reason, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Verdict::Infected { signature } => Some(signature),
            Verdict::OverLimit { limit } => Some(limit),
            Verdict::Error { reason } => Some(reason),
            Verdict::Clean | Verdict::Timeout => None,
        }
    }
}

/// What an engine reports, with the versions that produced the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineReport {
    pub engine: String,
    pub verdict: Verdict,
    pub engine_version: String,
    pub db_version: Option<String>,
}

/// The chunks of the stream being scanned, in order. The channel closes at
/// the end of the stream (or early, if reading failed: the scanner then
/// overrides every verdict).
pub type Chunks = mpsc::Receiver<Bytes>;

/// What an engine may know about the stream besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanContext {
    /// The delivered file's name: metadata, never a path.
    pub filename: String,
    /// What the acquisition explicitly allows that is otherwise refused.
    pub allow: Allowances,
}

/// Content refused unless an acquisition explicitly allows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allowances {
    pub executables: bool,
    pub scripts: bool,
    pub macros: bool,
    pub encrypted: bool,
}

/// A scan engine. Engines must consume `input` as it arrives and never
/// buffer the whole stream.
#[async_trait::async_trait]
pub trait Engine: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn scan(&self, ctx: &ScanContext, input: Chunks) -> EngineReport;
}

/// What the verdicts mean for the file, under the default quorum: every
/// configured engine must say clean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Clean,
    /// At least one engine found something; the signatures found.
    Infected(Vec<String>),
    /// No verdict could be had from at least one engine; the reasons.
    Unavailable(Vec<String>),
}

/// All verdicts on one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub reports: Vec<EngineReport>,
    pub size_bytes: u64,
}

impl ScanReport {
    pub fn decision(&self) -> Decision {
        let mut found = Vec::new();
        let mut unavailable = Vec::new();
        for r in &self.reports {
            match &r.verdict {
                Verdict::Clean => {}
                Verdict::Infected { signature } => found.push(format!("{}: {signature}", r.engine)),
                other => unavailable.push(format!(
                    "{}: {}{}",
                    r.engine,
                    other.kind(),
                    other
                        .detail()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                )),
            }
        }
        if !found.is_empty() {
            Decision::Infected(found)
        } else if self.reports.is_empty() {
            Decision::Unavailable(vec!["no scan engine is configured".into()])
        } else if !unavailable.is_empty() {
            Decision::Unavailable(unavailable)
        } else {
            Decision::Clean
        }
    }
}

/// Runs a set of engines concurrently over one stream.
#[derive(Clone)]
pub struct Scanner {
    engines: Vec<Arc<dyn Engine>>,
    engine_timeout: Duration,
    chunk_bytes: usize,
}

impl Scanner {
    pub fn new(engines: Vec<Arc<dyn Engine>>, engine_timeout: Duration) -> Self {
        Self {
            engines,
            engine_timeout,
            chunk_bytes: 1 << 20,
        }
    }

    pub fn engine_names(&self) -> Vec<&'static str> {
        self.engines.iter().map(|e| e.name()).collect()
    }

    /// Reads `input` once and feeds every chunk to every engine. Each engine
    /// gets `engine_timeout` for the whole stream; past it, its verdict is
    /// `timeout`. A read error makes every verdict an error.
    pub async fn scan<R: AsyncRead + Unpin>(&self, ctx: &ScanContext, mut input: R) -> ScanReport {
        let ctx = Arc::new(ctx.clone());
        let mut senders = Vec::with_capacity(self.engines.len());
        let mut tasks = Vec::with_capacity(self.engines.len());
        for engine in &self.engines {
            let (tx, rx) = mpsc::channel::<Bytes>(4);
            senders.push(Some(tx));
            let engine = engine.clone();
            let ctx = ctx.clone();
            let timeout = self.engine_timeout;
            tasks.push(tokio::spawn(async move {
                let name = engine.name();
                match tokio::time::timeout(timeout, engine.scan(&ctx, rx)).await {
                    Ok(report) => report,
                    Err(_) => EngineReport {
                        engine: name.to_owned(),
                        verdict: Verdict::Timeout,
                        engine_version: "unknown".into(),
                        db_version: None,
                    },
                }
            }));
        }

        let mut size_bytes = 0u64;
        let mut read_error = None;
        let mut buf = vec![0u8; self.chunk_bytes];
        loop {
            let n = match read_full(&mut input, &mut buf).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            };
            size_bytes += n as u64;
            let chunk = Bytes::copy_from_slice(&buf[..n]);
            for slot in senders.iter_mut() {
                // An engine that stopped reading (it failed or timed out) is
                // dropped from the fan-out; its own report says why.
                if let Some(tx) = slot
                    && tx.send(chunk.clone()).await.is_err()
                {
                    *slot = None;
                }
            }
            if senders.iter().all(Option::is_none) {
                break;
            }
        }
        drop(senders);

        let mut reports = Vec::with_capacity(tasks.len());
        for (task, engine) in tasks.into_iter().zip(&self.engines) {
            let mut report = task.await.unwrap_or_else(|e| EngineReport {
                engine: engine.name().to_owned(),
                verdict: Verdict::Error {
                    reason: format!("engine task failed: {e}"),
                },
                engine_version: "unknown".into(),
                db_version: None,
            });
            if let Some(e) = &read_error {
                report.verdict = Verdict::Error {
                    reason: format!("the file could not be read to the end: {e}"),
                };
            }
            reports.push(report);
        }
        ScanReport {
            reports,
            size_bytes,
        }
    }
}

/// Fills `buf` as far as the input allows; returns 0 only at the end.
async fn read_full<R: AsyncRead + Unpin>(input: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = input.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(engine: &str, verdict: Verdict) -> EngineReport {
        EngineReport {
            engine: engine.into(),
            verdict,
            engine_version: "1".into(),
            db_version: None,
        }
    }

    #[test]
    fn quorum_needs_every_engine_clean() {
        let clean = || report("a", Verdict::Clean);
        let r = |v: Vec<EngineReport>| ScanReport {
            reports: v,
            size_bytes: 0,
        };
        assert_eq!(r(vec![clean(), clean()]).decision(), Decision::Clean);
        assert_eq!(
            r(vec![]).decision(),
            Decision::Unavailable(vec!["no scan engine is configured".into()])
        );
        assert!(matches!(
            r(vec![clean(), report("b", Verdict::Timeout)]).decision(),
            Decision::Unavailable(_)
        ));
        // Infected wins over unavailable: the file is known bad.
        assert_eq!(
            r(vec![
                report("b", Verdict::Error { reason: "x".into() }),
                report(
                    "c",
                    Verdict::Infected {
                        signature: "Sig".into()
                    }
                )
            ])
            .decision(),
            Decision::Infected(vec!["c: Sig".into()])
        );
    }
}
