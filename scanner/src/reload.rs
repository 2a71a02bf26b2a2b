//! Signature sets that reload when their files change.
//!
//! Before each scan the watched files' lengths and modification times are
//! compared with those seen at the last load (a watched directory stands for
//! the files in it). On a change the set is loaded again; if the new files do
//! not load, the error is logged and the previous set stays in force, so a
//! half-written or broken update never disarms an engine. The check and
//! any reload run on a blocking thread: a large list or rule set never
//! stalls the async workers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::ScanError;

type Stamp = (PathBuf, Option<(u64, SystemTime)>);

fn stamp_of(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// What the watched paths look like now.
fn stamps(watched: &[PathBuf]) -> Vec<Stamp> {
    let mut out = Vec::new();
    for path in watched {
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                files.sort();
                out.extend(files.into_iter().map(|f| {
                    let s = stamp_of(&f);
                    (f, s)
                }));
            }
            Err(_) => out.push((path.clone(), stamp_of(path))),
        }
    }
    out
}

pub(crate) struct Reloading<T>(Arc<Inner<T>>);

struct Inner<T> {
    what: &'static str,
    watched: Vec<PathBuf>,
    load: fn(&[PathBuf]) -> Result<T, ScanError>,
    current: Mutex<(Arc<T>, Vec<Stamp>)>,
}

impl<T> Reloading<T> {
    /// Loads the set once; an error here refuses it outright.
    pub(crate) fn new(
        what: &'static str,
        watched: Vec<PathBuf>,
        load: fn(&[PathBuf]) -> Result<T, ScanError>,
    ) -> Result<Self, ScanError> {
        let seen = stamps(&watched);
        let first = load(&watched)?;
        Ok(Self(Arc::new(Inner {
            what,
            watched,
            load,
            current: Mutex::new((Arc::new(first), seen)),
        })))
    }
}

impl<T: Send + Sync + 'static> Reloading<T> {
    /// The set in force, reloaded first if a watched file changed.
    pub(crate) async fn get(&self) -> Arc<T> {
        let inner = self.0.clone();
        match tokio::task::spawn_blocking(move || inner.get()).await {
            Ok(set) => set,
            // The check itself failed (it cannot panic short of a bug): the
            // set in force stays.
            Err(_) => self
                .0
                .current
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .0
                .clone(),
        }
    }
}

impl<T> Inner<T> {
    fn get(&self) -> Arc<T> {
        let mut guard = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let now = stamps(&self.watched);
        if now != guard.1 {
            match (self.load)(&self.watched) {
                Ok(fresh) => {
                    tracing::info!(what = self.what, "reloaded");
                    guard.0 = Arc::new(fresh);
                }
                Err(e) => tracing::error!(
                    what = self.what,
                    error = %e,
                    "not reloaded; the previous set stays in force"
                ),
            }
            // Either way, do not retry the same files on every scan.
            guard.1 = now;
        }
        guard.0.clone()
    }
}
