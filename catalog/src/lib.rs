//! The catalog: the single source of truth for every user, acquisition,
//! delivered file, verdict, dataset version and audit event.
//!
//! Key decisions:
//! - One [`CatalogStore`] interface, split by aggregate into small traits
//!   ([`stores`]: users, acquisitions, deliveries, a file's lifecycle,
//!   datasets, transfers, the audit log), with two backends, SQLite
//!   (embedded default) and PostgreSQL (several daemons sharing one
//!   catalog). Both run the same SQL, written once in `sql/`, one file per
//!   aggregate, and the same conformance suite.
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
pub mod search;
mod sql;
pub mod stores;

use std::sync::Arc;

pub use audit::{AuditEvent, GENESIS_HASH};
pub use contract::{
    COLUMN_NAME_PATTERN, ColumnBreach, ColumnType, Contract, DeclaredColumn, MAX_COLUMN_NAME_CHARS,
    MAX_DECLARED_COLUMNS, Position, SchemaCheck, column_type_pattern,
};
pub use model::*;
pub use search::SearchQuery;
pub use sql::{PgStore, SqliteStore, now_ms};
pub use stores::{
    AcquisitionStore, AuditStore, DatasetStore, DeliveryStore, FileStore, TransferStore, UserStore,
};

/// Everything that can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A search query that does not parse: what is wrong, and where.
    #[error("invalid search query: {0}")]
    InvalidQuery(String),
    #[error(
        "invalid tag {0:?}: a tag is 1 to 64 of a-z, 0-9, '-', '_' and '.', starting with a letter or digit"
    )]
    InvalidTag(String),
    #[error("a dataset has at most {} tags", crate::MAX_TAGS)]
    TooManyTags,
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Conflict(String),
    /// The user is disabled: nothing may sign them in.
    #[error("user {0} is disabled")]
    UserDisabled(String),
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

/// The whole catalog: every aggregate's operations ([`stores`]).
pub trait CatalogStore:
    UserStore
    + AcquisitionStore
    + DeliveryStore
    + FileStore
    + DatasetStore
    + TransferStore
    + AuditStore
    + 'static
{
    /// Which backend this is (`sqlite` or `postgres`), for logs.
    fn backend(&self) -> &'static str;
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
