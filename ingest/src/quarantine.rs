//! Quarantine: delivered bytes, durable and hashed before anything else
//! happens to them.
//!
//! A delivery is streamed to `incoming/<random>.part` while its SHA-256 is
//! computed, fsync'd, then renamed to `<file id>` and the directory fsync'd.
//! Only then is the catalog row written and the upload acknowledged. A crash
//! before the row leaves an orphan that [`Quarantine::sweep`] removes at the
//! next start; a crash after it loses nothing.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::IngestError;

#[derive(Debug, Clone)]
pub struct Quarantine {
    dir: PathBuf,
}

/// Bytes received and durable, not yet named by a file id.
#[derive(Debug)]
pub struct Received {
    part: PathBuf,
    pub sha256: String,
    pub size_bytes: u64,
}

impl Quarantine {
    pub fn open(dir: &Path) -> Result<Self, IngestError> {
        std::fs::create_dir_all(dir.join("incoming"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// Where the bytes of file `id` live. File ids are UUIDs the daemon
    /// generated, never client input.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Streams `body` to disk, hashing as it goes, and fsyncs it. Fails with
    /// [`IngestError::TooLarge`] as soon as more than `limit_bytes` arrive;
    /// nothing is left behind on any failure.
    pub async fn receive<S, E>(&self, body: S, limit_bytes: u64) -> Result<Received, IngestError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let part = self
            .dir
            .join("incoming")
            .join(format!("{}.part", uuid::Uuid::now_v7()));
        let result = Self::write(&part, body, limit_bytes).await;
        match result {
            Ok((sha256, size_bytes)) => Ok(Received {
                part,
                sha256,
                size_bytes,
            }),
            Err(e) => {
                let _ = tokio::fs::remove_file(&part).await;
                Err(e)
            }
        }
    }

    async fn write<S, E>(part: &Path, body: S, limit: u64) -> Result<(String, u64), IngestError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let mut file = tokio::fs::File::create(part).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                IngestError::bad_request("upload_interrupted", format!("the upload broke off: {e}"))
            })?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(IngestError::TooLarge { limit_bytes: limit });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        Ok((hex::encode(hasher.finalize()), size))
    }

    /// Names received bytes as file `id`, durably.
    pub async fn commit(&self, received: Received, id: &str) -> Result<(), IngestError> {
        tokio::fs::rename(&received.part, self.path(id)).await?;
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
            .await
            .map_err(std::io::Error::other)??;
        Ok(())
    }

    pub async fn remove(&self, id: &str) -> Result<(), IngestError> {
        match tokio::fs::remove_file(self.path(id)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// At start-up: drops partial uploads, and committed bytes that never got
    /// a catalog row (`known` says whether an id has one). Returns how many
    /// files were removed.
    pub async fn sweep<F, Fut>(&self, known: F) -> Result<usize, IngestError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<bool, IngestError>>,
    {
        let mut removed = 0;
        let mut incoming = tokio::fs::read_dir(self.dir.join("incoming")).await?;
        while let Some(e) = incoming.next_entry().await? {
            tokio::fs::remove_file(e.path()).await?;
            removed += 1;
        }
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(e) = entries.next_entry().await? {
            if !e.file_type().await?.is_file() {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if !known(name).await? {
                tokio::fs::remove_file(e.path()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, String>> {
        futures::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn receive_hashes_and_commits() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        let r = q.receive(chunks(&[b"ab", b"c"]), 10).await.unwrap();
        assert_eq!(r.size_bytes, 3);
        assert_eq!(
            r.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        q.commit(r, "f1").await.unwrap();
        assert_eq!(std::fs::read(q.path("f1")).unwrap(), b"abc");
    }

    #[tokio::test]
    async fn over_limit_and_broken_uploads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        let err = q.receive(chunks(&[b"abcdef"]), 5).await.unwrap_err();
        assert!(matches!(err, IngestError::TooLarge { limit_bytes: 5 }));
        let broken = futures::stream::iter(vec![Ok(Bytes::from_static(b"a")), Err("reset")]);
        let err = q.receive(broken, 5).await.unwrap_err();
        assert!(err.to_string().contains("reset"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path().join("incoming"))
                .unwrap()
                .count(),
            0
        );
    }

    #[tokio::test]
    async fn sweep_removes_orphans_only() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::open(dir.path()).unwrap();
        for id in ["kept", "orphan"] {
            let r = q.receive(chunks(&[b"x"]), 10).await.unwrap();
            q.commit(r, id).await.unwrap();
        }
        std::fs::write(dir.path().join("incoming/half.part"), b"x").unwrap();
        let removed = q.sweep(|id| async move { Ok(id == "kept") }).await.unwrap();
        assert_eq!(removed, 2);
        assert!(q.path("kept").exists());
        assert!(!q.path("orphan").exists());
    }
}
