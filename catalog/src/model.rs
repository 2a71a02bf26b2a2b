//! The catalog's records. Enumerations are stored as their snake_case text.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use airlock_policies::{Principal, Role};
use airlock_zones::{Allowances, Classification, Clearance, ZoneName};

use crate::CatalogError;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = CatalogError;
            fn from_str(s: &str) -> Result<Self, CatalogError> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(CatalogError::Corrupt(format!(
                        concat!("unknown ", stringify!($name), " {:?}"), s))),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = CatalogError;
            fn try_from(s: String) -> Result<Self, CatalogError> {
                s.parse()
            }
        }
    };
}

text_enum!(
    /// Where a delivered file is in its lifecycle.
    FileState {
        Received = "received",
        Scanning = "scanning",
        Checking = "checking",
        Converting = "converting",
        // Held by policy until a reviewer releases or rejects it.
        AwaitingReview = "awaiting_review",
        Published = "published",
        Rejected = "rejected",
        Held = "held",
    }
);

impl FileState {
    /// Published and rejected files have no more work.
    pub fn is_final(self) -> bool {
        matches!(self, FileState::Published | FileState::Rejected)
    }

    /// States a worker still has a step to take in.
    pub const WORKABLE: &[FileState] = &[
        FileState::Received,
        FileState::Scanning,
        FileState::Checking,
        FileState::Converting,
        FileState::Held,
    ];
    /// Everything but the final states: what a file in quarantine may be.
    pub const UNFINISHED: &[FileState] = &[
        FileState::Received,
        FileState::Scanning,
        FileState::Checking,
        FileState::Converting,
        FileState::AwaitingReview,
        FileState::Held,
    ];
}

text_enum!(
    /// Why a file was rejected.
    RejectReason {
        Infected = "infected",
        Policy = "policy",
        Invalid = "invalid",
        Contract = "contract", // breaks its acquisition's declared schema
        Reviewer = "reviewer",
    }
);

text_enum!(
    /// Where an acquisition is in its lifecycle. Files are accepted only
    /// while it is approved.
    AcquisitionState {
        Draft = "draft",
        PendingReview = "pending_review",
        Approved = "approved",
        Rejected = "rejected",
        Closed = "closed",
    }
);

text_enum!(
    /// A reviewer's decision on an acquisition or a held file.
    ReviewDecision {
        Approve = "approve",
        Reject = "reject",
    }
);

text_enum!(
    /// What a review is about.
    ReviewSubject {
        Acquisition = "acquisition",
        File = "file",
        Transfer = "transfer",
    }
);

text_enum!(
    /// Where a dataset version is: reserved for its source while it is
    /// converted, visible once published, then (past retention) being
    /// deleted and deleted.
    VersionState {
        Pending = "pending",
        Published = "published",
        Deleting = "deleting",
        Deleted = "deleted",
    }
);

text_enum!(
    /// Where a transfer is.
    TransferState {
        PendingRelease = "pending_release",
        Queued = "queued",
        Publishing = "publishing",
        Published = "published",
        Rejected = "rejected",
    }
);

/// A published dataset version on its way to another zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Transfer {
    pub id: String,
    pub dataset_id: String,
    pub version: i64,
    #[sqlx(try_from = "String")]
    pub from_zone: ZoneName,
    #[sqlx(try_from = "String")]
    pub to_zone: ZoneName,
    pub requested_by: String,
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub state: TransferState,
    pub released_by: Option<String>,
    pub error: Option<String>,
    pub target_dataset_id: Option<String>,
    pub target_version: Option<i64>,
    pub attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One review decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Review {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub subject_kind: ReviewSubject,
    pub subject_id: String,
    pub reviewer_id: String,
    #[sqlx(try_from = "String")]
    pub decision: ReviewDecision,
    pub reason: String,
    pub created_at: i64,
    /// The policies that let the reviewer decide; audited, not stored.
    #[sqlx(skip)]
    #[serde(skip)]
    pub policies: Vec<String>,
}

text_enum!(
    /// How a file came in.
    Channel {
        Api = "api",
        Tus = "tus",
        Folder = "folder",
        Bucket = "bucket",
        Sftp = "sftp",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: i64,
    /// The zones an analyst is cleared to read.
    #[sqlx(try_from = "String")]
    pub zones: Clearance,
}

impl User {
    /// The principal this user acts as in policy decisions.
    pub fn principal(self) -> Principal {
        Principal {
            user_id: self.id,
            name: self.name,
            role: self.role,
            zones: self.zones,
        }
    }
}

/// A bearer token to store: its hash (never the token), when it was
/// issued, and when it stops admitting its holder (`None`: never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub hash: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// The user a stored token belongs to, with what decides whether it still
/// admits them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenHolder {
    #[sqlx(flatten)]
    pub user: User,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub disabled_at: Option<i64>,
}

/// Why a known token no longer admits its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Expired,
    Revoked,
    /// Its holder is disabled: every token of theirs is refused.
    UserDisabled,
}

impl TokenHolder {
    /// The user, if the token admits them at `now` (Unix milliseconds).
    pub fn admits(self, now: i64) -> Result<User, TokenRefusal> {
        if self.disabled_at.is_some() {
            Err(TokenRefusal::UserDisabled)
        } else if self.revoked_at.is_some() {
            Err(TokenRefusal::Revoked)
        } else if self.expires_at.is_some_and(|at| at <= now) {
            Err(TokenRefusal::Expired)
        } else {
            Ok(self.user)
        }
    }
}

/// A user as administrators see them: enabled or not, and how many tokens
/// still admit them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UserEntry {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub user: User,
    pub disabled_at: Option<i64>,
    /// Tokens neither revoked nor expired.
    pub live_tokens: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Acquisition {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub target_zone: ZoneName,
    #[sqlx(try_from = "String")]
    pub classification: Classification,
    #[sqlx(try_from = "String")]
    pub state: AcquisitionState,
    pub owner_id: String,
    pub created_at: i64,
    /// Who supplies the data.
    pub supplier: String,
    /// The legal basis for acquiring it (e.g. a statute's section).
    pub legal_basis: String,
    pub purpose: String,
    /// Whether the deliveries are expected to carry personal data.
    pub personal_data: bool,
    /// How long its datasets are kept, from publication.
    pub retention_days: Option<i64>,
    /// The ethics review's reference, if one was needed.
    pub ethics_ref: String,
    /// What the acquisition explicitly allows that scanning otherwise
    /// refuses, comma-separated (`executables,macros`).
    #[sqlx(try_from = "String")]
    pub allow: Allowances,
    /// The sheet of its Excel workbooks to publish.
    pub sheet: Option<String>,
    /// The declared schema (the contract) as JSON: see [`Acquisition::contract`].
    pub declared_schema: Option<String>,
    /// Disclosure control: the multiple that the deliveries' counts must
    /// be rounded to, where the acquisition requires it.
    pub rounding_base: Option<i64>,
}

impl Acquisition {
    /// The declared schema deliveries must keep, if any.
    pub fn contract(&self) -> Result<Option<crate::Contract>, CatalogError> {
        self.declared_schema
            .as_deref()
            .map(crate::Contract::from_json)
            .transpose()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FileRecord {
    pub id: String,
    pub acquisition_id: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub submitted_by: String,
    #[sqlx(try_from = "String")]
    pub state: FileState,
    pub reason: Option<String>,
    pub error: Option<String>,
    pub dataset_id: Option<String>,
    pub version: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The format the supplier declared, if any (`csv`, `parquet`, …).
    pub declared_format: Option<String>,
    /// What the checks found (JSON), kept for a reviewer.
    pub evidence: Option<String>,
    /// The reviewer who released the file after policy held it.
    pub released_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewFile {
    pub id: String,
    pub acquisition_id: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub channel: Channel,
    pub submitted_by: String,
    pub created_at: i64,
    pub declared_format: Option<String>,
}

/// A resumable upload in progress (or complete: `file_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Upload {
    pub id: String,
    pub acquisition_id: String,
    pub filename: String,
    pub declared_format: Option<String>,
    pub length_bytes: i64,
    pub offset_bytes: i64,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub file_id: Option<String>,
}

/// Where a resumable upload is. It is not a column: an upload is receiving
/// until its last byte records the delivery (`file_id`), and expires when
/// left idle past `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    Receiving,
    Complete,
    Expired,
}

impl Upload {
    /// Its state at `now`.
    pub fn state(&self, now: i64) -> UploadState {
        match &self.file_id {
            Some(_) => UploadState::Complete,
            None if self.expires_at <= now => UploadState::Expired,
            None => UploadState::Receiving,
        }
    }
}

/// The result of [`crate::CatalogStore::insert_file`].
#[derive(Debug, Clone)]
pub struct Inserted {
    pub file: FileRecord,
    /// `false` when the same bytes were already delivered to the acquisition.
    pub created: bool,
}

/// One engine's verdict on one stream of a file, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct VerdictRecord {
    /// `""` for the delivered file, else the archive member's path.
    pub member: String,
    pub engine: String,
    pub verdict: String,
    pub detail: Option<String>,
    pub engine_version: String,
    pub db_version: Option<String>,
    pub scanned_at: i64,
}

pub type NewVerdict = VerdictRecord;

/// One engine's verdict on one part of a transfer's copy, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TransferVerdict {
    /// The source part the copy was scanned from (`part-00000.parquet`).
    pub part: String,
    #[sqlx(flatten)]
    pub verdict: VerdictRecord,
}

/// One member of a delivered archive, at any depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MemberRecord {
    pub path: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// Everything one scan found: every verdict on every stream, and the
/// members it expanded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanRecord {
    pub verdicts: Vec<NewVerdict>,
    pub members: Vec<MemberRecord>,
}

/// A published file whose verdicts a rescan may renew: its dataset version,
/// and whether that version is already marked tainted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RescanCandidate {
    pub file_id: String,
    pub dataset_id: String,
    pub version: i64,
    pub filename: String,
    pub acquisition_id: String,
}

/// What a finished scan means for the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// Every engine said clean: go on to the checks.
    Clean,
    /// An engine found something: rejected, bytes stay in quarantine.
    Infected { message: String },
    /// An engine could not give a verdict: held, retried at `retry_at`.
    Held { message: String, retry_at: i64 },
}

/// A version reserved for one file by [`crate::CatalogStore::start_convert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub dataset_id: String,
    pub dataset_name: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: String,
    #[sqlx(try_from = "i64")]
    pub nullable: Flag,
    /// The name in the delivery, where it had to change (an empty or
    /// repeated name); `None` when `name` is the delivery's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// How many of the column's values the PII detectors looked at…
    pub pii_sampled: i64,
    /// …and how many of them were of each kind found.
    #[sqlx(skip)]
    pub pii: Vec<PiiCount>,
    /// What the conversion found of its values.
    #[sqlx(flatten)]
    pub stats: ColumnStats,
}

/// A column's statistics, gathered as it was converted. A `None` is
/// unknown: a version converted before statistics were kept, or a type
/// they are not kept for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ColumnStats {
    pub null_count: Option<i64>,
    /// The least and greatest values as people read them, cut to 64
    /// characters; a cut or inexact one ends in `…`.
    pub min_value: Option<String>,
    pub max_value: Option<String>,
    /// Distinct values, counted exactly while few (up to 1,024)…
    pub distinct_count: Option<i64>,
    /// …or estimated past that (HyperLogLog, about 1.6% standard error).
    pub distinct_estimate: Option<i64>,
    /// The sum of a numeric column's values, as people read it.
    pub sum_value: Option<String>,
    /// An integer column's least value above zero (a small count?)…
    pub least_positive: Option<i64>,
    /// …and the greatest common divisor of all its values (rounded, and
    /// to what?).
    pub value_gcd: Option<i64>,
}

/// Values of one kind of personal data in a column's sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PiiCount {
    /// `email`, `nhs_number`, … (see `airlock_policies::pii::PiiKind`).
    pub kind: String,
    pub count: i64,
}

/// A boolean stored as 0/1, identically on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl TryFrom<i64> for Flag {
    type Error = CatalogError;
    fn try_from(v: i64) -> Result<Self, CatalogError> {
        match v {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            _ => Err(CatalogError::Corrupt(format!("flag {v}"))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PublishedVersion {
    /// The reservation it fills.
    pub dataset_id: String,
    pub version: i64,
    pub location: String,
    pub rows: i64,
    pub size_bytes: i64,
    pub columns: Vec<ColumnInfo>,
    /// How many parts its Iceberg manifest lists, when Iceberg metadata
    /// was written with it; `None` when it was not.
    pub iceberg_parts: Option<i64>,
    pub now: i64,
    /// What let it publish: the permitting policies, or the reviewer who
    /// released it (`reviewer:<id>`). Audited.
    pub decided_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Dataset {
    pub id: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub zone: ZoneName,
    #[sqlx(try_from = "String")]
    pub classification: Classification,
    pub description: String,
    pub acquisition_id: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct VersionInfo {
    pub version: i64,
    pub location: String,
    pub rows: i64,
    pub size_bytes: i64,
    pub created_at: i64,
    pub source_file_id: String,
    /// Set when a rescan later flagged the source file.
    pub tainted_at: Option<i64>,
    pub taint_reason: Option<String>,
    /// For a version a transfer published: the transfer, and the version
    /// it copied (the source file is that version's).
    pub transfer_id: Option<String>,
    pub transferred_from_dataset: Option<String>,
    pub transferred_from_version: Option<i64>,
}

/// A dataset version past its acquisition's retention, or one whose
/// deletion began and must be finished.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExpiredVersion {
    pub dataset_id: String,
    pub dataset_name: String,
    #[sqlx(try_from = "String")]
    pub zone: ZoneName,
    pub version: i64,
    pub location: Option<String>,
    /// `published`, or `deleting` for a deletion to finish.
    #[sqlx(try_from = "String")]
    pub state: VersionState,
    pub published_at: i64,
    pub retention_days: i64,
}

/// A published version as a table reader sees it: where it is, what it
/// holds and its columns. Tainted versions are included, so that a reader
/// can number columns over every version and still leave them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TableVersion {
    pub version: i64,
    pub location: String,
    pub rows: i64,
    pub size_bytes: i64,
    pub created_at: i64,
    pub tainted_at: Option<i64>,
    /// See [`PublishedVersion::iceberg_parts`].
    pub iceberg_parts: Option<i64>,
    #[sqlx(skip)]
    pub columns: Vec<ColumnInfo>,
}

/// A published version whose Iceberg metadata the catalog does not
/// record: published before Airlock wrote it, or with a column type
/// Iceberg lacks.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VersionWithoutIceberg {
    pub dataset_id: String,
    pub dataset_name: String,
    #[sqlx(try_from = "String")]
    pub zone: ZoneName,
    pub version: i64,
    pub location: String,
    pub created_at: i64,
}

/// A catalog search: a query (or none, for every dataset by name), the
/// zones to look in (the caller's, narrowed by any zone filter), filters
/// and a page.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub query: Option<&'a crate::SearchQuery>,
    pub zones: &'a [ZoneName],
    pub classification: Option<Classification>,
    pub tag: Option<&'a Tag>,
    pub limit: i64,
    pub offset: i64,
}

/// A dataset found, with its tags; hits come best first.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DatasetHit {
    #[sqlx(flatten)]
    pub dataset: Dataset,
    /// Comma-separated, sorted.
    #[sqlx(rename = "tags")]
    pub tag_list: String,
}

impl DatasetHit {
    pub fn tags(&self) -> Vec<String> {
        self.tag_list
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A dataset's tag: 1 to 64 of lower-case letters, digits, `-`, `_` and
/// `.`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Tag(String);

/// Most tags on one dataset.
pub const MAX_TAGS: usize = 32;

impl Tag {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Tag {
    type Err = CatalogError;
    fn from_str(s: &str) -> Result<Self, CatalogError> {
        let ok = (1..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if ok {
            Ok(Tag(s.to_owned()))
        } else {
            Err(CatalogError::InvalidTag(s.chars().take(80).collect()))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetDetail {
    pub dataset: Dataset,
    /// Sorted.
    pub tags: Vec<String>,
    /// Published versions, oldest first, each with its columns.
    pub versions: Vec<VersionDetail>,
}

/// A published version and its columns, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionDetail {
    #[serde(flatten)]
    pub info: VersionInfo,
    pub columns: Vec<ColumnInfo>,
}
