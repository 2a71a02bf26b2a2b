//! One intake for every way in: an HTTP PUT, a tus upload, a drop folder,
//! a drop bucket and SFTP are each an adapter over the same four steps,
//! in this order:
//!
//! 1. **deliverable?** The caller may deliver to the acquisition, it is
//!    approved, and a declared format is one scanning knows ([`open`]).
//! 2. **admission.** Room in quarantine and an upload slot, or `429`/`503`
//!    with `Retry-After`, and never more than `max_file_bytes` ([`open`]).
//! 3. **quarantine.** The bytes are written, hashed and fsync'd
//!    ([`Gate::receive`], or [`Gate::received`] for bytes an adapter
//!    wrote by offset).
//! 4. **record.** One catalog transaction records the delivery
//!    ([`Gate::record`]); only then is it acknowledged. The same bytes
//!    delivered again keep their first record.
//!
//! The key decision is that an adapter speaks its protocol and nothing
//! else: what a delivery must pass, in what order, and how it becomes a
//! catalog row is written once, here. A new way in costs one adapter file.

use bytes::Bytes;
use futures::Stream;

use airlock_catalog::{Acquisition, CatalogStore, Channel, Inserted, NewFile, Upload};
use airlock_policies::{Policies, Principal};
use tokio::sync::Notify;

use crate::admission::{Admission, Ticket};
use crate::names::FileName;
use crate::quarantine::{Quarantine, Received};
use crate::{IngestError, governance, now_ms};

/// What the intake works with; an adapter gets it from `App::intake`.
#[derive(Clone, Copy)]
pub struct Intake<'a> {
    pub catalog: &'a dyn CatalogStore,
    pub policies: &'a Policies,
    pub quarantine: &'a Quarantine,
    pub admission: &'a Admission,
    /// Woken when a delivery is recorded: the pipeline has work.
    pub wake: &'a Notify,
    pub max_file_bytes: u64,
}

/// A delivery about to arrive.
pub struct Arrival<'a> {
    pub who: &'a Principal,
    pub acquisition_id: &'a str,
    pub channel: Channel,
    /// The format its supplier declared, which scanning holds it to.
    pub declared_format: Option<String>,
    /// Bytes announced (a `Content-Length`, an `Upload-Length`, a listed
    /// size); `None`: room is taken as they arrive.
    pub length: Option<u64>,
}

/// A delivery let in: cleared for its acquisition and admitted. Its room
/// is held until it is recorded or dropped.
pub struct Gate {
    pub acquisition: Acquisition,
    submitted_by: String,
    /// The policies that allowed the delivery; audited with its record.
    decided_by: Vec<String>,
    pub ticket: Ticket,
    channel: Channel,
    declared_format: Option<String>,
}

/// Steps 1 and 2: the delivery may come in, and there is room for it.
pub async fn open(intake: Intake<'_>, arrival: Arrival<'_>) -> Result<Gate, IngestError> {
    let (acquisition, decided_by) = governance::deliverable(
        intake.catalog,
        intake.policies,
        arrival.who,
        arrival.acquisition_id,
        arrival.declared_format.as_deref(),
    )
    .await?;
    let limit = intake.max_file_bytes;
    if arrival.length.is_some_and(|n| n > limit) {
        return Err(IngestError::TooLarge { limit_bytes: limit });
    }
    let ticket = intake
        .admission
        .admit(
            intake.catalog,
            &arrival.who.user_id,
            &acquisition.id,
            arrival.length,
        )
        .await?;
    Ok(Gate {
        acquisition,
        submitted_by: arrival.who.user_id.clone(),
        decided_by,
        ticket,
        channel: arrival.channel,
        declared_format: arrival.declared_format,
    })
}

/// For a drop endpoint (a folder or a bucket swept for deliveries): the
/// gate, or `None` (logged) while the acquisition takes no deliveries or
/// there is no room, and the endpoint waits.
pub async fn open_or_wait(
    intake: Intake<'_>,
    arrival: Arrival<'_>,
    endpoint: &str,
) -> Result<Option<Gate>, IngestError> {
    match open(intake, arrival).await {
        Ok(gate) => Ok(Some(gate)),
        Err(IngestError::Conflict(why) | IngestError::Busy { message: why, .. }) => {
            tracing::info!(endpoint, %why, "drop endpoint paused");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The acquisition's owner, as whom its drop endpoints deliver.
pub async fn owner(intake: Intake<'_>, acquisition_id: &str) -> Result<Principal, IngestError> {
    let acq = governance::acquisition(intake.catalog, acquisition_id).await?;
    let owner = intake
        .catalog
        .user(&acq.owner_id)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("user {}", acq.owner_id)))?;
    Ok(owner.principal())
}

impl Gate {
    /// Step 3: `body` into quarantine, hashed and fsync'd, within the room
    /// admitted.
    pub async fn receive<S, E>(
        &mut self,
        intake: Intake<'_>,
        body: S,
    ) -> Result<Received, IngestError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let ticket = &mut self.ticket;
        intake.quarantine.receive(body, |n| ticket.reserve(n)).await
    }

    /// Step 3 for bytes an adapter wrote by offset into a quarantine
    /// part: hashed and fsync'd.
    pub async fn received(
        &self,
        intake: Intake<'_>,
        part: std::path::PathBuf,
    ) -> Result<Received, IngestError> {
        match intake.quarantine.finish(part.clone()).await {
            Ok(r) => Ok(r),
            Err(e) => {
                let _ = tokio::fs::remove_file(&part).await;
                Err(e)
            }
        }
    }

    /// Step 4: one transaction records the delivery as `filename`; the
    /// pipeline is woken. The same bytes delivered before keep their first
    /// record, and this copy goes.
    pub async fn record(
        self,
        intake: Intake<'_>,
        received: Received,
        filename: &FileName,
    ) -> Result<Inserted, IngestError> {
        let id = uuid::Uuid::now_v7().to_string();
        let file = NewFile {
            id: id.clone(),
            acquisition_id: self.acquisition.id.clone(),
            filename: filename.to_string(),
            sha256: received.sha256.clone(),
            size_bytes: received.size_bytes as i64,
            channel: self.channel,
            submitted_by: self.submitted_by.clone(),
            created_at: now_ms(),
            declared_format: self.declared_format.clone(),
        };
        intake.quarantine.commit(received, &id).await?;
        let inserted = intake.catalog.insert_file(&file, &self.decided_by).await;
        settle(intake, &id, inserted).await
    }
}

/// Steps 1, 3 and 4 for a resumable upload whose last byte arrived (its
/// room was admitted when it was created and is counted by the catalog
/// since): still the caller's to deliver to, the bytes hashed whole and
/// linked into quarantine, and the delivery recorded with the upload
/// completed in one transaction.
pub async fn complete_upload(
    intake: Intake<'_>,
    who: &Principal,
    upload: &Upload,
) -> Result<Inserted, IngestError> {
    let (_, decided_by) = governance::deliverable(
        intake.catalog,
        intake.policies,
        who,
        &upload.acquisition_id,
        None,
    )
    .await?;
    let path = intake.quarantine.upload_path(&upload.id);
    let sha256 = intake.quarantine.hash(&path).await?;
    let id = uuid::Uuid::now_v7().to_string();
    intake.quarantine.link(&path, &id).await?;
    let file = NewFile {
        id: id.clone(),
        acquisition_id: upload.acquisition_id.clone(),
        filename: upload.filename.clone(),
        sha256,
        size_bytes: upload.length_bytes,
        channel: Channel::Tus,
        submitted_by: upload.created_by.clone(),
        created_at: now_ms(),
        declared_format: upload.declared_format.clone(),
    };
    let inserted = intake
        .catalog
        .complete_upload(&upload.id, &file, &decided_by)
        .await;
    let inserted = settle(intake, &id, inserted).await?;
    let _ = tokio::fs::remove_file(&path).await;
    Ok(inserted)
}

/// After the recording transaction: a new delivery wakes the pipeline; a
/// repeat, or a failure, leaves no copy `id` behind in quarantine.
async fn settle(
    intake: Intake<'_>,
    id: &str,
    inserted: Result<Inserted, airlock_catalog::CatalogError>,
) -> Result<Inserted, IngestError> {
    match inserted {
        Ok(i) if i.created => {
            intake.wake.notify_one();
            Ok(i)
        }
        Ok(i) => {
            intake.quarantine.remove(id).await?;
            Ok(i)
        }
        Err(e) => {
            let _ = intake.quarantine.remove(id).await;
            Err(e.into())
        }
    }
}
