//! The catalog: the single source of truth for every user, acquisition,
//! delivered file, verdict, dataset version and audit event.
//!
//! Key decisions:
//! - One small [`CatalogStore`] trait with two backends, SQLite (embedded
//!   default) and PostgreSQL (several daemons sharing one catalog). Both run
//!   the same SQL, written once in [`sql`], and the same conformance suite.
//! - Every state change of a file is one transaction, guarded by the worker's
//!   lease and the expected state, so a step either happens once or not at
//!   all, and a restarted daemon resumes each file from its recorded state.
//! - Work is shared through leases: a worker claims a file for a bounded time
//!   (`FOR UPDATE SKIP LOCKED` on PostgreSQL), renews the lease while it works
//!   and loses it if it dies, so another daemon picks the file up.
//! - Every change appends a hash-chained audit event in the same transaction.

mod audit;
mod contract;
mod model;
mod sql;

use std::sync::Arc;

pub use audit::{AuditEvent, GENESIS_HASH};
pub use contract::{
    ColumnBreach, ColumnType, Contract, DeclaredColumn, MAX_DECLARED_COLUMNS, Position, SchemaCheck,
};
pub use model::*;
pub use sql::{PgStore, SqliteStore, now_ms};

/// Everything that can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Conflict(String),
    /// The subject is not in a state that allows the change.
    #[error("{0}")]
    WrongState(String),
    #[error("lease on file {0} lost: another worker holds it or its state moved on")]
    LeaseLost(String),
    #[error("catalog holds an invalid value: {0}")]
    Corrupt(String),
    #[error("audit chain broken at event {seq}: {why}")]
    AuditBroken { seq: i64, why: String },
    #[error("unsupported catalog URL {0:?} (expected sqlite:… or postgres://…)")]
    UnsupportedUrl(String),
    #[error("catalog migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("catalog database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                CatalogError::Conflict(d.message().to_owned())
            }
            _ => CatalogError::Database(e),
        }
    }
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// The catalog's operations. Every method is one transaction.
#[async_trait::async_trait]
pub trait CatalogStore: Send + Sync + 'static {
    /// Which backend this is (`sqlite` or `postgres`), for logs.
    fn backend(&self) -> &'static str;

    // --- users and tokens ---------------------------------------------------
    /// Creates a user holding one bearer token, of which only the hash is
    /// stored.
    async fn create_user(&self, user: &User, token_hash: &str) -> Result<User>;
    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>>;
    async fn user(&self, id: &str) -> Result<Option<User>>;
    /// Creates or updates a user known from an identity provider (no
    /// token), auditing a change; unchanged, it is only read.
    async fn sync_user(&self, user: &User) -> Result<User>;

    // --- acquisitions -------------------------------------------------------
    /// Fails with [`CatalogError::Conflict`] when the slug is taken.
    /// `decided_by`: the policies that let the owner register it; audited.
    async fn create_acquisition(
        &self,
        acq: &Acquisition,
        decided_by: &[String],
    ) -> Result<Acquisition>;
    async fn acquisition(&self, id: &str) -> Result<Option<Acquisition>>;
    /// Moves an acquisition `from → to` on `actor`'s request (submitting a
    /// draft, closing an approved one); [`CatalogError::WrongState`] when
    /// it is not in `from`.
    async fn move_acquisition(
        &self,
        id: &str,
        actor: &str,
        from: AcquisitionState,
        to: AcquisitionState,
    ) -> Result<Acquisition>;
    /// Acquisitions in `state`, oldest first.
    async fn acquisitions_in(&self, state: AcquisitionState) -> Result<Vec<Acquisition>>;
    /// Records a reviewer's decision: `pending_review → approved |
    /// rejected`.
    async fn review_acquisition(&self, review: &Review) -> Result<Acquisition>;
    /// The reviews of one acquisition or file, oldest first.
    async fn reviews(&self, kind: ReviewSubject, id: &str) -> Result<Vec<Review>>;

    // --- delivered files ----------------------------------------------------
    /// Records a file whose bytes are durable in quarantine. The same bytes
    /// delivered again to the same acquisition return the existing record
    /// with `created == false`.
    async fn insert_file(&self, file: &NewFile, decided_by: &[String]) -> Result<Inserted>;
    async fn file(&self, id: &str) -> Result<Option<FileRecord>>;

    // --- drop buckets ---------------------------------------------------------
    /// The delivery an object version (`source`, `key`, `etag`) became, if
    /// it was taken before.
    async fn bucket_object(&self, source: &str, key: &str, etag: &str) -> Result<Option<String>>;
    /// Records that an object version became delivery `file_id`.
    async fn take_bucket_object(
        &self,
        source: &str,
        key: &str,
        etag: &str,
        size_bytes: i64,
        sha256: &str,
        file_id: &str,
    ) -> Result<()>;

    // --- resumable uploads ----------------------------------------------------
    async fn create_upload(&self, upload: &Upload) -> Result<Upload>;
    async fn upload(&self, id: &str) -> Result<Option<Upload>>;
    /// Acknowledges bytes: `from → to`, only if the offset is still `from`
    /// ([`CatalogError::WrongState`] otherwise), pushing its expiry on.
    async fn advance_upload(&self, id: &str, from: i64, to: i64, expires_at: i64)
    -> Result<Upload>;
    /// The last bytes arrived: records the delivery (as
    /// [`CatalogStore::insert_file`]) and marks the upload complete, in one
    /// transaction.
    async fn complete_upload(
        &self,
        id: &str,
        file: &NewFile,
        decided_by: &[String],
    ) -> Result<Inserted>;
    /// Forgets an upload (terminated or expired).
    async fn delete_upload(&self, id: &str, actor: &str, why: &str) -> Result<()>;
    /// Unfinished uploads whose expiry passed by `now`.
    async fn expired_uploads(&self, now: i64) -> Result<Vec<Upload>>;
    /// An acquisition's deliveries, newest first, at most `limit` from
    /// before `before` (a file id; empty: from the newest).
    async fn acquisition_files(
        &self,
        acquisition_id: &str,
        before: &str,
        limit: i64,
    ) -> Result<Vec<FileRecord>>;
    /// Bytes of files not yet published or rejected: of one acquisition,
    /// and in all.
    async fn inflight_bytes(&self, acquisition_id: &str) -> Result<(i64, i64)>;
    /// Every verdict on the file and on each of its members.
    async fn verdicts(&self, file_id: &str) -> Result<Vec<VerdictRecord>>;
    /// The archive members the last scan expanded, in stream order.
    async fn members(&self, file_id: &str) -> Result<Vec<MemberRecord>>;

    // --- the work queue -----------------------------------------------------
    /// Claims the next file that has work due: unfinished, not leased (or
    /// its lease expired) and due by `now`.
    async fn claim_next(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<FileRecord>>;
    async fn renew_lease(&self, file_id: &str, owner: &str, lease_until: i64) -> Result<()>;
    /// Drops every lease `owner` holds; used at shutdown and at start-up.
    async fn release_leases(&self, owner: &str) -> Result<u64>;
    /// Gives a file back after a transient failure (lake or catalog down),
    /// keeping its state, to be retried at `retry_at`.
    async fn retry_later(
        &self,
        file_id: &str,
        owner: &str,
        error: &str,
        retry_at: i64,
    ) -> Result<()>;

    // --- transitions --------------------------------------------------------
    /// `received | held | scanning → scanning`.
    async fn start_scan(&self, file_id: &str, owner: &str) -> Result<FileRecord>;
    /// `scanning → checking | rejected | held`, storing every verdict and
    /// member in place of any earlier scan's.
    async fn finish_scan(
        &self,
        file_id: &str,
        owner: &str,
        scan: &ScanRecord,
        outcome: &ScanOutcome,
    ) -> Result<FileRecord>;
    /// `checking → converting`: for each of the file's datasets (one, or
    /// one per sheet of a workbook), creates it if needed (its `id` is used
    /// only then) and reserves its next version for this file. Idempotent:
    /// a dataset the file already holds a reservation in keeps it. The
    /// reservations come in the order of `datasets`.
    async fn start_convert(
        &self,
        file_id: &str,
        owner: &str,
        datasets: &[Dataset],
    ) -> Result<Vec<Reservation>>;
    /// `converting → published`: every reserved version becomes visible
    /// with its location, statistics and columns, in one transaction. Each
    /// of the file's reservations must be published.
    async fn publish(
        &self,
        file_id: &str,
        owner: &str,
        versions: &[PublishedVersion],
    ) -> Result<FileRecord>;
    /// The published versions a file became, by dataset name.
    async fn file_outputs(&self, file_id: &str) -> Result<Vec<Reservation>>;
    /// `converting → awaiting_review`: policy holds the file for a
    /// reviewer. Its reserved versions are released (a release converts
    /// again) and `evidence`, what the checks found, is kept.
    async fn hold_for_review(
        &self,
        file_id: &str,
        owner: &str,
        evidence: &str,
    ) -> Result<FileRecord>;
    /// Records a reviewer's decision on a held file: approve → `checking`,
    /// due now and released by the reviewer; reject → `rejected` (reason
    /// `reviewer`).
    async fn review_file(&self, review: &Review) -> Result<FileRecord>;
    /// Files awaiting review, oldest first.
    async fn review_queue(&self) -> Result<Vec<FileRecord>>;
    /// `any unfinished → rejected`, releasing any reserved version.
    async fn reject(
        &self,
        file_id: &str,
        owner: &str,
        reason: RejectReason,
        message: &str,
    ) -> Result<FileRecord>;

    // --- datasets -----------------------------------------------------------
    /// Datasets with at least one published version, optionally filtered by
    /// a case-insensitive substring of name or description.
    async fn list_datasets(&self, query: Option<&str>) -> Result<Vec<Dataset>>;
    /// A dataset with its published versions and the latest one's columns.
    async fn dataset(&self, id: &str) -> Result<Option<DatasetDetail>>;

    // --- transfers ------------------------------------------------------------
    /// Records a requested transfer (`pending_release` or `queued`), which
    /// must name a published version.
    async fn create_transfer(&self, t: &Transfer, decided_by: &[String]) -> Result<Transfer>;
    async fn transfer(&self, id: &str) -> Result<Option<Transfer>>;
    /// Transfers in `state`, oldest first.
    async fn transfers_in(&self, state: TransferState) -> Result<Vec<Transfer>>;
    /// A reviewer's decision: `pending_release → queued | rejected`.
    async fn release_transfer(&self, review: &Review) -> Result<Transfer>;
    /// Claims the next queued (or interrupted) transfer that is due.
    async fn claim_transfer(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<Transfer>>;
    /// Gives a transfer back after a transient failure, to retry at `retry_at`.
    async fn transfer_retry_later(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        retry_at: i64,
    ) -> Result<()>;
    /// `queued | publishing → publishing`, reserving the next version of
    /// `target` (created if needed) with lineage to the source version.
    async fn start_transfer(&self, id: &str, owner: &str, target: &Dataset) -> Result<Reservation>;
    /// `publishing → published`: the reserved version becomes visible.
    async fn publish_transfer(
        &self,
        id: &str,
        owner: &str,
        version: &PublishedVersion,
    ) -> Result<Transfer>;
    /// `any unfinished → rejected`, releasing any reserved version.
    async fn reject_transfer(&self, id: &str, owner: &str, message: &str) -> Result<Transfer>;

    // --- retention ------------------------------------------------------------
    /// Published versions whose acquisition's retention ran out by `now`,
    /// and versions whose deletion began: oldest first.
    async fn expired_versions(&self, now: i64, limit: i64) -> Result<Vec<ExpiredVersion>>;
    /// `published → deleting`: the version leaves the catalog's views, and
    /// `proof` (what is about to be deleted: keys, sizes, SHA-256s) is
    /// audited before a byte goes.
    async fn begin_deletion(
        &self,
        dataset_id: &str,
        version: i64,
        actor: &str,
        proof: serde_json::Value,
    ) -> Result<()>;
    /// `deleting → deleted`, once the lake holds none of it; audited with
    /// `detail`.
    async fn finish_deletion(
        &self,
        dataset_id: &str,
        version: i64,
        actor: &str,
        detail: serde_json::Value,
    ) -> Result<()>;

    // --- rescans -------------------------------------------------------------
    /// Source files of dataset versions published since `since` that are
    /// not tainted yet, oldest first, after `after_file_id`.
    async fn rescan_candidates(
        &self,
        since: i64,
        after_file_id: &str,
        limit: i64,
    ) -> Result<Vec<RescanCandidate>>;
    /// Stores a rescan's verdicts in place of the earlier ones; with
    /// `taint`, marks the file's published version tainted for that reason.
    /// Both are audited.
    async fn record_rescan(
        &self,
        file_id: &str,
        actor: &str,
        scan: &ScanRecord,
        taint: Option<&str>,
    ) -> Result<()>;

    // --- audit --------------------------------------------------------------
    /// Appends an event that changes nothing else, such as a read of a
    /// dataset's location.
    async fn append_audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<()>;
    async fn audit_events(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>>;
}

/// Opens (and migrates) the catalog at `url`: `sqlite:PATH` or
/// `postgres://…`.
pub async fn connect(url: &str) -> Result<Arc<dyn CatalogStore>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(CatalogError::UnsupportedUrl(url.to_owned()))
    }
}

/// The last event of a verified audit log. Recorded outside the catalog
/// (the CLI prints it), it lets a later check detect events cut from the
/// end, which a hash chain alone cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for AuditHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for AuditHead {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?}: expected SEQ:HASH"))?;
        let seq = seq
            .parse()
            .map_err(|_| format!("{seq:?} is no sequence number"))?;
        let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(format!("{hash:?} is no SHA-256 in hex"));
        }
        Ok(Self {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Walks the whole audit log and checks every link of the hash chain, and
/// that it still holds `checkpoint`, a head recorded earlier. Returns the
/// head (seq 0 and the genesis hash for an empty log); an error names the
/// first bad event.
pub async fn verify_audit(
    store: &dyn CatalogStore,
    checkpoint: Option<&AuditHead>,
) -> Result<AuditHead> {
    let mut head = AuditHead {
        seq: 0,
        hash: GENESIS_HASH.to_owned(),
    };
    loop {
        let page = store.audit_events(head.seq, 1000).await?;
        if page.is_empty() {
            break;
        }
        for ev in page {
            let expect = head.seq + 1;
            if ev.seq != expect {
                return Err(CatalogError::AuditBroken {
                    seq: expect,
                    why: format!("it is missing: the next event is {}", ev.seq),
                });
            }
            ev.verify(&head.hash)?;
            if checkpoint.is_some_and(|c| c.seq == ev.seq && c.hash != ev.hash) {
                return Err(CatalogError::AuditBroken {
                    seq: ev.seq,
                    why: "it is not the event the checkpoint recorded".into(),
                });
            }
            head = AuditHead {
                seq: ev.seq,
                hash: ev.hash,
            };
        }
    }
    match checkpoint {
        Some(c) if c.seq > head.seq => Err(CatalogError::AuditBroken {
            seq: head.seq + 1,
            why: format!(
                "it is missing: the log ends at event {} but the checkpoint recorded event {}",
                head.seq, c.seq
            ),
        }),
        _ => Ok(head),
    }
}
