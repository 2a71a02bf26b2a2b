//! The `clamav` engine: clamd's INSTREAM over TCP or a unix socket.
//!
//! clamav-client sends the stream and returns clamd's raw reply; the reply
//! is parsed here, strictly, because its own `clean()` is only a substring
//! test. Anything that is not exactly `stream: OK` is not clean.
//!
//! The engine may use a pool of clamd addresses. Each scan takes the next
//! address in turn and health-checks it first with VERSION (which it needs
//! anyway for the verdict's versions). An address that fails, then or
//! mid-stream, leaves the rotation for the health-check interval and is
//! probed again before it is used after that. A stream cannot be replayed,
//! so a clamd dying mid-stream is an `error` (the file is held and retried,
//! on another address); only when no address answers is the scan an error
//! before it starts.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clamav_client::tokio::{Socket, TransportProtocol};
use tokio::sync::mpsc;

use crate::{Chunks, Engine, EngineReport, ScanContext, ScanError, Verdict};

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdAddr {
    Tcp(String),
    Unix(PathBuf),
}

impl FromStr for ClamdAddr {
    type Err = ScanError;
    /// `tcp://HOST:PORT`, `unix:///PATH` or an absolute socket path.
    fn from_str(s: &str) -> Result<Self, ScanError> {
        if let Some(hostport) = s.strip_prefix("tcp://") {
            let ok = hostport
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            return if ok {
                Ok(ClamdAddr::Tcp(hostport.to_owned()))
            } else {
                Err(ScanError::ClamdAddr(s.to_owned()))
            };
        }
        let path = s.strip_prefix("unix://").unwrap_or(s);
        if path.starts_with('/') {
            Ok(ClamdAddr::Unix(PathBuf::from(path)))
        } else {
            Err(ScanError::ClamdAddr(s.to_owned()))
        }
    }
}

impl fmt::Display for ClamdAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClamdAddr::Tcp(a) => write!(f, "tcp://{a}"),
            ClamdAddr::Unix(p) => write!(f, "unix://{}", p.display()),
        }
    }
}

/// TCP with Nagle's algorithm off. INSTREAM sends a 4-byte length before
/// every chunk and a 4-byte terminator at the end; with Nagle on, those
/// small writes wait on delayed ACKs, some 40 ms a session.
struct NoDelayTcp<'a>(&'a str);

impl TransportProtocol for NoDelayTcp<'_> {
    type Stream = tokio::net::TcpStream;

    async fn connect(&self) -> std::io::Result<Self::Stream> {
        let stream = tokio::net::TcpStream::connect(self.0).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

/// Runs one clamav-client call over whichever transport `addr` names.
macro_rules! with_transport {
    ($addr:expr, |$t:ident| $call:expr) => {
        match $addr {
            ClamdAddr::Tcp(a) => {
                let $t = NoDelayTcp(a.as_str());
                $call.await
            }
            ClamdAddr::Unix(p) => {
                let $t = Socket {
                    socket_path: p.as_path(),
                };
                $call.await
            }
        }
    };
}

/// One clamd of the pool and when it may next be used without a probe.
struct Member {
    addr: ClamdAddr,
    down_until: Mutex<Option<Instant>>,
}

pub struct ClamAv {
    pool: Vec<Member>,
    next: AtomicUsize,
    /// How long a failed address stays out of the rotation.
    health_check: Duration,
    /// Bound on connecting and on each command other than the scan itself.
    connect_timeout: Duration,
    /// Bytes sent in one INSTREAM session; must not exceed clamd's
    /// StreamMaxLength.
    window_bytes: u64,
}

/// Below Debian's default StreamMaxLength (25M).
pub const DEFAULT_WINDOW_BYTES: u64 = 24 << 20;
/// The smallest window: room for the overlap and new data.
pub const MIN_WINDOW_BYTES: u64 = 4 << 20;
/// libclamav never scans past about 2 GiB of one stream.
pub const MAX_WINDOW_BYTES: u64 = 2_000_000_000;

/// The default time a failed clamd stays out of the rotation.
pub const DEFAULT_HEALTH_CHECK: Duration = Duration::from_secs(10);

impl ClamAv {
    pub fn new(addr: ClamdAddr, connect_timeout: Duration) -> Self {
        Self::pool(vec![addr], connect_timeout).expect("one address")
    }

    /// Scans with each of `addrs` in turn, skipping those that fail.
    pub fn pool(addrs: Vec<ClamdAddr>, connect_timeout: Duration) -> Result<Self, ScanError> {
        if addrs.is_empty() {
            return Err(ScanError::ClamdAddr(String::new()));
        }
        Ok(Self {
            pool: addrs
                .into_iter()
                .map(|addr| Member {
                    addr,
                    down_until: Mutex::new(None),
                })
                .collect(),
            next: AtomicUsize::new(0),
            health_check: DEFAULT_HEALTH_CHECK,
            connect_timeout,
            window_bytes: DEFAULT_WINDOW_BYTES,
        })
    }

    /// How long an address that failed stays out of the rotation before it
    /// is probed again.
    pub fn with_health_check(mut self, interval: Duration) -> Self {
        self.health_check = interval;
        self
    }

    /// Scans streams in windows of `bytes`, each starting with the last
    /// chunk of the one before.
    pub fn with_window(mut self, bytes: u64) -> Result<Self, ScanError> {
        if !(MIN_WINDOW_BYTES..=MAX_WINDOW_BYTES).contains(&bytes) {
            return Err(ScanError::Window(bytes));
        }
        self.window_bytes = bytes;
        Ok(self)
    }

    pub fn addrs(&self) -> Vec<&ClamdAddr> {
        self.pool.iter().map(|m| &m.addr).collect()
    }

    /// The addresses in the rotation now (not marked down).
    pub fn healthy(&self) -> Vec<&ClamdAddr> {
        let now = Instant::now();
        self.pool
            .iter()
            .filter(|m| !m.is_down(now))
            .map(|m| &m.addr)
            .collect()
    }

    /// True when some clamd of the pool answers PING with PONG.
    pub async fn ping(&self) -> bool {
        for m in &self.pool {
            let reply = tokio::time::timeout(self.connect_timeout, async {
                with_transport!(&m.addr, |t| clamav_client::tokio::ping(t))
            })
            .await;
            if matches!(reply, Ok(Ok(r)) if r == clamav_client::PONG) {
                return true;
            }
        }
        false
    }

    /// One clamd's engine and signature-database versions; a clamd too slow
    /// to answer is a `timeout`, an unreachable one an `error`.
    async fn versions_at(&self, addr: &ClamdAddr) -> Result<(String, Option<String>), Verdict> {
        let reply = tokio::time::timeout(self.connect_timeout, async {
            with_transport!(addr, |t| clamav_client::tokio::get_version(t))
        })
        .await
        .map_err(|_| Verdict::Timeout)?
        .map_err(|e| Verdict::Error {
            reason: format!("clamd at {addr} is unreachable: {e}"),
        })?;
        match parse_version(&String::from_utf8_lossy(&reply)) {
            (engine, _) if engine.is_empty() => Err(Verdict::Error {
                reason: format!("clamd at {addr} closed the connection without its version"),
            }),
            versions => Ok(versions),
        }
    }

    /// The next healthy clamd, health-checked, with its versions. Addresses
    /// in the rotation come first, in turn; those marked down are probed
    /// only when none of the others answers.
    async fn pick(&self) -> Result<(&Member, String, Option<String>), Verdict> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let n = self.pool.len();
        let order = (0..n).map(|i| &self.pool[(start + i) % n]);
        let (up, down): (Vec<&Member>, Vec<&Member>) = order.partition(|m| !m.is_down(now));
        let mut last = None;
        for m in up.into_iter().chain(down) {
            match self.versions_at(&m.addr).await {
                Ok((engine, db)) => {
                    m.mark(None);
                    return Ok((m, engine, db));
                }
                Err(verdict) => {
                    tracing::warn!(clamd = %m.addr, ?verdict, "clamd failed its health check; out of rotation");
                    m.mark(Some(Instant::now() + self.health_check));
                    last = Some(verdict);
                }
            }
        }
        Err(match last {
            Some(Verdict::Error { reason }) if n > 1 => Verdict::Error {
                reason: format!("no clamd of the pool of {n} answers; the last: {reason}"),
            },
            other => other.unwrap_or(Verdict::Error {
                reason: "no clamd address".into(),
            }),
        })
    }
}

impl Member {
    fn is_down(&self, now: Instant) -> bool {
        let until = *self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        until.is_some_and(|t| t > now)
    }

    fn mark(&self, until: Option<Instant>) {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) = until;
    }
}

/// `ClamAV 1.4.6/27500/Tue Nov 18 09:00:00 2026` → (`ClamAV 1.4.6`,
/// `Some("27500")`). With only unofficial databases clamd prints no
/// database version.
fn parse_version(reply: &str) -> (String, Option<String>) {
    let reply = reply.trim_end_matches(['\0', '\n']).trim();
    let mut parts = reply.split('/');
    let engine = parts.next().unwrap_or_default().to_owned();
    let db = parts.next().map(str::to_owned);
    (engine, db)
}

/// Parses clamd's reply to INSTREAM.
fn parse_reply(reply: &str) -> Verdict {
    let reply = reply.trim_end_matches(['\0', '\n']).trim();
    if reply == "stream: OK" {
        return Verdict::Clean;
    }
    if let Some(sig) = reply
        .strip_prefix("stream: ")
        .and_then(|r| r.strip_suffix(" FOUND"))
    {
        return Verdict::Infected {
            signature: sig.to_owned(),
        };
    }
    if reply.contains("size limit exceeded") {
        return Verdict::OverLimit {
            limit: "clamd StreamMaxLength".into(),
        };
    }
    Verdict::Error {
        reason: format!("unexpected clamd reply: {reply:?}"),
    }
}

/// How one INSTREAM session ended.
enum Window {
    Verdict(Verdict),
    /// clamd closed the connection while the window was being sent: it
    /// refused the stream (StreamMaxLength) or it died. Which, a health
    /// check tells; its reply may be lost to the reset.
    Cut(String),
}

/// One INSTREAM session over the chunks `rx` delivers: the window starting
/// at byte `start` of the stream.
async fn scan_window(addr: ClamdAddr, rx: mpsc::Receiver<Bytes>, start: u64) -> Window {
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|c| (Ok::<Bytes, std::io::Error>(c), rx))
    });
    let reply = with_transport!(&addr, |t| clamav_client::tokio::scan_stream(
        stream,
        t,
        Some(1 << 20)
    ));
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    match reply {
        Ok(bytes) if bytes.is_empty() => Window::Cut(format!(
            "clamd at {addr} closed the connection without a verdict (window at byte {start})"
        )),
        Ok(bytes) => Window::Verdict(parse_reply(&String::from_utf8_lossy(&bytes))),
        Err(e) if matches!(e.kind(), BrokenPipe | ConnectionReset | ConnectionAborted) => {
            Window::Cut(format!(
                "clamd at {addr} closed the connection during the scan (window at byte {start}): {e}"
            ))
        }
        Err(e) => Window::Verdict(Verdict::Error {
            reason: format!("clamd at {addr} failed during the scan (window at byte {start}): {e}"),
        }),
    }
}

/// Windows in flight at once: while clamd scans one, the next streams in.
const WINDOWS_IN_FLIGHT: usize = 2;

impl ClamAv {
    /// One INSTREAM session per window of `window_bytes`, each starting with
    /// the previous window's last chunk, until the stream ends or a window
    /// is not clean. Up to [`WINDOWS_IN_FLIGHT`] sessions overlap, so
    /// clamd's scan of one window does not stall the stream.
    async fn scan_windows(&self, addr: &ClamdAddr, mut input: Chunks) -> Verdict {
        let mut in_flight: VecDeque<tokio::task::JoinHandle<Window>> = VecDeque::new();
        let mut start = 0u64;
        // The overlap, then a chunk that did not fit the last window.
        let mut queued: VecDeque<Bytes> = VecDeque::new();
        let mut ended = false;
        loop {
            let (tx, rx) = mpsc::channel::<Bytes>(2);
            in_flight.push_back(tokio::spawn(scan_window(addr.clone(), rx, start)));
            let (mut sent, mut last) = (0u64, None);
            loop {
                let chunk = match queued.pop_front() {
                    Some(c) => c,
                    None => match input.recv().await {
                        Some(c) => c,
                        None => {
                            ended = true;
                            break;
                        }
                    },
                };
                if sent > 0 && sent + chunk.len() as u64 > self.window_bytes {
                    queued.push_back(chunk);
                    break;
                }
                sent += chunk.len() as u64;
                last = Some(chunk.clone());
                // A session that died stops reading; its verdict says why.
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
            drop(tx);
            let done = ended && queued.is_empty();
            while in_flight.len() >= WINDOWS_IN_FLIGHT || (done && !in_flight.is_empty()) {
                let oldest = in_flight.pop_front().expect("a window in flight");
                let verdict = match oldest.await {
                    Ok(Window::Verdict(v)) => v,
                    // Alive after cutting the stream: it refused it.
                    Ok(Window::Cut(reason)) => match self.versions_at(addr).await {
                        Ok(_) => Verdict::OverLimit {
                            limit: format!(
                                "clamd StreamMaxLength: {reason}; keep window_bytes ({}) at or \
                                 below clamd's StreamMaxLength",
                                self.window_bytes
                            ),
                        },
                        Err(_) => Verdict::Error { reason },
                    },
                    Err(e) => Verdict::Error {
                        reason: format!("clamd session task failed: {e}"),
                    },
                };
                if verdict != Verdict::Clean {
                    in_flight.iter().for_each(|t| t.abort());
                    return verdict;
                }
            }
            if done {
                return Verdict::Clean;
            }
            // The next window repeats this one's last chunk.
            if let Some(last) = last {
                start += sent - last.len() as u64;
                queued.push_front(last);
            }
        }
    }
}

#[async_trait::async_trait]
impl Engine for ClamAv {
    fn name(&self) -> &'static str {
        "clamav"
    }

    async fn scan(&self, _ctx: &ScanContext, input: Chunks) -> EngineReport {
        let (member, engine_version, db_version) = match self.pick().await {
            Ok(v) => v,
            Err(verdict) => {
                return EngineReport {
                    engine: self.name().into(),
                    verdict,
                    engine_version: "unknown".into(),
                    db_version: None,
                };
            }
        };
        let verdict = self.scan_windows(&member.addr, input).await;
        if matches!(verdict, Verdict::Error { .. }) {
            member.mark(Some(Instant::now() + self.health_check));
        }
        EngineReport {
            engine: self.name().into(),
            verdict,
            engine_version,
            db_version,
        }
    }

    async fn db_version(&self) -> Option<String> {
        self.pick().await.ok().and_then(|(_, _, db)| db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_strictly() {
        assert_eq!(parse_reply("stream: OK\0"), Verdict::Clean);
        assert_eq!(
            parse_reply("stream: Airlock.Test.EICAR.UNOFFICIAL FOUND\0"),
            Verdict::Infected {
                signature: "Airlock.Test.EICAR.UNOFFICIAL".into()
            }
        );
        assert!(matches!(
            parse_reply("INSTREAM size limit exceeded. ERROR\0"),
            Verdict::OverLimit { .. }
        ));
        // A reply that merely contains "OK" is not clean.
        assert!(matches!(
            parse_reply("stream: OK but not really"),
            Verdict::Error { .. }
        ));
        assert!(matches!(parse_reply(""), Verdict::Error { .. }));
    }

    #[test]
    fn versions_parse() {
        assert_eq!(
            parse_version("ClamAV 1.4.6/27500/Tue Nov 18 09:00:00 2026\0"),
            ("ClamAV 1.4.6".into(), Some("27500".into()))
        );
        assert_eq!(
            parse_version("ClamAV 1.4.6\0"),
            ("ClamAV 1.4.6".into(), None)
        );
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(
            "tcp://127.0.0.1:3310".parse::<ClamdAddr>().unwrap(),
            ClamdAddr::Tcp("127.0.0.1:3310".into())
        );
        assert_eq!(
            "/run/clamav/clamd.ctl".parse::<ClamdAddr>().unwrap(),
            ClamdAddr::Unix("/run/clamav/clamd.ctl".into())
        );
        assert_eq!(
            "unix:///tmp/c.sock".parse::<ClamdAddr>().unwrap(),
            ClamdAddr::Unix("/tmp/c.sock".into())
        );
        for bad in ["tcp://nohost", "tcp://:33", "relative.sock", "http://x:1"] {
            assert!(bad.parse::<ClamdAddr>().is_err(), "{bad}");
        }
    }
}
