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
        std::fs::create_dir_all(dir.join("uploads"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// The SHA-256 of the file at `path`, read in 1 MiB blocks.
    pub async fn hash(&self, path: &Path) -> Result<String, IngestError> {
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(path).await?;
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
        }
        Ok(hex::encode(hash.finalize()))
    }

    /// Where the bytes of file `id` live. File ids are UUIDs the daemon
    /// generated, never client input.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Streams `body` to disk, hashing as it goes, and fsyncs it. Before
    /// each chunk is kept, `reserve` is asked for room for the total so
    /// far (see [`crate::admission::Ticket::reserve`]); its refusal ends
    /// the upload. Nothing is left behind on any failure.
    pub async fn receive<S, E>(
        &self,
        body: S,
        reserve: impl FnMut(u64) -> Result<(), IngestError>,
    ) -> Result<Received, IngestError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let part = self
            .dir
            .join("incoming")
            .join(format!("{}.part", uuid::Uuid::now_v7()));
        let result = Self::write(&part, body, reserve).await;
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

    async fn write<S, E>(
        part: &Path,
        body: S,
        mut reserve: impl FnMut(u64) -> Result<(), IngestError>,
    ) -> Result<(String, u64), IngestError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let mut file = tokio::fs::File::create(part).await.map_err(disk)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                IngestError::bad_request("upload_interrupted", format!("the upload broke off: {e}"))
            })?;
            size += chunk.len() as u64;
            reserve(size)?;
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(disk)?;
        }
        file.sync_all().await.map_err(disk)?;
        Ok((hex::encode(hasher.finalize()), size))
    }

    /// A new, empty part for bytes written by offset (an SFTP upload), to
    /// be made [`Received`] by [`Quarantine::finish`]. Like any part, it is
    /// swept away at start-up if it never was.
    pub async fn part(&self) -> Result<(PathBuf, tokio::fs::File), IngestError> {
        let part = self
            .dir
            .join("incoming")
            .join(format!("{}.part", uuid::Uuid::now_v7()));
        let file = tokio::fs::File::create(&part).await.map_err(disk)?;
        Ok((part, file))
    }

    /// Hashes a part written by offset and makes it durable.
    pub async fn finish(&self, part: PathBuf) -> Result<Received, IngestError> {
        let source = tokio::fs::File::open(&part).await?;
        let mut hasher = Sha256::new();
        let mut size_bytes = 0u64;
        let mut chunks = tokio_util::io::ReaderStream::with_capacity(source, 1 << 20);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            size_bytes += chunk.len() as u64;
            hasher.update(&chunk);
        }
        tokio::fs::File::open(&part)
            .await?
            .sync_all()
            .await
            .map_err(disk)?;
        Ok(Received {
            part,
            sha256: hex::encode(hasher.finalize()),
            size_bytes,
        })
    }

    /// Where a resumable upload's bytes so far live. Upload ids are UUIDs
    /// the daemon generated.
    pub fn upload_path(&self, id: &str) -> PathBuf {
        self.dir.join("uploads").join(id)
    }

    /// Gives a finished upload's bytes the name of file `id` as well (a
    /// hard link, durably): if recording the file then fails, the upload
    /// still holds them.
    pub async fn link(&self, upload: &Path, id: &str) -> Result<(), IngestError> {
        let target = self.path(id);
        let _ = tokio::fs::remove_file(&target).await;
        tokio::fs::hard_link(upload, &target).await?;
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
            .await
            .map_err(std::io::Error::other)??;
        Ok(())
    }

    /// Throws received bytes away.
    pub async fn discard(&self, received: Received) {
        let _ = tokio::fs::remove_file(&received.part).await;
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

/// A full disk is the caller's to retry later (507), not a server fault.
fn disk(e: std::io::Error) -> IngestError {
    use std::io::ErrorKind::{QuotaExceeded, StorageFull};
    match e.kind() {
        StorageFull | QuotaExceeded => IngestError::Busy {
            limit: crate::error::Limit::Disk,
            message: "quarantine's disk is full; nothing of this upload was kept; retry later"
                .into(),
            retry_after_secs: 60,
        },
        _ => e.into(),
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
        let r = q.receive(chunks(&[b"ab", b"c"]), |_| Ok(())).await.unwrap();
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
        let at_most_5 = |n: u64| match n {
            0..=5 => Ok(()),
            _ => Err(IngestError::TooLarge { limit_bytes: 5 }),
        };
        let err = q
            .receive(chunks(&[b"abcdef"]), at_most_5)
            .await
            .unwrap_err();
        assert!(matches!(err, IngestError::TooLarge { limit_bytes: 5 }));
        let broken = futures::stream::iter(vec![Ok(Bytes::from_static(b"a")), Err("reset")]);
        let err = q.receive(broken, at_most_5).await.unwrap_err();
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
            let r = q.receive(chunks(&[b"x"]), |_| Ok(())).await.unwrap();
            q.commit(r, id).await.unwrap();
        }
        std::fs::write(dir.path().join("incoming/half.part"), b"x").unwrap();
        let removed = q.sweep(|id| async move { Ok(id == "kept") }).await.unwrap();
        assert_eq!(removed, 2);
        assert!(q.path("kept").exists());
        assert!(!q.path("orphan").exists());
    }

    /// A disk that fills during an upload: a clean error, and nothing left.
    /// Mounts a 256 KiB tmpfs, so it needs root, as the README's test command
    /// does (it installs packages).
    #[tokio::test]
    async fn a_full_disk_refuses_the_upload_and_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("running mount");
        assert!(mounted.success(), "mounting a tmpfs needs root");
        struct Unmount<'a>(&'a std::path::Path);
        impl Drop for Unmount<'_> {
            fn drop(&mut self) {
                let _ = std::process::Command::new("umount").arg(self.0).status();
            }
        }
        let _unmount = Unmount(dir.path());
        let q = Quarantine::open(dir.path()).unwrap();
        let block: &'static [u8] = Box::leak(vec![7u8; 64 << 10].into_boxed_slice());
        let body =
            futures::stream::iter((0..16).map(move |_| Ok::<_, String>(Bytes::from_static(block))));
        match q.receive(body, |_| Ok(())).await {
            Err(e @ IngestError::Busy { .. }) => {
                let (status, code, _) = e.public();
                assert_eq!((status.as_u16(), code), (507, "insufficient_storage"));
            }
            other => panic!(
                "expected a full disk, got {:?}",
                other.map(|r| r.size_bytes)
            ),
        }
        let left: Vec<_> = std::fs::read_dir(dir.path().join("incoming"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "the partial upload is removed: {left:?}");
        // Room again once space frees up: a small upload goes through.
        let small = futures::stream::iter([Ok::<_, String>(Bytes::from_static(b"id\n1\n"))]);
        assert_eq!(q.receive(small, |_| Ok(())).await.unwrap().size_bytes, 5);
    }
}
