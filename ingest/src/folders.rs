//! Drop folders: directories named in config, each bound to an
//! acquisition, swept on file-system events (inotify, through notify) and
//! on a cron schedule as the safety net.
//!
//! A file is taken only once it has fully arrived: it was renamed into the
//! folder (seen by a file-system event), it has a `NAME.done` marker, or
//! its size and modification time have not changed for `stable_secs`
//! across sweeps. Hidden files (`.name`), `*.part`, `*.tmp`
//! and markers are never taken, so a writer that writes under such a name
//! and renames into place is seen only whole. Nothing depends on
//! timestamps being newer than the last sweep: every sweep looks at every
//! file, so an old-dated file or one arriving mid-sweep is taken by this
//! sweep or the next.
//!
//! Taking a file copies it into quarantine (hashed, fsync'd), checks that
//! it did not change meanwhile, and records it (channel `folder`,
//! attributed to the acquisition's owner); then it is moved out of the
//! folder into `.airlock/accepted/`. The same bytes are one delivery (the
//! catalog is keyed on the acquisition and SHA-256), so a sweep cut short
//! between recording and moving only moves the file next time. Past a
//! back-pressure limit the sweep stops and the next one goes on.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use airlock_catalog::Channel;

use crate::IngestError;
use crate::intake::{self, Arrival, Intake};
use crate::names::FileName;

/// One `[[drop_folders]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropFolder {
    pub path: PathBuf,
    pub acquisition_id: String,
    /// A file without a `.done` marker is taken once its size and time
    /// have held this long.
    #[serde(default = "default_stable_secs")]
    pub stable_secs: u64,
    /// When to sweep: a cron expression with seconds.
    #[serde(default = "default_schedule")]
    pub schedule: String,
    /// What becomes of a taken file.
    #[serde(default)]
    pub after: Taken,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Taken {
    /// Moved to `.airlock/accepted/<delivery id>-<name>` (the default).
    #[default]
    Move,
    /// Left in place beside a `NAME.accepted` marker naming its delivery;
    /// a marked file is never taken again.
    Mark,
}

fn default_stable_secs() -> u64 {
    10
}

fn default_schedule() -> String {
    "*/5 * * * * *".into()
}

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub taken: u64,
    /// Files not yet whole.
    pub waiting: u64,
    /// Whether back-pressure or the acquisition's state stopped the sweep.
    pub paused: bool,
}

/// What the sweeps have seen of files still arriving (size, time, since),
/// and which names file-system events saw renamed into place.
#[derive(Default)]
pub struct Watch {
    seen: Mutex<HashMap<PathBuf, (u64, SystemTime, SystemTime)>>,
    renamed: Mutex<HashSet<PathBuf>>,
}

fn skipped(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with(".done")
        || name.ends_with(".accepted")
        || name.ends_with(".part")
        || name.ends_with(".tmp")
}

impl Watch {
    /// Whether `path` (of `meta`) has held its size and time for `stable`
    /// as of `now`.
    fn stable(
        &self,
        path: &Path,
        meta: &std::fs::Metadata,
        stable: Duration,
        now: SystemTime,
    ) -> bool {
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let entry = seen
            .entry(path.to_owned())
            .or_insert((meta.len(), mtime, now));
        if (entry.0, entry.1) != (meta.len(), mtime) {
            *entry = (meta.len(), mtime, now);
            return false;
        }
        now.duration_since(entry.2).unwrap_or_default() >= stable && entry.2 != now
    }

    fn forget(&self, path: &Path) {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
        self.renamed().remove(path);
    }

    fn renamed(&self) -> std::sync::MutexGuard<'_, HashSet<PathBuf>> {
        self.renamed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a file-system event in a drop folder. A name renamed into
    /// place has arrived whole; one created, written to or renamed away
    /// since has not.
    pub fn note(&self, event: &notify::Event) {
        use notify::EventKind::{Create, Modify, Remove};
        use notify::event::{ModifyKind, RenameMode};
        let mut renamed = self.renamed();
        match (&event.kind, event.paths.as_slice()) {
            (Modify(ModifyKind::Name(RenameMode::To)), [to]) => {
                renamed.insert(to.clone());
            }
            (Modify(ModifyKind::Name(RenameMode::Both)), [from, to]) => {
                renamed.remove(from);
                renamed.insert(to.clone());
            }
            (Create(_) | Remove(_) | Modify(ModifyKind::Data(_) | ModifyKind::Any), paths)
            | (Modify(ModifyKind::Name(RenameMode::From)), paths) => {
                for p in paths {
                    renamed.remove(p);
                }
            }
            _ => {}
        }
    }
}

/// Watches `folder` for file-system events: each is noted in the app's
/// [`Watch`] and wakes `wake` (the folder's sweep). The events only hasten
/// sweeps; the schedule still runs if they are lost or the watch fails.
pub fn watcher(
    watch: std::sync::Arc<Watch>,
    folder: &Path,
    wake: std::sync::Arc<tokio::sync::Notify>,
) -> Result<notify::RecommendedWatcher, notify::Error> {
    use notify::Watcher;
    let mut w = notify::recommended_watcher(move |e: notify::Result<notify::Event>| match e {
        Ok(event) => {
            watch.note(&event);
            wake.notify_one();
        }
        Err(e) => tracing::warn!(error = %e, "drop folder events lost; the schedule still sweeps"),
    })?;
    w.watch(folder, notify::RecursiveMode::NonRecursive)?;
    Ok(w)
}

/// Sweeps one folder once, at `now`.
pub async fn sweep(
    intake: Intake<'_>,
    watch: &Watch,
    folder: &DropFolder,
    now: SystemTime,
) -> Result<Summary, IngestError> {
    let mut summary = Summary::default();
    let owner = intake::owner(intake, &folder.acquisition_id).await?;
    let endpoint = folder.path.display().to_string();
    let accepted = folder.path.join(".airlock").join("accepted");
    tokio::fs::create_dir_all(&accepted).await?;
    let mut names = Vec::new();
    let mut entries = tokio::fs::read_dir(&folder.path).await?;
    while let Some(e) = entries.next_entry().await? {
        if e.file_type().await?.is_file() {
            names.push(e.file_name());
        }
    }
    names.sort();
    for os_name in names {
        // Paths from the real name; the lossy one is only metadata.
        let name = os_name.to_string_lossy().into_owned();
        let beside = |suffix: &str| {
            let mut n = os_name.clone();
            n.push(suffix);
            folder.path.join(n)
        };
        if skipped(&name) {
            continue;
        }
        let path = folder.path.join(&os_name);
        let Ok(meta) = tokio::fs::metadata(&path).await else {
            continue;
        };
        let accepted_marker = beside(".accepted");
        if tokio::fs::try_exists(&accepted_marker)
            .await
            .unwrap_or(false)
        {
            continue;
        }
        let marker = beside(".done");
        let marked = tokio::fs::try_exists(&marker).await.unwrap_or(false);
        let whole = marked
            || watch.renamed().contains(&path)
            || watch.stable(&path, &meta, Duration::from_secs(folder.stable_secs), now);
        if !whole {
            summary.waiting += 1;
            continue;
        }
        let filename = FileName::lossy(&name);
        if filename.as_str() != name {
            tracing::warn!(file = %path.display(), delivered_as = %filename, "drop folder: the name is not valid; delivered under a valid one");
        }
        let arrival = Arrival {
            who: &owner,
            acquisition_id: &folder.acquisition_id,
            channel: Channel::Folder,
            declared_format: None,
            length: Some(meta.len()),
        };
        let Some(mut gate) = intake::open_or_wait(intake, arrival, &endpoint).await? else {
            summary.paused = true;
            return Ok(summary);
        };
        let source = tokio::fs::File::open(&path).await?;
        let received = gate
            .receive(intake, tokio_util::io::ReaderStream::new(source))
            .await?;
        // Changed while it was copied: not whole after all.
        let after = tokio::fs::metadata(&path).await?;
        if (after.len(), after.modified().ok()) != (meta.len(), meta.modified().ok()) {
            intake.quarantine.discard(received).await;
            watch.forget(&path);
            summary.waiting += 1;
            continue;
        }
        let inserted = gate.record(intake, received, &filename).await?;
        // Recorded: out of the folder, named by its delivery, or marked.
        match folder.after {
            Taken::Move => {
                let kept = accepted.join(format!("{}-{filename}", inserted.file.id));
                tokio::fs::rename(&path, &kept).await?;
            }
            Taken::Mark => tokio::fs::write(&accepted_marker, &inserted.file.id).await?,
        }
        if marked {
            let _ = tokio::fs::remove_file(&marker).await;
        }
        watch.forget(&path);
        summary.taken += 1;
    }
    Ok(summary)
}
