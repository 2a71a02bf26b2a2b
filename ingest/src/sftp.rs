//! The SFTP drop endpoint: suppliers `put` files over SSH.
//!
//! Users log in by public key only. Each configured key acts as one
//! Airlock user and is bound to the acquisitions it may deliver to; the SSH
//! login name must be that user's name. The key decision is that the file
//! system a supplier sees is a view of the catalog, never a directory on
//! disk: `/` holds one directory per bound acquisition (named by its id),
//! and a directory lists only the caller's own deliveries still on their
//! way through the pipeline. Every path is resolved against that view, so
//! `..` cannot climb out of it and no client name ever becomes a path.
//!
//! Writing is the only thing a supplier can do. Reading back, removing and
//! making directories are refused. An upload's bytes go to a quarantine
//! part (swept at start-up if the daemon dies first); when the client
//! closes the file it is hashed, made durable and recorded (channel
//! `sftp`) before the close is answered, so a `put` that succeeded is a
//! delivery. A file written under a temporary name (`.name`, `*.part`,
//! `*.filepart`, `*.tmp`) is recorded only when renamed to its final name,
//! as WinSCP and friends do; a session that ends first leaves nothing.
//! Each upload holds an admission ticket: it counts as one of the user's
//! concurrent uploads and takes quarantine room as its bytes arrive, and
//! past a limit the write fails and nothing is kept.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::ssh_key::{LineEnding, PublicKey, private::Ed25519Keypair};
use russh::keys::{HashAlg, PrivateKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use russh_sftp::protocol::{
    Attrs, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version,
};
use russh_sftp::server::StatusReply;
use serde::Deserialize;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use airlock_catalog::Channel as Via;
use airlock_policies::Principal;

use crate::intake::{self, Arrival, Gate};
use crate::names::FileName;
use crate::{App, IngestError};

/// `[sftp]`: the SFTP drop endpoint, off unless configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    pub listen: SocketAddr,
    /// The server's Ed25519 host key, in OpenSSH format. Default
    /// `<data_dir>/sftp_host_ed25519_key`, made at first start.
    #[serde(default)]
    pub host_key_path: Option<PathBuf>,
    /// A session that sends nothing for this long is closed.
    #[serde(default = "default_idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    #[serde(default)]
    pub keys: Vec<SftpKey>,
}

/// One `[[sftp.keys]]` entry: a public key, the user it acts as, and what
/// it may deliver to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpKey {
    /// The Airlock user id (as `airlock user add` printed it).
    pub user_id: String,
    /// One line of an `authorized_keys` file: `ssh-ed25519 AAAA… comment`.
    pub public_key: String,
    /// The acquisition ids this key may deliver to.
    pub acquisitions: Vec<String>,
}

fn default_idle_timeout_secs() -> u64 {
    600
}

/// A configured key, parsed.
struct Authorized {
    key: PublicKey,
    user_id: String,
    acquisitions: Vec<String>,
}

/// Parses every configured key; an unreadable or repeated one is refused,
/// naming its entry.
fn authorized(config: &SftpConfig) -> Result<Vec<Authorized>, IngestError> {
    let mut keys: Vec<Authorized> = Vec::new();
    for (i, k) in config.keys.iter().enumerate() {
        let bad = |why: String| IngestError::Config(format!("sftp.keys[{i}]: {why}"));
        let key = PublicKey::from_openssh(k.public_key.trim())
            .map_err(|e| bad(format!("public_key: {e}")))?;
        if keys.iter().any(|a| a.key.key_data() == key.key_data()) {
            return Err(bad("the same public key is configured twice".into()));
        }
        if k.acquisitions.is_empty() {
            return Err(bad("a key must be bound to at least one acquisition".into()));
        }
        keys.push(Authorized {
            key,
            user_id: k.user_id.clone(),
            acquisitions: k.acquisitions.clone(),
        });
    }
    Ok(keys)
}

/// Checks `[sftp]`'s keys, as at start-up.
pub fn check(config: &SftpConfig) -> Result<(), IngestError> {
    authorized(config).map(|_| ())
}

/// Loads the host key, or makes one (mode 0600) if there is none.
fn host_key(app: &App, config: &SftpConfig) -> Result<PrivateKey, IngestError> {
    let path = config
        .host_key_path
        .clone()
        .unwrap_or_else(|| app.config.data_dir.join("sftp_host_ed25519_key"));
    let cfg = |e: String| IngestError::Config(format!("sftp host key {}: {e}", path.display()));
    match std::fs::read_to_string(&path) {
        Ok(text) => PrivateKey::from_openssh(text).map_err(|e| cfg(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            rand::Rng::fill(&mut rand::rng(), &mut seed);
            let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
            let text = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| cfg(e.to_string()))?;
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "made an SFTP host key");
            Ok(key)
        }
        Err(e) => Err(cfg(e.to_string())),
    }
}

/// Serves SFTP on `listener` until `stop`. Sessions in progress are
/// disconnected; their unfinished uploads leave nothing.
pub async fn serve(
    app: Arc<App>,
    config: &SftpConfig,
    listener: tokio::net::TcpListener,
    stop: CancellationToken,
) -> Result<(), IngestError> {
    let keys = Arc::new(authorized(config)?);
    let ssh = Arc::new(russh::server::Config {
        keys: vec![host_key(&app, config)?],
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        inactivity_timeout: Some(Duration::from_secs(config.idle_timeout_secs)),
        auth_rejection_time: Duration::from_secs(1),
        auth_rejection_time_initial: Some(Duration::ZERO),
        ..Default::default()
    });
    tracing::info!(addr = %listener.local_addr()?, keys = keys.len(), "sftp listening");
    let mut server = Server { app, keys };
    let running = russh::server::Server::run_on_socket(&mut server, ssh, &listener);
    let handle = running.handle();
    tokio::select! {
        r = running => r?,
        _ = stop.cancelled() => handle.shutdown("airlock is stopping".into()),
    }
    Ok(())
}

#[derive(Clone)]
struct Server {
    app: Arc<App>,
    keys: Arc<Vec<Authorized>>,
}

impl russh::server::Server for Server {
    type Handler = Connection;

    fn new_client(&mut self, peer: Option<SocketAddr>) -> Connection {
        Connection {
            app: self.app.clone(),
            keys: self.keys.clone(),
            peer,
            login: None,
            channels: HashMap::new(),
        }
    }
}

/// Who logged in, and where they may deliver.
struct Login {
    who: Principal,
    acquisitions: Vec<String>,
}

/// One SSH connection.
struct Connection {
    app: Arc<App>,
    keys: Arc<Vec<Authorized>>,
    peer: Option<SocketAddr>,
    login: Option<Arc<Login>>,
    channels: HashMap<ChannelId, Channel<Msg>>,
}

impl Connection {
    fn configured(&self, key: &PublicKey) -> Option<&Authorized> {
        self.keys
            .iter()
            .find(|a| a.key.key_data() == key.key_data())
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(match self.configured(offer.public_key) {
            Some(_) => Auth::Accept,
            None => Auth::reject(),
        })
    }

    async fn auth_publickey(
        &mut self,
        login: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let fingerprint = key.public_key.fingerprint(HashAlg::Sha256).to_string();
        let Some(entry) = self.configured(key.public_key) else {
            return Ok(Auth::reject());
        };
        // A disabled user's keys are refused like any other's.
        let user = match self.app.catalog.enabled_user(&entry.user_id).await {
            Ok(Some(u)) if u.name == login => u,
            Ok(_) => {
                tracing::warn!(peer = ?self.peer, login, %fingerprint, "sftp: key not for this login, or its user is disabled");
                return Ok(Auth::reject());
            }
            Err(e) => {
                tracing::error!(error = %e, "sftp: catalog unavailable at login");
                return Ok(Auth::reject());
            }
        };
        let who = user.principal();
        tracing::info!(peer = ?self.peer, login, user_id = %who.user_id, %fingerprint, "sftp login");
        self.login = Some(Arc::new(Login {
            who,
            acquisitions: entry.acquisitions.clone(),
        }));
        Ok(Auth::Accept)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.close(channel)
    }

    async fn subsystem_request(
        &mut self,
        id: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match (name, self.login.clone(), self.channels.remove(&id)) {
            ("sftp", Some(login), Some(channel)) => {
                session.channel_success(id)?;
                let drops = Drops::new(self.app.clone(), login);
                russh_sftp::server::run(channel.into_stream(), drops).await;
            }
            _ => session.channel_failure(id)?,
        }
        Ok(())
    }
}

/// Where a path points in the drop area.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Root,
    Acquisition(String),
    File(String, String),
}

impl Target {
    fn path(&self) -> String {
        match self {
            Target::Root => "/".into(),
            Target::Acquisition(a) => format!("/{a}"),
            Target::File(a, f) => format!("/{a}/{f}"),
        }
    }
}

/// Resolves `path` (absolute, or relative to `home`) inside the drop
/// area. `..` never climbs above `/`: such a path is refused.
fn resolve(home: &[String], path: &str) -> Result<Target, StatusReply> {
    let mut parts: Vec<String> = match path.starts_with('/') {
        true => Vec::new(),
        false => home.to_vec(),
    };
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(StatusCode::PermissionDenied
                        .with_message("the path climbs out of the drop area"));
                }
            }
            s => parts.push(s.to_owned()),
        }
    }
    match parts.len() {
        0 => Ok(Target::Root),
        1 => Ok(Target::Acquisition(parts.remove(0))),
        2 => {
            let f = parts.pop().unwrap_or_default();
            Ok(Target::File(parts.remove(0), f))
        }
        _ => Err(StatusCode::NoSuchFile.with_message("the drop area has no subdirectories")),
    }
}

/// Directory entries per read: one reply stays well inside the packet
/// size clients accept, however many files a directory lists.
const LISTING_BATCH: usize = 100;

/// Whether a name is one clients upload under before renaming into place.
fn temporary(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with(".part")
        || name.ends_with(".filepart")
        || name.ends_with(".tmp")
}

fn reply(e: IngestError) -> StatusReply {
    let (status, code, message) = e.public();
    let kind = match status.as_u16() {
        403 => StatusCode::PermissionDenied,
        404 => StatusCode::NoSuchFile,
        _ => StatusCode::Failure,
    };
    kind.with_message(format!("{code}: {message}"))
}

fn denied(why: &str) -> StatusReply {
    StatusCode::PermissionDenied.with_message(why)
}

fn ok(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".into(),
        language_tag: "en-US".into(),
    }
}

fn dir_attrs() -> FileAttributes {
    FileAttributes {
        permissions: Some(0o040_755),
        ..FileAttributes::default()
    }
}

fn file_attrs(size: u64, mtime_ms: i64) -> FileAttributes {
    FileAttributes {
        size: Some(size),
        permissions: Some(0o100_440),
        mtime: Some((mtime_ms / 1000) as u32),
        atime: Some((mtime_ms / 1000) as u32),
        ..FileAttributes::default()
    }
}

/// An upload where its acquisition and name are settled.
struct Upload {
    gate: Gate,
    part: PathBuf,
}

/// An open upload.
struct Writing {
    upload: Upload,
    name: String,
    file: tokio::fs::File,
    size: u64,
    /// Why the upload failed; it cannot be closed into a delivery.
    failed: Option<StatusReply>,
}

enum Open {
    /// A directory listing, handed out [`LISTING_BATCH`] entries a read.
    Listing(Vec<File>),
    Writing(Box<Writing>),
}

/// The SFTP session of one logged-in user.
struct Drops {
    app: Arc<App>,
    login: Arc<Login>,
    /// Where relative paths start: the acquisition's directory when the key
    /// has only one.
    home: Vec<String>,
    open: HashMap<String, Open>,
    next_handle: u64,
    /// Closed under a temporary name, waiting for a rename: (acquisition,
    /// name) → upload.
    staged: HashMap<(String, String), (Upload, u64)>,
    version: Option<u32>,
}

impl Drop for Drops {
    fn drop(&mut self) {
        // Uploads never closed or never renamed into place leave nothing.
        for open in self.open.values() {
            if let Open::Writing(w) = open {
                let _ = std::fs::remove_file(&w.upload.part);
            }
        }
        for (upload, _) in self.staged.values() {
            let _ = std::fs::remove_file(&upload.part);
        }
    }
}

impl Drops {
    fn new(app: Arc<App>, login: Arc<Login>) -> Self {
        let home = match login.acquisitions.as_slice() {
            [one] => vec![one.clone()],
            _ => Vec::new(),
        };
        Self {
            app,
            login,
            home,
            open: HashMap::new(),
            next_handle: 0,
            staged: HashMap::new(),
            version: None,
        }
    }

    /// Resolves a path and checks its acquisition is one the key is bound
    /// to.
    fn target(&self, path: &str) -> Result<Target, StatusReply> {
        let t = resolve(&self.home, path)?;
        match &t {
            Target::Acquisition(a) | Target::File(a, _) if !self.login.acquisitions.contains(a) => {
                Err(denied("this key delivers to no such acquisition"))
            }
            _ => Ok(t),
        }
    }

    fn handle(&mut self, open: Open) -> String {
        self.next_handle += 1;
        let h = self.next_handle.to_string();
        self.open.insert(h.clone(), open);
        h
    }

    /// The caller's own deliveries to `acquisition` still on their way,
    /// and uploads waiting for a rename.
    async fn pending(&self, acquisition: &str) -> Result<Vec<File>, StatusReply> {
        let mut files = Vec::new();
        let mut before = String::new();
        loop {
            let page = self
                .app
                .catalog
                .acquisition_files(acquisition, &before, 500)
                .await
                .map_err(|e| reply(e.into()))?;
            let Some(last) = page.last() else { break };
            before = last.id.clone();
            let more = page.len() == 500;
            for f in &page {
                if f.submitted_by == self.login.who.user_id && !f.state.is_final() {
                    files.push(File::new(
                        &f.filename,
                        file_attrs(f.size_bytes as u64, f.created_at),
                    ));
                }
            }
            if !more {
                break;
            }
        }
        for ((a, name), (_, size)) in &self.staged {
            if a == acquisition {
                files.push(File::new(name, file_attrs(*size, crate::now_ms())));
            }
        }
        Ok(files)
    }

    /// Begins an upload to `acquisition`: the user may deliver to it now,
    /// and there is room (taken as the bytes arrive).
    async fn begin(&self, acquisition: &str) -> Result<Upload, IngestError> {
        let arrival = Arrival {
            who: &self.login.who,
            acquisition_id: acquisition,
            channel: Via::Sftp,
            declared_format: None,
            length: None,
        };
        let gate = intake::open(self.app.intake(), arrival).await?;
        let (part, _) = self.app.quarantine.part().await?;
        Ok(Upload { gate, part })
    }

    /// Makes a finished upload a delivery named `name`.
    async fn deliver(&self, upload: Upload, name: &str) -> Result<(), IngestError> {
        let received = upload.gate.received(self.app.intake(), upload.part).await?;
        let acquisition_id = upload.gate.acquisition.id.clone();
        let filename = FileName::parse(name)?;
        let inserted = upload
            .gate
            .record(self.app.intake(), received, &filename)
            .await?;
        tracing::info!(
            file_id = %inserted.file.id,
            acquisition_id = %acquisition_id,
            user_id = %self.login.who.user_id,
            created = inserted.created,
            "sftp delivery"
        );
        Ok(())
    }
}

impl russh_sftp::server::Handler for Drops {
    type Error = StatusReply;

    fn unimplemented(&self) -> StatusReply {
        StatusCode::OpUnsupported.into()
    }

    async fn init(
        &mut self,
        version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, StatusReply> {
        if self.version.replace(version).is_some() {
            return Err(StatusCode::BadMessage.into());
        }
        Ok(Version::new())
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, StatusReply> {
        let target = self.target(&path)?;
        Ok(Name {
            id,
            files: vec![File::dummy(target.path())],
        })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, StatusReply> {
        let attrs = match self.target(&path)? {
            Target::Root | Target::Acquisition(_) => dir_attrs(),
            Target::File(a, name) => self
                .pending(&a)
                .await?
                .into_iter()
                .find(|f| f.filename == name)
                .map(|f| f.attrs)
                .ok_or_else(|| StatusReply::from(StatusCode::NoSuchFile))?,
        };
        Ok(Attrs { id, attrs })
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, StatusReply> {
        self.stat(id, path).await
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, StatusReply> {
        match self.open.get(&handle) {
            Some(Open::Writing(w)) => Ok(Attrs {
                id,
                attrs: file_attrs(w.size, crate::now_ms()),
            }),
            Some(Open::Listing(_)) => Ok(Attrs {
                id,
                attrs: dir_attrs(),
            }),
            None => Err(StatusCode::Failure.with_message("no such handle")),
        }
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, StatusReply> {
        let files = match self.target(&path)? {
            Target::Root => self
                .login
                .acquisitions
                .iter()
                .map(|a| File::new(a, dir_attrs()))
                .collect(),
            Target::Acquisition(a) => self.pending(&a).await?,
            Target::File(..) => return Err(StatusCode::NoSuchFile.into()),
        };
        let handle = self.handle(Open::Listing(files));
        Ok(Handle { id, handle })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, StatusReply> {
        match self.open.get_mut(&handle) {
            Some(Open::Listing(files)) if files.is_empty() => Err(StatusCode::Eof.into()),
            Some(Open::Listing(files)) => {
                let rest = files.split_off(files.len().min(LISTING_BATCH));
                let files = std::mem::replace(files, rest);
                Ok(Name { id, files })
            }
            _ => Err(StatusCode::Failure.with_message("no such directory handle")),
        }
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, StatusReply> {
        if pflags.contains(OpenFlags::READ) || !pflags.contains(OpenFlags::WRITE) {
            return Err(denied("delivered files cannot be read back"));
        }
        let Target::File(acquisition, name) = self.target(&filename)? else {
            return Err(StatusCode::Failure.with_message("not a file"));
        };
        FileName::parse(&name).map_err(reply)?;
        if pflags.contains(OpenFlags::APPEND) {
            return Err(StatusCode::OpUnsupported.with_message("appending is not supported"));
        }
        // Writing a staged name again starts it over.
        if let Some((old, _)) = self.staged.remove(&(acquisition.clone(), name.clone())) {
            let _ = tokio::fs::remove_file(&old.part).await;
        }
        let upload = self.begin(&acquisition).await.map_err(reply)?;
        let file = match tokio::fs::OpenOptions::new()
            .write(true)
            .open(&upload.part)
            .await
        {
            Ok(f) => f,
            Err(e) => {
                let _ = tokio::fs::remove_file(&upload.part).await;
                return Err(reply(e.into()));
            }
        };
        let handle = self.handle(Open::Writing(Box::new(Writing {
            upload,
            name,
            file,
            size: 0,
            failed: None,
        })));
        Ok(Handle { id, handle })
    }

    async fn write(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<Status, StatusReply> {
        let Some(Open::Writing(w)) = self.open.get_mut(&handle) else {
            return Err(StatusCode::Failure.with_message("no such file handle"));
        };
        if let Some(why) = &w.failed {
            return Err(why.clone());
        }
        let end = offset.saturating_add(data.len() as u64);
        let written = async {
            w.upload.gate.ticket.reserve(end.max(w.size))?;
            w.file.seek(std::io::SeekFrom::Start(offset)).await?;
            w.file.write_all(&data).await?;
            Ok::<_, IngestError>(())
        }
        .await;
        match written {
            Ok(()) => {
                w.size = w.size.max(end);
                Ok(ok(id))
            }
            Err(e) => {
                let why = reply(e);
                w.failed = Some(why.clone());
                Err(why)
            }
        }
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, StatusReply> {
        let Some(open) = self.open.remove(&handle) else {
            return Err(StatusCode::Failure.with_message("no such handle"));
        };
        let Open::Writing(w) = open else {
            return Ok(ok(id));
        };
        let Writing {
            upload,
            name,
            file,
            size,
            failed,
        } = *w;
        drop(file);
        if let Some(why) = failed {
            let _ = tokio::fs::remove_file(&upload.part).await;
            return Err(why);
        }
        if temporary(&name) {
            let key = (upload.gate.acquisition.id.clone(), name);
            self.staged.insert(key, (upload, size));
            return Ok(ok(id));
        }
        self.deliver(upload, &name).await.map_err(reply)?;
        Ok(ok(id))
    }

    async fn rename(
        &mut self,
        id: u32,
        oldpath: String,
        newpath: String,
    ) -> Result<Status, StatusReply> {
        let (Target::File(from_acq, from), Target::File(to_acq, to)) =
            (self.target(&oldpath)?, self.target(&newpath)?)
        else {
            return Err(StatusCode::Failure.with_message("only files can be renamed"));
        };
        if from_acq != to_acq || temporary(&to) {
            return Err(denied(
                "an upload can only be renamed to a final name in its acquisition",
            ));
        }
        FileName::parse(&to).map_err(reply)?;
        let Some((upload, _)) = self.staged.remove(&(from_acq, from)) else {
            return Err(denied(
                "only an upload under a temporary name can be renamed",
            ));
        };
        self.deliver(upload, &to).await.map_err(reply)?;
        Ok(ok(id))
    }

    async fn remove(&mut self, id: u32, filename: String) -> Result<Status, StatusReply> {
        if let Target::File(a, name) = self.target(&filename)?
            && let Some((upload, _)) = self.staged.remove(&(a, name))
        {
            let _ = tokio::fs::remove_file(&upload.part).await;
            return Ok(ok(id));
        }
        Err(denied("delivered files cannot be removed"))
    }

    async fn setstat(
        &mut self,
        id: u32,
        path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, StatusReply> {
        // Times and modes mean nothing here; accepted so `put -p` works.
        self.target(&path)?;
        Ok(ok(id))
    }

    async fn fsetstat(
        &mut self,
        id: u32,
        _handle: String,
        _attrs: FileAttributes,
    ) -> Result<Status, StatusReply> {
        Ok(ok(id))
    }

    async fn mkdir(
        &mut self,
        _id: u32,
        _path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, StatusReply> {
        Err(denied("the drop area's directories are its acquisitions"))
    }

    async fn rmdir(&mut self, _id: u32, _path: String) -> Result<Status, StatusReply> {
        Err(denied("the drop area's directories are its acquisitions"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> Vec<String> {
        vec!["acq".to_owned()]
    }

    #[test]
    fn paths_resolve_inside_the_drop_area_only() {
        let file = |a: &str, f: &str| Ok(Target::File(a.into(), f.into()));
        assert_eq!(resolve(&home(), "x.csv"), file("acq", "x.csv"));
        assert_eq!(resolve(&home(), "."), Ok(Target::Acquisition("acq".into())));
        assert_eq!(resolve(&home(), "/"), Ok(Target::Root));
        assert_eq!(resolve(&home(), "/b/./y.csv"), file("b", "y.csv"));
        assert_eq!(resolve(&home(), "../b/y.csv"), file("b", "y.csv"));
        assert_eq!(resolve(&[], "a//b"), file("a", "b"));
        for escape in ["../../etc/passwd", "/..", "/a/../../x", "../.."] {
            let err = resolve(&home(), escape).unwrap_err();
            assert_eq!(err.status_code, StatusCode::PermissionDenied, "{escape}");
        }
        let err = resolve(&home(), "/a/b/c").unwrap_err();
        assert_eq!(err.status_code, StatusCode::NoSuchFile);
    }

    #[test]
    fn temporary_names_wait_for_a_rename() {
        for name in [".x.csv", "x.csv.part", "x.csv.filepart", "x.tmp"] {
            assert!(temporary(name), "{name}");
        }
        assert!(!temporary("x.csv"));
    }

    #[test]
    fn keys_are_parsed_and_checked_at_start() {
        let key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGqWbDmBXZ3pKHvXNvCWfH5DdJlcOeiIPhsPjzOsvh6S test";
        let entry = |k: &str, acqs: &[&str]| SftpKey {
            user_id: "u".into(),
            public_key: k.into(),
            acquisitions: acqs.iter().map(|s| s.to_string()).collect(),
        };
        let config = |keys| SftpConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            host_key_path: None,
            idle_timeout_secs: 1,
            keys,
        };
        assert_eq!(
            authorized(&config(vec![entry(key, &["a"])])).unwrap().len(),
            1
        );
        for (keys, why) in [
            (
                vec![entry("ssh-ed25519 nonsense", &["a"])],
                "sftp.keys[0]: public_key",
            ),
            (vec![entry(key, &[])], "at least one acquisition"),
            (
                vec![entry(key, &["a"]), entry(key, &["b"])],
                "sftp.keys[1]: the same",
            ),
        ] {
            let err = authorized(&config(keys)).err().unwrap().to_string();
            assert!(err.contains(why), "{err}");
        }
    }
}
