//! Helpers for the end-to-end tests: a private clamd and the real `airlock`
//! binary, each on an ephemeral loopback port with a temporary directory.
//! Waiting is always for a condition (a port answering, a state reached),
//! bounded by a deadline; never a fixed sleep.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_airlock");

#[path = "clamd.rs"]
mod clamd;
#[path = "sftp.rs"]
pub mod openssh;
#[path = "zones.rs"]
pub mod zones;
pub use clamd::*;

/// A fault injector standing in for clamd: it accepts connections and never
/// answers, so a scan against it hangs until the daemon's timeout.
pub struct SilentServer {
    pub port: u16,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming().flatten() {
                held.push(conn);
            }
        });
        SilentServer { port }
    }

    pub fn addr(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }
}

/// The real `airlock serve`, with its own data directory and users.
pub struct Daemon {
    child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    config: PathBuf,
    pub engineer: String,
    pub other_engineer: String,
    pub reviewer: String,
    pub other_reviewer: String,
    /// Cleared for the sandbox.
    pub analyst: String,
    /// Cleared for the corporate zone only.
    pub corporate_analyst: String,
    log: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

impl Daemon {
    /// Starts a daemon using the clamd at `clamd` (`tcp://…`).
    pub fn start(clamd: &str) -> Daemon {
        Self::start_with(clamd, "")
    }

    /// Starts a daemon with `extra` TOML appended to its configuration.
    pub fn start_with(clamd: &str, extra: &str) -> Daemon {
        Self::start_on(clamd, "127.0.0.1:0", extra)
    }

    /// Starts a daemon listening on `listen`, for a configuration that
    /// must name its own address (an OIDC redirect).
    pub fn start_on(clamd: &str, listen: &str, extra: &str) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("airlock.toml");
        std::fs::write(
            &config,
            format!(
                r#"listen = "{listen}"
data_dir = "{data}"

[scanner]
clamd_connect_timeout_secs = 5
engine_timeout_secs = 60

[[scanner.engines]]
type = "clamav"
address = "{clamd}"

[[scanner.engines]]
type = "filetype"

[[scanner.engines]]
type = "yara"

[[scanner.engines]]
type = "archive"

[pipeline]
workers = 2
poll_interval_ms = 100
lease_secs = 30
retry_initial_secs = 1
retry_max_secs = 2
{extra}
"#,
                data = dir.path().join("data").display()
            ),
        )
        .unwrap();
        let user = |name: &str, role: &str, zones: &[&str]| add_user(&config, name, role, zones);
        let engineer = user("eve", "engineer", &[]);
        let other_engineer = user("oscar", "engineer", &[]);
        let reviewer = user("rita", "reviewer", &[]);
        let other_reviewer = user("rex", "reviewer", &[]);
        let analyst = user("ann", "analyst", &["--zones", "sandbox"]);
        let corporate_analyst = user("cora", "analyst", &["--zones", "corporate"]);

        let (child, base, log) = Self::serve(&config);
        Daemon {
            child,
            base,
            dir,
            config,
            engineer,
            other_engineer,
            reviewer,
            other_reviewer,
            analyst,
            corporate_analyst,
            log,
            http: reqwest::Client::new(),
        }
    }

    /// Spawns `airlock serve` and waits for its "listening on" line.
    fn serve(config: &Path) -> (Child, String, Arc<Mutex<Vec<String>>>) {
        let mut child = Command::new(BIN)
            .args(["serve", "--config"])
            .arg(config)
            .env_remove("AIRLOCK_CLAMD")
            .env("AIRLOCK_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("airlock listening on ") {
                    let _ = tx.send(url.to_owned());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("airlock did not start: {:#?}", log.lock().unwrap()));
        (child, base, log)
    }

    /// Kills the daemon with SIGKILL (no cleanup at all), points it at
    /// another clamd and starts it again on the same data directory.
    pub fn crash_and_restart_with_clamd(&mut self, clamd: &str, old_clamd: &str) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let config = std::fs::read_to_string(&self.config).unwrap();
        std::fs::write(&self.config, config.replace(old_clamd, clamd)).unwrap();
        let (child, base, log) = Self::serve(&self.config);
        self.child = child;
        self.base = base;
        self.log = log;
    }

    /// Appends `extra` TOML to the configuration, then restarts.
    pub fn reconfigure(&mut self, extra: &str) {
        let mut config = std::fs::read_to_string(&self.config).unwrap();
        config.push_str(extra);
        std::fs::write(&self.config, config).unwrap();
        self.restart();
    }

    /// Stops the daemon with SIGTERM, checks it exited cleanly, and starts
    /// it again on the same data directory.
    pub fn restart(&mut self) {
        let status = self.terminate();
        assert!(status.success(), "exit status {status}: {}", self.log());
        let (child, base, log) = Self::serve(&self.config);
        self.child = child;
        self.base = base;
        self.log = log;
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs `airlock ARGS --config <this daemon's config>`.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(BIN)
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .env_remove("AIRLOCK_CLAMD")
            .output()
            .unwrap()
    }

    /// Adds a user with `role` (and `--zones …` in `extra`) and returns
    /// their token.
    pub fn add_user(&self, name: &str, role: &str, extra: &[&str]) -> String {
        add_user(&self.config, name, role, extra)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Registers an acquisition as `token`'s user and returns its view.
    pub async fn register(
        &self,
        token: &str,
        name: &str,
        zone: &str,
        classification: &str,
    ) -> Value {
        let (status, acq) = self
            .post(
                token,
                "/v1/acquisitions",
                &serde_json::json!({
                    "name": name, "description": "e2e", "target_zone": zone,
                    "classification": classification, "supplier": "HMRC",
                    "legal_basis": "SRSA 2007 s.45", "purpose": "e2e tests",
                    "personal_data": false, "retention_days": 30
                }),
            )
            .await;
        assert_eq!(status, 201, "{acq}");
        acq
    }

    /// An engineer's acquisition, approved by a reviewer.
    pub async fn acquisition(&self, name: &str, zone: &str, classification: &str) -> String {
        let acq = self
            .register(&self.engineer, name, zone, classification)
            .await;
        let id = acq["id"].as_str().unwrap().to_owned();
        let decision = serde_json::json!({"decision": "approve", "reason": "e2e"});
        let (status, body) = self
            .post(
                &self.reviewer,
                &format!("/v1/acquisitions/{id}/review"),
                &decision,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        id
    }

    /// Uploads `body` and returns (status, JSON answer).
    pub async fn upload(&self, acq: &str, filename: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .http
            .put(self.url(&format!("/v1/acquisitions/{acq}/files/{filename}")))
            .bearer_auth(&self.engineer)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// Polls the file until its state is one of `states`.
    pub async fn wait_for(&self, file_id: &str, states: &[&str]) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let (status, file) = self
                .get(&self.engineer, &format!("/v1/files/{file_id}"))
                .await;
            assert_eq!(status, 200, "{file}");
            if states.contains(&file["state"].as_str().unwrap_or_default()) {
                return file;
            }
            assert!(
                Instant::now() < deadline,
                "file never reached {states:?}: {file:#}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the daemon (since its last start) has logged a line
    /// holding `needle`.
    pub async fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "the daemon never logged {needle:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Uploads a new file (asserting `202`) and waits until it is published,
    /// rejected or held.
    pub async fn deliver(&self, acq: &str, filename: &str, body: Vec<u8>) -> Value {
        let (status, accepted) = self.upload(acq, filename, body).await;
        assert_eq!(status, 202, "{accepted}");
        self.wait_for(
            accepted["id"].as_str().unwrap(),
            &["published", "rejected", "held"],
        )
        .await
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        self.child.wait().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `airlock user add NAME --role ROLE EXTRA…` on `config`: the new user's
/// token.
fn add_user(config: &Path, name: &str, role: &str, extra: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(["user", "add", name, "--role", role])
        .args(extra)
        .arg("--config")
        .arg(config)
        .env_remove("AIRLOCK_CLAMD")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A private clamd, a daemon using it, and an acquisition registered by the
/// daemon's engineer.
pub async fn setup(acquisition: &str, zone: &str, classification: &str) -> (Clamd, Daemon, String) {
    let clamd = Clamd::start();
    let d = Daemon::start(&clamd.addr());
    let acq = d.acquisition(acquisition, zone, classification).await;
    (clamd, d, acq)
}

/// Every file under `dir` whose name ends with `suffix`.
pub fn files_under(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p, suffix));
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out
}

/// The EICAR test file, assembled at run time.
/// A one-row CSV whose second field is the EICAR test string.
pub fn eicar_csv() -> Vec<u8> {
    let mut body = b"id,payload\n1,".to_vec();
    body.extend_from_slice(&eicar());
    body.push(b'\n');
    body
}

pub fn eicar() -> Vec<u8> {
    [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-",
        "ANTIVIRUS-TEST-FILE!$H+H*",
    ]
    .concat()
    .into_bytes()
}
