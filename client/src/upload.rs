//! Sending a file over tus, resumably: run again after any interruption
//! (a broken connection, a killed process, a restarted server), the same
//! upload goes on from the server's acknowledged offset.
//!
//! The key decision is where an upload is remembered: a small JSON file
//! in a state directory the caller chooses (the user's cache directory
//! for the CLI), named by a hash of the server, the acquisition, the
//! file's absolute path, its size and its modification time. A file that
//! changed is a new upload; a remembered upload the server no longer knows
//! (expired, or another user's token) is started afresh. Each chunk
//! carries its SHA-256 (`Upload-Checksum`), so bytes corrupted on the way
//! are refused and sent again, and memory holds one chunk at a time.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::{Client, ClientError, Result, successful};

const TUS_VERSION: &str = "1.0.0";

/// What to send, and where the upload is remembered.
pub struct Upload<'a> {
    pub acquisition_id: &'a str,
    pub file: &'a Path,
    /// The name the delivery takes; the file's own name if absent.
    pub name: Option<&'a str>,
    /// The format the supplier declares (`csv`, `parquet`, …), if any.
    pub format: Option<&'a str>,
    pub state_dir: &'a Path,
    /// Bytes per PATCH: the most held in memory at once.
    pub chunk_bytes: usize,
}

/// A finished upload: the delivery it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub file_id: String,
    /// Where this run started: 0 for a new upload, else the offset it
    /// resumed from.
    pub resumed_from: u64,
}

/// The server's view of one upload.
struct Position {
    offset: u64,
    file_id: Option<String>,
}

impl Client {
    /// Sends `upload.file`, resuming a remembered upload of the same file;
    /// `on_progress(sent, total)` hears each acknowledged offset, and
    /// stops the upload (remembered, to resume) by breaking.
    pub async fn upload(
        &self,
        upload: &Upload<'_>,
        mut on_progress: impl FnMut(u64, u64) -> ControlFlow<()>,
    ) -> Result<Delivered> {
        let path = std::path::absolute(upload.file)?;
        let meta = tokio::fs::metadata(&path).await?;
        if !meta.is_file() {
            return Err(ClientError::Invalid(format!(
                "{} is not a file",
                path.display()
            )));
        }
        let length = meta.len();
        let name = match upload.name {
            Some(n) => n.to_owned(),
            None => path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| ClientError::Invalid("the file has no UTF-8 name".into()))?
                .to_owned(),
        };
        let modified = meta
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let key = hex::encode(Sha256::digest(format!(
            "{}\n{}\n{}\n{length}\n{modified}",
            self.server,
            upload.acquisition_id,
            path.display()
        )));
        tokio::fs::create_dir_all(upload.state_dir).await?;
        let state = upload.state_dir.join(format!("{key}.json"));

        let mut location = remembered(&state).await;
        let mut position = None;
        if let Some(at) = &location {
            match self.position(at).await {
                Ok(p) => position = Some(p),
                Err(ClientError::Api {
                    status: 404 | 410, ..
                }) => {
                    location = None;
                }
                Err(e) => return Err(e),
            }
        }
        let location = match location {
            Some(at) => at,
            None => {
                let at = self
                    .create(upload.acquisition_id, &name, upload.format, length)
                    .await?;
                remember(&state, &at).await?;
                position = Some(Position {
                    offset: 0,
                    file_id: None,
                });
                at
            }
        };
        let mut position = position.unwrap_or(Position {
            offset: 0,
            file_id: None,
        });
        let resumed_from = position.offset;
        let mut file = tokio::fs::File::open(&path).await?;
        let mut chunk = vec![0u8; upload.chunk_bytes.clamp(1, 64 << 20)];
        let mut report = |offset| match on_progress(offset, length) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(ClientError::Interrupted { offset }),
        };
        report(position.offset)?;
        while position.file_id.is_none() {
            if position.offset >= length && length > 0 {
                // Every byte acknowledged but no delivery named: ask again.
                position = self.position(&location).await?;
                if position.file_id.is_none() {
                    return Err(ClientError::Invalid(
                        "the server holds every byte but names no delivery".into(),
                    ));
                }
                break;
            }
            file.seek(std::io::SeekFrom::Start(position.offset)).await?;
            let want = chunk.len().min((length - position.offset) as usize);
            file.read_exact(&mut chunk[..want]).await?;
            match self
                .append(&location, position.offset, &chunk[..want])
                .await
            {
                Ok(p) => position = p,
                // Another run moved the offset on: take it from the server.
                Err(ClientError::Api { status: 409, .. }) => {
                    position = self.position(&location).await?;
                }
                Err(e) => return Err(e),
            }
            if position.file_id.is_none() {
                report(position.offset)?;
            }
        }
        report(length)?;
        let _ = tokio::fs::remove_file(&state).await;
        Ok(Delivered {
            file_id: position.file_id.unwrap_or_default(),
            resumed_from,
        })
    }

    fn tus(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request(method, path)
            .header("tus-resumable", TUS_VERSION)
    }

    /// Creates an upload; its location (a path on the server).
    async fn create(
        &self,
        acquisition_id: &str,
        name: &str,
        format: Option<&str>,
        length: u64,
    ) -> Result<String> {
        let mut metadata = vec![
            format!("acquisition_id {}", STANDARD.encode(acquisition_id)),
            format!("filename {}", STANDARD.encode(name)),
        ];
        if let Some(f) = format {
            metadata.push(format!("format {}", STANDARD.encode(f)));
        }
        let response = self
            .tus(Method::POST, "/v1/uploads")
            .header("upload-length", length.to_string())
            .header("upload-metadata", metadata.join(","))
            .send()
            .await?;
        let response = successful(response).await?;
        let location = header(&response, "location")
            .ok_or_else(|| ClientError::Invalid("the server gave the upload no location".into()))?;
        // The server answers with a path; a full URL is cut to its path.
        let path = match location.find("/v1/") {
            Some(at) => location[at..].to_owned(),
            None => location,
        };
        Ok(path)
    }

    async fn position(&self, location: &str) -> Result<Position> {
        let response = self.tus(Method::HEAD, location).send().await?;
        let response = successful(response).await?;
        position_of(&response)
    }

    async fn append(&self, location: &str, offset: u64, bytes: &[u8]) -> Result<Position> {
        let checksum = STANDARD.encode(Sha256::digest(bytes));
        let response = self
            .tus(Method::PATCH, location)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .header("upload-checksum", format!("sha256 {checksum}"))
            .body(bytes.to_vec())
            .send()
            .await?;
        let response = successful(response).await?;
        position_of(&response)
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn position_of(response: &reqwest::Response) -> Result<Position> {
    let offset = header(response, "upload-offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ClientError::Invalid("the server sent no Upload-Offset".into()))?;
    Ok(Position {
        offset,
        file_id: header(response, "airlock-file-id"),
    })
}

/// The remembered location of an upload, if any (an unreadable state file
/// is a fresh start, not an error).
async fn remembered(state: &Path) -> Option<String> {
    let text = tokio::fs::read(state).await.ok()?;
    let value: Value = serde_json::from_slice(&text).ok()?;
    value["location"]
        .as_str()
        .filter(|l| l.starts_with("/v1/uploads/"))
        .map(str::to_owned)
}

/// Remembers an upload's location, atomically (a crash leaves the old
/// state or the new one).
async fn remember(state: &Path, location: &str) -> Result<()> {
    let partial: PathBuf = state.with_extension("json.partial");
    let body = json!({ "location": location }).to_string();
    tokio::fs::write(&partial, body).await?;
    tokio::fs::rename(&partial, state).await?;
    Ok(())
}
