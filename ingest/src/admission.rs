//! Back-pressure on deliveries: how many uploads one user has arriving,
//! and how many bytes are in flight (delivered, not yet published or
//! rejected) per acquisition and in all. Past a limit a delivery is
//! refused before a byte is kept, with `Retry-After`: nothing is dropped or
//! half-accepted, the client simply comes back.
//!
//! In-flight bytes are the catalog's unfinished files plus what this daemon
//! is receiving now. Admission is decided one request at a time, so two
//! uploads cannot both take the last room. An upload of known length
//! reserves it at once; one of unknown length (an API upload without
//! Content-Length, an SFTP put) reserves as its bytes arrive and is refused
//! the moment it outgrows the room. Several daemons sharing a catalog each
//! count only their own arriving uploads.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use airlock_catalog::CatalogStore;

use crate::IngestError;
use crate::error::Limit;

/// The limits admission holds deliveries to (from `[limits]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_inflight_bytes_per_acquisition: u64,
    pub max_inflight_bytes: u64,
    pub max_concurrent_uploads_per_user: u32,
}

#[derive(Default)]
struct Receiving {
    bytes: u64,
    by_acquisition: HashMap<String, u64>,
    by_user: HashMap<String, u32>,
}

/// Never held across an await.
type Counts = Arc<Mutex<Receiving>>;

fn counts(c: &Counts) -> MutexGuard<'_, Receiving> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

/// The uploads this daemon is receiving, and the limits they are held to.
pub struct Admission {
    limits: Limits,
    /// Held across one admission's catalog read: decisions go one at a time.
    deciding: tokio::sync::Mutex<()>,
    receiving: Counts,
    /// Resumable uploads with bytes arriving now.
    appending: Arc<Mutex<HashSet<String>>>,
}

/// The one request appending to a resumable upload; released when
/// dropped.
pub struct Appending {
    appending: Arc<Mutex<HashSet<String>>>,
    upload: String,
}

impl Drop for Appending {
    fn drop(&mut self) {
        self.appending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.upload);
    }
}

/// An admitted upload's slot and room; released when dropped.
pub struct Ticket {
    receiving: Counts,
    user: String,
    acquisition: String,
    /// Bytes reserved so far.
    reserved: u64,
    /// The catalog's in-flight bytes at admission: of the acquisition, and
    /// in all.
    stored: (u64, u64),
    /// `max_file_bytes`, `max_inflight_bytes_per_acquisition`,
    /// `max_inflight_bytes`.
    limits: (u64, u64, u64),
}

fn busy(limit: Limit, message: String, secs: u64) -> IngestError {
    IngestError::Busy {
        limit,
        message,
        retry_after_secs: secs,
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Admission {
        Admission {
            limits,
            deciding: Default::default(),
            receiving: Default::default(),
            appending: Default::default(),
        }
    }

    /// Admits an upload of `declared` bytes, reserving them; of unknown
    /// length, it reserves as it goes ([`Ticket::reserve`]).
    pub async fn admit(
        &self,
        catalog: &dyn CatalogStore,
        user: &str,
        acquisition: &str,
        declared: Option<u64>,
    ) -> Result<Ticket, IngestError> {
        let limits = &self.limits;
        let _one_at_a_time = self.deciding.lock().await;
        let (acq_stored, all_stored) = catalog.inflight_bytes(acquisition).await?;
        let mut ticket = self.slot(user)?;
        ticket.acquisition = acquisition.to_owned();
        ticket.stored = (acq_stored as u64, all_stored as u64);
        ticket.limits = (
            limits.max_file_bytes,
            limits.max_inflight_bytes_per_acquisition,
            limits.max_inflight_bytes,
        );
        let room = ticket.room(&counts(&self.receiving));
        if room == 0 {
            return Err(ticket.full(room));
        }
        ticket.reserve(declared.unwrap_or(0))?;
        Ok(ticket)
    }

    /// Lets one request at a time append to resumable upload `id`: two
    /// would write over each other's bytes. The second gets a 409.
    pub fn appending(&self, id: &str) -> Result<Appending, IngestError> {
        let mut busy = self.appending.lock().unwrap_or_else(|p| p.into_inner());
        if !busy.insert(id.to_owned()) {
            return Err(IngestError::Conflict(
                "another request is appending to this upload; retry once it has finished".into(),
            ));
        }
        Ok(Appending {
            appending: self.appending.clone(),
            upload: id.to_owned(),
        })
    }

    /// An upload slot alone, for bytes already counted elsewhere (a tus
    /// upload's, in the catalog).
    pub fn slot(&self, user: &str) -> Result<Ticket, IngestError> {
        let most = self.limits.max_concurrent_uploads_per_user;
        let mut r = counts(&self.receiving);
        let uploads = r.by_user.entry(user.to_owned()).or_default();
        if *uploads >= most {
            return Err(busy(
                Limit::UploadsPerUser,
                format!("at most {most} uploads at once per user; retry when one has finished"),
                5,
            ));
        }
        *uploads += 1;
        Ok(Ticket {
            receiving: self.receiving.clone(),
            user: user.to_owned(),
            acquisition: String::new(),
            reserved: 0,
            stored: (0, 0),
            limits: (u64::MAX, u64::MAX, u64::MAX),
        })
    }
}

impl Ticket {
    /// The most bytes this upload may hold, given what the others hold.
    fn room(&self, r: &Receiving) -> u64 {
        let others_acq = r
            .by_acquisition
            .get(&self.acquisition)
            .copied()
            .unwrap_or(0)
            - self.reserved;
        let others_all = r.bytes - self.reserved;
        let (_, max_acq, max_all) = self.limits;
        max_acq
            .saturating_sub(self.stored.0 + others_acq)
            .min(max_all.saturating_sub(self.stored.1 + others_all))
    }

    fn full(&self, room: u64) -> IngestError {
        busy(
            Limit::QuarantineBytes,
            format!(
                "quarantine holds as much as it may for now ({} bytes of room); \
                 retry when earlier deliveries have been processed",
                room.saturating_sub(self.reserved)
            ),
            30,
        )
    }

    /// Grows the reservation to `total` bytes: [`IngestError::TooLarge`]
    /// past `max_file_bytes`, 503 `quarantine_full` past the room.
    pub fn reserve(&mut self, total: u64) -> Result<(), IngestError> {
        if total <= self.reserved {
            return Ok(());
        }
        if total > self.limits.0 {
            return Err(IngestError::TooLarge {
                limit_bytes: self.limits.0,
            });
        }
        let receiving = self.receiving.clone();
        let mut r = counts(&receiving);
        let room = self.room(&r);
        if total > room {
            drop(r);
            return Err(self.full(room));
        }
        let more = total - self.reserved;
        r.bytes += more;
        *r.by_acquisition
            .entry(self.acquisition.clone())
            .or_default() += more;
        self.reserved = total;
        Ok(())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut r = counts(&self.receiving);
        r.bytes -= self.reserved;
        if let Some(b) = r.by_acquisition.get_mut(&self.acquisition) {
            *b -= self.reserved;
            if *b == 0 {
                r.by_acquisition.remove(&self.acquisition);
            }
        }
        if let Some(n) = r.by_user.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                r.by_user.remove(&self.user);
            }
        }
    }
}
