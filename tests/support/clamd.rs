//! A private clamd for tests, on its own loopback port with a temporary
//! directory, that a test may stop and start again. Shared by the scanner's
//! engine tests and the end-to-end tests.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after
/// `timeout` saying what was awaited.
pub fn wait_until<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private clamd with the project's test signatures, that a test may stop
/// and start again on the same port.
pub struct Clamd {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Clamd {
    pub fn start() -> Clamd {
        Self::start_with(&[])
    }

    /// Starts clamd with some settings of the test configuration replaced,
    /// e.g. `[("StreamMaxLength", "1M")]`.
    pub fn start_with(settings: &[(&str, &str)]) -> Clamd {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let template = std::fs::read_to_string(fixtures().join("clamd.conf.in")).unwrap();
        let db = fixtures().join("clamav").canonicalize().unwrap();
        let conf = template
            .replace("@DIR@", dir.path().to_str().unwrap())
            .replace("@PORT@", &port.to_string())
            .replace("@DB@", db.to_str().unwrap())
            .lines()
            .map(|line| {
                let key = line.split_whitespace().next().unwrap_or_default();
                match settings.iter().find(|(k, _)| *k == key) {
                    Some((k, v)) => format!("{k} {v}\n"),
                    None => format!("{line}\n"),
                }
            })
            .collect::<String>();
        std::fs::write(dir.path().join("clamd.conf"), conf).unwrap();
        let mut clamd = Clamd {
            child: None,
            port,
            dir,
        };
        clamd.resume();
        clamd
    }

    pub fn addr(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut reply = Vec::new();
        s.write_all(b"zPING\0").is_ok() && s.read_to_end(&mut reply).is_ok() && reply == b"PONG\0"
    }

    /// Starts clamd and waits until it answers PING.
    pub fn resume(&mut self) {
        let bin =
            std::env::var("AIRLOCK_TEST_CLAMD_BIN").unwrap_or_else(|_| "/usr/sbin/clamd".into());
        let child = Command::new(&bin)
            .arg(format!(
                "--config-file={}",
                self.dir.path().join("clamd.conf").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {bin}: {e} (install clamav-daemon)"));
        self.child = Some(child);
        wait_until("clamd to answer PING", Duration::from_secs(60), || {
            self.ping().then_some(())
        });
    }

    /// Kills clamd and waits until its port is closed.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        wait_until("clamd's port to close", Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", self.port))
                .is_err()
                .then_some(())
        });
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
