//! The catalog's operations, one trait per aggregate; [`CatalogStore`](crate::CatalogStore)
//! is all of them. Every method is one transaction.
//!
//! The key decision is one interface for both backends, split where a
//! reader looks for a thing: a file's lifecycle is in [`FileStore`], what
//! arrives before it in [`DeliveryStore`]. Each trait is implemented once
//! for SQLite and PostgreSQL (`sql/`) and held to one conformance suite.

use airlock_zones::ZoneName;

use crate::*;

/// Users and their bearer tokens (only hashes are stored).
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user holding one bearer token, of which only the hash is
    /// stored; `actor` (who created it) is audited.
    async fn create_user(&self, user: &User, token: &NewToken, actor: &str) -> Result<User>;
    /// A token's holder, whatever the token's standing
    /// ([`TokenHolder::admits`] judges it).
    async fn token_holder(&self, token_hash: &str) -> Result<Option<TokenHolder>>;
    async fn user(&self, id: &str) -> Result<Option<User>>;
    /// A user who is not disabled: whom a key-based sign-in (SFTP) admits.
    async fn enabled_user(&self, id: &str) -> Result<Option<User>>;
    async fn user_by_name(&self, name: &str) -> Result<Option<User>>;
    /// Every user by name, with whether they are disabled and how many of
    /// their tokens are live at `now`.
    async fn users(&self, now: i64) -> Result<Vec<UserEntry>>;
    /// Creates or updates a user known from an identity provider (no
    /// token), auditing a change; unchanged, it is only read. A disabled
    /// user fails with [`CatalogError::UserDisabled`] and is not changed.
    async fn sync_user(&self, user: &User) -> Result<User>;
    /// Gives a user one more token.
    async fn issue_token(&self, user_id: &str, token: &NewToken, actor: &str) -> Result<()>;
    /// Replaces a live token with a new one for the same user, in one
    /// transaction: the old one is revoked as the new one is stored.
    /// [`CatalogError::WrongState`] when the old one is no longer live.
    async fn rotate_token(&self, old_hash: &str, token: &NewToken) -> Result<()>;
    /// Revokes every live token of a user; how many.
    async fn revoke_tokens(&self, user_id: &str, actor: &str, at: i64) -> Result<u64>;
    /// Disables a user (every token and sign-in refused) or enables them
    /// again; a change is audited, a repeat is not.
    async fn set_user_disabled(
        &self,
        user_id: &str,
        disabled: bool,
        actor: &str,
        at: i64,
    ) -> Result<()>;
}

/// Acquisitions and their reviews.
#[async_trait::async_trait]
pub trait AcquisitionStore: Send + Sync {
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
    /// An owner's acquisitions, newest first, at most `limit`.
    async fn acquisitions_owned(&self, owner_id: &str, limit: i64) -> Result<Vec<Acquisition>>;
    /// Records a reviewer's decision: `pending_review → approved |
    /// rejected`.
    async fn review_acquisition(&self, review: &Review) -> Result<Acquisition>;
    /// The reviews of one acquisition or file, oldest first.
    async fn reviews(&self, kind: ReviewSubject, id: &str) -> Result<Vec<Review>>;
}

/// Deliveries as they arrive: recorded files, the drop buckets' taken objects and resumable uploads.
#[async_trait::async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Records a file whose bytes are durable in quarantine. The same bytes
    /// delivered again to the same acquisition return the existing record
    /// with `created == false`.
    async fn insert_file(&self, file: &NewFile, decided_by: &[String]) -> Result<Inserted>;
    async fn file(&self, id: &str) -> Result<Option<FileRecord>>;
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
}

/// A delivered file's lifecycle: the work queue, its leases, every guarded state change, its verdicts and rescans.
#[async_trait::async_trait]
pub trait FileStore: Send + Sync {
    /// Every verdict on the file and on each of its members.
    async fn verdicts(&self, file_id: &str) -> Result<Vec<VerdictRecord>>;
    /// The archive members the last scan expanded, in stream order.
    async fn members(&self, file_id: &str) -> Result<Vec<MemberRecord>>;
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
}

/// Published datasets, their versions and retention.
#[async_trait::async_trait]
pub trait DatasetStore: Send + Sync {
    /// Datasets with at least one published version that match the
    /// request: ranked by the full-text index (name, tags, column names,
    /// description, supplier and purpose) when it has a query, by name
    /// when not.
    async fn search_datasets(&self, request: &SearchRequest<'_>) -> Result<Vec<DatasetHit>>;
    /// Indexes for search up to `limit` datasets that have no search
    /// document (published before search existed, or seeded in bulk);
    /// returns how many it indexed.
    async fn index_unsearchable(&self, limit: i64) -> Result<u64>;
    /// Replaces a dataset's tags (deduplicated), re-indexing it for
    /// search; audited with `actor`. Returns the tags, sorted.
    async fn set_tags(&self, dataset_id: &str, tags: &[Tag], actor: &str) -> Result<Vec<String>>;
    /// A dataset with its published versions and the latest one's columns.
    async fn dataset(&self, id: &str) -> Result<Option<DatasetDetail>>;
    /// The dataset named `name` in `zone`, if one has a published version.
    async fn dataset_named(&self, zone: &ZoneName, name: &str) -> Result<Option<Dataset>>;
    /// The datasets of `zone` that an Iceberg reader can read, by name:
    /// with a published, untainted version that has Iceberg metadata.
    async fn zone_tables(&self, zone: &ZoneName) -> Result<Vec<Dataset>>;
    /// A dataset's published versions (tainted ones included), oldest
    /// first, each with its columns.
    async fn table_versions(&self, dataset_id: &str) -> Result<Vec<TableVersion>>;
    /// Published versions without Iceberg metadata, in (dataset, version)
    /// order, at most `limit` after `after`.
    async fn versions_without_iceberg(
        &self,
        after: Option<(&str, i64)>,
        limit: i64,
    ) -> Result<Vec<VersionWithoutIceberg>>;
    /// Records that a published version's Iceberg metadata, listing
    /// `parts` parts, is in its lake; audited. Recorded once: a version
    /// that has it already is left as it is.
    async fn record_iceberg(
        &self,
        dataset_id: &str,
        version: i64,
        parts: i64,
        actor: &str,
    ) -> Result<()>;
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
}

/// Transfers: copies of published versions between zones.
#[async_trait::async_trait]
pub trait TransferStore: Send + Sync {
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
    /// Records every engine's verdict on one part of the transfer's copy
    /// (in place of an earlier attempt's), while `owner` holds the
    /// transfer `publishing`; audited.
    async fn record_transfer_scan(
        &self,
        id: &str,
        owner: &str,
        part: &str,
        scan: &ScanRecord,
    ) -> Result<()>;
    /// Every verdict on every part of the transfer's copy, by part.
    async fn transfer_verdicts(&self, id: &str) -> Result<Vec<TransferVerdict>>;
    /// `publishing → published`: the reserved version becomes visible.
    async fn publish_transfer(
        &self,
        id: &str,
        owner: &str,
        version: &PublishedVersion,
    ) -> Result<Transfer>;
    /// `any unfinished → rejected`, releasing any reserved version.
    async fn reject_transfer(&self, id: &str, owner: &str, message: &str) -> Result<Transfer>;
}

/// The hash-chained audit log.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
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
    /// The events about one subject (a file, an acquisition, …), oldest
    /// first, at most `limit`.
    async fn subject_events(&self, subject: &str, limit: i64) -> Result<Vec<AuditEvent>>;
}
