//! Back-pressure on deliveries: how many uploads one user has arriving,
//! and how many bytes are in flight (delivered, not yet published or
//! rejected) per acquisition and in all. Past a limit a delivery is
//! refused before a byte is kept, with `Retry-After`: nothing is dropped or
//! half-accepted, the client simply comes back.
//!
//! In-flight bytes are the catalog's unfinished files plus what this daemon
//! is receiving now. Admission is decided one request at a time, so two
//! uploads cannot both take the last room. An upload without a
//! Content-Length reserves all the room there is (up to `max_file_bytes`)
//! and is held to it, so clients should declare their length. Several
//! daemons sharing a catalog each count only their own arriving uploads.

use std::collections::HashMap;

use axum::http::StatusCode;
use std::sync::{Mutex, MutexGuard};

use crate::{App, IngestError};

#[derive(Default)]
struct Receiving {
    bytes: u64,
    by_acquisition: HashMap<String, u64>,
    by_user: HashMap<String, u32>,
}

/// The uploads this daemon is receiving.
#[derive(Default)]
pub struct Admission {
    /// Held across one admission's catalog read: decisions go one at a time.
    deciding: tokio::sync::Mutex<()>,
    /// Never held across an await.
    receiving: Mutex<Receiving>,
}

/// An admitted upload's room; released when dropped.
pub struct Ticket<'a> {
    admission: &'a Admission,
    user: String,
    acquisition: String,
    /// The most bytes the upload may bring.
    pub limit_bytes: u64,
}

fn busy(status: StatusCode, code: &'static str, message: String, secs: u64) -> IngestError {
    IngestError::Busy {
        status,
        code,
        message,
        retry_after_secs: secs,
    }
}

impl Admission {
    /// Admits an upload of `declared` bytes (its Content-Length), or of up
    /// to the room left when it has none.
    pub async fn admit<'a>(
        &'a self,
        app: &App,
        user: &str,
        acquisition: &str,
        declared: Option<u64>,
    ) -> Result<Ticket<'a>, IngestError> {
        let limits = &app.config.limits;
        let _one_at_a_time = self.deciding.lock().await;
        let uploads = self.counts().by_user.get(user).copied().unwrap_or(0);
        if uploads >= limits.max_concurrent_uploads_per_user {
            return Err(busy(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_uploads",
                format!(
                    "at most {} uploads at once per user; retry when one has finished",
                    limits.max_concurrent_uploads_per_user
                ),
                5,
            ));
        }
        let (acq_stored, all_stored) = app.catalog.inflight_bytes(acquisition).await?;
        let mut r = self.counts();
        let acq_used = acq_stored as u64 + r.by_acquisition.get(acquisition).copied().unwrap_or(0);
        let all_used = all_stored as u64 + r.bytes;
        let room = limits
            .max_inflight_bytes_per_acquisition
            .saturating_sub(acq_used)
            .min(limits.max_inflight_bytes.saturating_sub(all_used));
        let need = declared.unwrap_or(room.min(limits.max_file_bytes));
        if need > room || room == 0 {
            return Err(busy(
                StatusCode::SERVICE_UNAVAILABLE,
                "quarantine_full",
                format!(
                    "quarantine holds as much as it may for now ({} bytes of room); \
                     retry when earlier deliveries have been processed",
                    room
                ),
                30,
            ));
        }
        r.bytes += need;
        *r.by_acquisition.entry(acquisition.to_owned()).or_default() += need;
        *r.by_user.entry(user.to_owned()).or_default() += 1;
        Ok(Ticket {
            admission: self,
            user: user.to_owned(),
            acquisition: acquisition.to_owned(),
            limit_bytes: need,
        })
    }
}

impl Admission {
    fn counts(&self) -> MutexGuard<'_, Receiving> {
        self.receiving.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut r = self.admission.counts();
        r.bytes -= self.limit_bytes;
        if let Some(b) = r.by_acquisition.get_mut(&self.acquisition) {
            *b -= self.limit_bytes;
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
