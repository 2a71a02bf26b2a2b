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
//! - Archives are not an engine beside the others but a layer under them:
//!   every member of a zip, gzip or tar is scanned by every engine as a
//!   stream of its own, at any depth, under one set of budgets
//!   ([`archive`]).

mod archive;
mod clamav;
mod filetype;
mod hashlist;
mod reload;
mod yara;

use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

pub use archive::{Budgets, MemberPath, RATIO_GRACE_BYTES};
use archive::{Expansion, Stop};

pub use clamav::{
    ClamAv, ClamdAddr, DEFAULT_HEALTH_CHECK, DEFAULT_WINDOW_BYTES, MAX_WINDOW_BYTES,
    MIN_WINDOW_BYTES,
};
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
        "quorum min_clean = {min_clean} cannot be met by {engines} content engine(s); it must be 1..={engines}"
    )]
    Quorum { min_clean: usize, engines: usize },
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
    /// The format the supplier declared for the delivered file (see
    /// [`FileType::FORMATS`]); archive members have none.
    pub declared_format: Option<String>,
    /// What the acquisition explicitly allows that is otherwise refused.
    pub allow: Allowances,
}

pub use airlock_zones::Allowances;

/// A scan engine. Engines must consume `input` as it arrives and never
/// buffer the whole stream.
#[async_trait::async_trait]
pub trait Engine: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn scan(&self, ctx: &ScanContext, input: Chunks) -> EngineReport;
    /// The signature database a scan would use now, as its reports name
    /// it; `None` when the engine has none or cannot say (clamd down). The
    /// rescan job compares it with the version recorded on each verdict.
    async fn db_version(&self) -> Option<String> {
        None
    }
}

/// What the verdicts mean for the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Clean,
    /// At least one engine found something; the signatures found.
    Infected(Vec<String>),
    /// No verdict could be had from at least one engine; the reasons.
    Unavailable(Vec<String>),
}

/// Which verdicts let a stream (the file and each member) count as clean.
/// Whatever the quorum, `infected` rejects, and `over_limit` and any
/// non-clean verdict of the archive layer hold: a limit means content went
/// unscanned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Quorum {
    /// Every configured engine must say clean (the default).
    #[default]
    All,
    /// At least this many content engines must say clean; the others may be
    /// down (`error` or `timeout`).
    AtLeast(usize),
}

/// The archive layer's name in reports.
pub const ARCHIVE_ENGINE: &str = "archive";

/// The verdicts on one archive member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberReport {
    /// The member's path; `inner.zip!/x.csv` for a member of a member.
    pub path: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub reports: Vec<EngineReport>,
}

/// All verdicts on one stream and on every member inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub reports: Vec<EngineReport>,
    /// Every member at every depth, in stream order.
    pub members: Vec<MemberReport>,
    pub size_bytes: u64,
    pub sha256: String,
}

impl ScanReport {
    /// Every stream scanned: the file itself (member `""`) and each member.
    pub fn streams(&self) -> impl Iterator<Item = (&str, &[EngineReport])> {
        std::iter::once(("", self.reports.as_slice())).chain(
            self.members
                .iter()
                .map(|m| (m.path.as_str(), m.reports.as_slice())),
        )
    }

    pub fn decision(&self, quorum: Quorum) -> Decision {
        let mut found = Vec::new();
        let mut unavailable = Vec::new();
        for (member, reports) in self.streams() {
            let at = |engine: &str| match member {
                "" => engine.to_owned(),
                m => format!("{m}: {engine}"),
            };
            if reports.is_empty() {
                unavailable.push(format!("{}no scan engine is configured", at("")));
            }
            let clean = reports
                .iter()
                .filter(|r| r.verdict == Verdict::Clean && r.engine != ARCHIVE_ENGINE)
                .count();
            for r in reports {
                let tolerated = matches!(quorum, Quorum::AtLeast(n) if clean >= n)
                    && matches!(r.verdict, Verdict::Error { .. } | Verdict::Timeout)
                    && r.engine != ARCHIVE_ENGINE;
                match &r.verdict {
                    Verdict::Clean => {}
                    Verdict::Infected { signature } => {
                        found.push(format!("{}: {signature}", at(&r.engine)))
                    }
                    _ if tolerated => {}
                    other => unavailable.push(format!(
                        "{}: {}{}",
                        at(&r.engine),
                        other.kind(),
                        other
                            .detail()
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default()
                    )),
                }
            }
        }
        if !found.is_empty() {
            Decision::Infected(found)
        } else if !unavailable.is_empty() {
            Decision::Unavailable(unavailable)
        } else {
            Decision::Clean
        }
    }
}

/// Runs a set of engines concurrently over one stream, and over every
/// member of it when archives are expanded.
#[derive(Clone)]
pub struct Scanner {
    engines: Vec<Arc<dyn Engine>>,
    engine_timeout: Duration,
    chunk_bytes: usize,
    archive: Option<Budgets>,
    quorum: Quorum,
}

type BoxedScan = Pin<Box<dyn Future<Output = ScanReport> + Send>>;

impl Scanner {
    pub fn new(engines: Vec<Arc<dyn Engine>>, engine_timeout: Duration) -> Self {
        Self {
            engines,
            engine_timeout,
            chunk_bytes: 1 << 20,
            archive: None,
            quorum: Quorum::All,
        }
    }

    /// Expands zip, gzip and tar under `budgets`, scanning every member.
    pub fn with_archive(mut self, budgets: Budgets) -> Self {
        self.archive = Some(budgets);
        self
    }

    pub fn with_quorum(mut self, quorum: Quorum) -> Result<Self, ScanError> {
        if let Quorum::AtLeast(min_clean) = quorum
            && !(1..=self.engines.len()).contains(&min_clean)
        {
            return Err(ScanError::Quorum {
                min_clean,
                engines: self.engines.len(),
            });
        }
        self.quorum = quorum;
        Ok(self)
    }

    pub fn engine_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.engines.iter().map(|e| e.name()).collect();
        if self.archive.is_some() {
            names.push(ARCHIVE_ENGINE);
        }
        names
    }

    /// Each engine's current signature database version.
    pub async fn db_versions(&self) -> Vec<(&'static str, Option<String>)> {
        let mut out = Vec::with_capacity(self.engines.len());
        for e in &self.engines {
            out.push((e.name(), e.db_version().await));
        }
        out
    }

    /// What the report means under this scanner's quorum.
    pub fn decision(&self, report: &ScanReport) -> Decision {
        report.decision(self.quorum)
    }

    /// Reads `input` once and feeds every chunk to every engine (and to the
    /// archive layer, which scans each member the same way). Each engine
    /// gets `engine_timeout` for each stream; past it, its verdict is
    /// `timeout`. A read error makes every verdict an error.
    pub async fn scan<R: AsyncRead + Unpin>(&self, ctx: &ScanContext, input: R) -> ScanReport {
        let exp = self.archive.map(|b| Arc::new(Expansion::new(b)));
        self.fan_out(Arc::new(ctx.clone()), input, 0, exp).await
    }

    fn scan_boxed<R: AsyncRead + Unpin + Send + 'static>(
        &self,
        ctx: Arc<ScanContext>,
        input: R,
        depth: u32,
        exp: Arc<Expansion>,
    ) -> BoxedScan {
        let this = self.clone();
        Box::pin(async move { this.fan_out(ctx, input, depth, Some(exp)).await })
    }

    async fn fan_out<R: AsyncRead + Unpin>(
        &self,
        ctx: Arc<ScanContext>,
        mut input: R,
        depth: u32,
        exp: Option<Arc<Expansion>>,
    ) -> ScanReport {
        let mut senders = Vec::with_capacity(self.engines.len() + 1);
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
        let archive = exp.clone().map(|exp| {
            let (tx, rx) = mpsc::channel::<Bytes>(4);
            senders.push(Some(tx));
            let limit = Duration::from_secs(exp.budgets.max_expand_secs) + self.engine_timeout;
            let (scanner, ctx, handle) = (self.clone(), ctx.clone(), Handle::current());
            let task = tokio::task::spawn_blocking(move || {
                let mut members = Vec::new();
                let verdict = archive::expand(rx, &ctx.filename, depth, &exp, &mut |path, r| {
                    scanner.member(&handle, &exp, &ctx, depth, path, r, &mut members)
                });
                (verdict, members)
            });
            (task, limit)
        });

        // SHA-256 in the same pass, beside the engines rather than before
        // them.
        let (tx, mut hash_rx) = mpsc::channel::<Bytes>(4);
        senders.push(Some(tx));
        let hashing = tokio::spawn(async move {
            let mut hasher = Sha256::new();
            while let Some(chunk) = hash_rx.recv().await {
                hasher.update(&chunk);
            }
            hex::encode(hasher.finalize())
        });

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
            if let (0, Some(exp)) = (depth, &exp) {
                exp.delivered.fetch_add(n as u64, Ordering::Relaxed);
            }
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
        }
        drop(senders);

        let mut reports = Vec::with_capacity(tasks.len() + 1);
        for (task, engine) in tasks.into_iter().zip(&self.engines) {
            reports.push(task.await.unwrap_or_else(|e| EngineReport {
                engine: engine.name().to_owned(),
                verdict: Verdict::Error {
                    reason: format!("engine task failed: {e}"),
                },
                engine_version: "unknown".into(),
                db_version: None,
            }));
        }
        let mut members = Vec::new();
        if let Some((task, limit)) = archive {
            let verdict = match tokio::time::timeout(limit, task).await {
                Ok(Ok((verdict, found))) => {
                    members = found;
                    verdict
                }
                Ok(Err(e)) => Verdict::Error {
                    reason: format!("archive task failed: {e}"),
                },
                Err(_) => Verdict::Timeout,
            };
            reports.push(EngineReport {
                engine: ARCHIVE_ENGINE.into(),
                verdict,
                engine_version: concat!("airlock-archive ", env!("CARGO_PKG_VERSION")).into(),
                db_version: None,
            });
        }
        if let Some(e) = &read_error {
            for report in &mut reports {
                report.verdict = Verdict::Error {
                    reason: format!("the file could not be read to the end: {e}"),
                };
            }
        }
        ScanReport {
            reports,
            members,
            size_bytes,
            // A failed hashing task leaves a hash no file has: the caller's
            // integrity check then refuses the bytes.
            sha256: hashing.await.unwrap_or_default(),
        }
    }

    /// Scans one archive member, read from `reader` on the archive layer's
    /// blocking thread, as a stream of its own at `depth + 1`. Its report,
    /// and those of members inside it, go to `out`.
    #[allow(clippy::too_many_arguments)]
    fn member(
        &self,
        handle: &Handle,
        exp: &Arc<Expansion>,
        parent: &ScanContext,
        depth: u32,
        path: &MemberPath,
        reader: &mut dyn Read,
        out: &mut Vec<MemberReport>,
    ) -> Result<u64, Stop> {
        // Once a budget is spent no member is started: verdicts on an empty
        // stream would mean nothing.
        exp.charge(0)?;
        exp.count_member()?;
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
        let input = tokio_util::io::StreamReader::new(Box::pin(futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
        )));
        let ctx = Arc::new(ScanContext {
            filename: path.to_string(),
            declared_format: None,
            allow: parent.allow,
        });
        let task = handle.spawn(self.scan_boxed(ctx, input, depth + 1, exp.clone()));
        let mut buf = vec![0u8; self.chunk_bytes];
        let mut total = 0u64;
        let mut sending = true;
        let result = loop {
            let n = match read_full_sync(reader, &mut buf) {
                Ok(0) => break Ok(total),
                Ok(n) => n,
                Err(e) => break Err(Stop::Io(e)),
            };
            total += n as u64;
            // What was read is scanned before a budget can stop the member,
            // so its verdicts rest on a real prefix of it. Once every engine
            // has stopped reading, the member is still read to its end so
            // the archive's structure can be checked.
            sending = sending
                && tx
                    .blocking_send(Ok(Bytes::copy_from_slice(&buf[..n])))
                    .is_ok();
            if let Err(stop) = exp.charge(n as u64) {
                break Err(stop);
            }
        };
        drop(tx);
        let report = futures::executor::block_on(task)
            .map_err(|e| Stop::Failed(format!("scanning member {path} failed: {e}")))?;
        out.push(MemberReport {
            path: path.to_string(),
            size_bytes: total,
            sha256: report.sha256,
            reports: report.reports,
        });
        out.extend(report.members.into_iter().map(|m| MemberReport {
            path: format!("{path}!/{}", m.path),
            ..m
        }));
        result
    }
}

/// Fills `buf` as far as `input` allows; returns 0 only at the end.
fn read_full_sync(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
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
            members: vec![],
            size_bytes: 0,
            sha256: String::new(),
        };
        assert_eq!(
            r(vec![clean(), clean()]).decision(Quorum::All),
            Decision::Clean
        );
        assert_eq!(
            r(vec![]).decision(Quorum::All),
            Decision::Unavailable(vec!["no scan engine is configured".into()])
        );
        assert!(matches!(
            r(vec![clean(), report("b", Verdict::Timeout)]).decision(Quorum::All),
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
            .decision(Quorum::All),
            Decision::Infected(vec!["c: Sig".into()])
        );
    }
}
