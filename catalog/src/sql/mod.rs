//! The SQL behind [`CatalogStore`], written once for both backends.
//!
//! SQLite and PostgreSQL accept the same statements here (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`), so one macro body implements the trait for
//! both pools. The two dialect differences are macro parameters:
//! - `skip_locked`: PostgreSQL claims work with `FOR UPDATE SKIP LOCKED`;
//!   SQLite has one writer at a time and needs nothing.
//! - `audit_lock`: PostgreSQL serialises audit appends with a transaction
//!   advisory lock; SQLite already holds its write lock.
//!
//! SQLite transactions here always begin with a write, so the write lock is
//! taken up front and a transaction never fails upgrading from read to write.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use serde_json::json;

use crate::audit::{GENESIS_HASH, event_hash};
use crate::search::steps::{MATCH_COST, PHRASE_MATCH_COST, Step, Steps};
use crate::search::{RANK_WINDOW, Tier, Window, ranked_page};
use crate::*;
use airlock_zones::ZoneName;
use datasets::VersionColumn;
use search::TierSql;

mod acquisitions;
mod audit_log;
mod datasets;
mod deliveries;
mod files;
mod search;
mod transfers;
mod users;

/// The embedded catalog: one SQLite file, WAL, `synchronous = FULL` so that a
/// committed row survives power loss before an upload is acknowledged.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        migrator(sqlx::migrate!("./migrations-sqlite"))
            .run(&pool)
            .await?;
        Ok(Self { pool })
    }
}

/// The shared migrations (`migrations/`) with one dialect's own
/// (`migrations-sqlite/`, `migrations-postgres/`: full-text search), in
/// version order: one numbering, each version in exactly one directory.
fn migrator(dialect: sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    let mut all = sqlx::migrate!("./migrations");
    let mut migrations: Vec<_> = all.migrations.iter().cloned().collect();
    migrations.extend(dialect.migrations.iter().cloned());
    migrations.sort_by_key(|m| m.version);
    all.migrations = migrations.into();
    all
}

/// The shared catalog for several daemons.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        migrator(sqlx::migrate!("./migrations-postgres"))
            .run(&pool)
            .await?;
        Ok(Self { pool })
    }
}

/// What the audit log keeps of a scan: the file's own verdicts, the member
/// count and every member verdict that was not clean (bounded).
fn scan_summary(scan: &ScanRecord) -> serde_json::Value {
    let file: Vec<String> = scan
        .verdicts
        .iter()
        .filter(|v| v.member.is_empty())
        .map(|v| format!("{}={}", v.engine, v.verdict))
        .collect();
    let findings: Vec<String> = scan
        .verdicts
        .iter()
        .filter(|v| !v.member.is_empty() && v.verdict != "clean")
        .take(20)
        .map(|v| format!("{}: {}={}", v.member, v.engine, v.verdict))
        .collect();
    json!({"verdicts": file, "members": scan.members.len(), "member_findings": findings})
}

/// A lifecycle whose states a table's `state` column holds, and which
/// changes only through [`Change`].
pub(crate) trait Lifecycle: Copy + std::fmt::Debug {
    const TABLE: &'static str;
    /// What the table's rows are called in errors.
    const NOUN: &'static str;
    fn text(self) -> &'static str;
}

impl Lifecycle for FileState {
    const TABLE: &'static str = "files";
    const NOUN: &'static str = "file";
    fn text(self) -> &'static str {
        self.as_str()
    }
}

impl Lifecycle for TransferState {
    const TABLE: &'static str = "transfers";
    const NOUN: &'static str = "transfer";
    fn text(self) -> &'static str {
        self.as_str()
    }
}

impl Lifecycle for AcquisitionState {
    const TABLE: &'static str = "acquisitions";
    const NOUN: &'static str = "acquisition";
    fn text(self) -> &'static str {
        self.as_str()
    }
}

/// A value a [`Change`] sets besides the state.
pub(crate) enum Cell<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
}

/// The audit event a [`Change`] appends.
pub(crate) struct Event<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: serde_json::Value,
}

/// One guarded state change, the only way a file, transfer or
/// acquisition moves: row `id` goes from one of `from` to `to` only if it
/// is in one of them and, for a worker's step, its lease is `lease`'s;
/// `set` changes other columns (`"column = expression"`, `?` standing for
/// the value) and `check` guards it further (`"column = ?"`); `event` is
/// audited. `transition` runs it in the caller's
/// transaction. A change without an event is audited by its caller in
/// the same transaction (a review, each published version), or is a
/// worker taking up its step (`scanning`, `publishing`), audited when the
/// step ends.
pub(crate) struct Change<'a, S> {
    pub id: &'a str,
    pub from: &'a [S],
    pub to: S,
    pub lease: Option<&'a str>,
    pub set: Vec<(&'static str, Cell<'a>)>,
    pub check: Vec<(&'static str, Cell<'a>)>,
    pub event: Option<Event<'a>>,
}

impl<S: Lifecycle> Change<'_, S> {
    /// `UPDATE … SET state = $2, <set> WHERE id = $1 <AND check> AND state
    /// IN (…) [AND lease_owner = …]`, binding in that order.
    fn sql(&self) -> String {
        let mut n = 2;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let set: Vec<String> = self
            .set
            .iter()
            .map(|(expr, _)| expr.replace('?', &next()))
            .collect();
        let check: Vec<String> = self
            .check
            .iter()
            .map(|(expr, _)| expr.replace('?', &next()))
            .collect();
        let from: Vec<String> = self.from.iter().map(|_| next()).collect();
        let mut sql = format!("UPDATE {} SET state = $2", S::TABLE);
        for s in &set {
            sql.push_str(", ");
            sql.push_str(s);
        }
        sql.push_str(" WHERE id = $1");
        for c in &check {
            sql.push_str(" AND ");
            sql.push_str(c);
        }
        sql.push_str(&format!(" AND state IN ({})", from.join(", ")));
        if self.lease.is_some() {
            sql.push_str(&format!(" AND lease_owner = {}", next()));
        }
        sql
    }
}

/// What a file's step that leaves it for good (held or rejected) also
/// sets: no version reserved, no lease, and when.
pub(crate) fn file_step_ended<'a>(now: i64) -> [(&'static str, Cell<'a>); 5] {
    [
        ("dataset_id = ?", Cell::Text(None)),
        ("version = ?", Cell::Int(None)),
        ("lease_owner = ?", Cell::Text(None)),
        ("lease_until = ?", Cell::Int(None)),
        ("updated_at = ?", Cell::Int(Some(now))),
    ]
}

/// `$first, $first + 1, …` for `count` values.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

macro_rules! file_cols {
    () => {
        "id, acquisition_id, filename, sha256, size_bytes, channel, submitted_by, state, reason, \
         error, dataset_id, version, attempts, next_attempt_at, created_at, updated_at, \
         declared_format, evidence, released_by"
    };
}

macro_rules! upload_cols {
    () => {
        "id, acquisition_id, filename, declared_format, length_bytes, offset_bytes, created_by, \
         created_at, expires_at, file_id"
    };
}

macro_rules! transfer_cols {
    () => {
        "id, dataset_id, version, from_zone, to_zone, requested_by, reason, state, released_by, error, \
         target_dataset_id, target_version, attempts, created_at, updated_at"
    };
}

macro_rules! acquisition_cols {
    () => {
        "id, name, slug, description, target_zone, classification, state, owner_id, created_at, \
         allow, sheet, declared_schema, supplier, legal_basis, purpose, personal_data, \
         retention_days, ethics_ref, rounding_base"
    };
}

macro_rules! sql_store {
    ($store:ident, $conn:ty, backend = $backend:literal, audit_lock = $lock:literal,
     search = $search:path) => {
        impl $store {
            /// This dialect's search statements.
            const SEARCH: &'static search::SearchSql = &$search;

            /// Rewrites a dataset's search document from what the catalog
            /// holds: its name and description, its acquisition's supplier
            /// and purpose, its tags and every published version's column
            /// names. Called whenever one of them changes, and whenever a
            /// version is published or leaves publication.
            async fn index_dataset(conn: &mut $conn, dataset_id: &str) -> Result<()> {
                // A write first: a SQLite transaction takes its write lock
                // up front.
                for &delete in Self::SEARCH.delete {
                    sqlx::query(delete).bind(dataset_id).execute(&mut *conn).await?;
                }
                let Some((name, description, supplier, purpose)): Option<(String, String, String, String)> =
                    sqlx::query_as(
                        "SELECT d.name, d.description, a.supplier, a.purpose FROM datasets d \
                         JOIN acquisitions a ON a.id = d.acquisition_id WHERE d.id = $1",
                    )
                    .bind(dataset_id)
                    .fetch_optional(&mut *conn)
                    .await?
                else {
                    return Ok(());
                };
                // Marks the dataset indexed, and gives it its place.
                sqlx::query(Self::SEARCH.prepare)
                    .bind(dataset_id)
                    .execute(&mut *conn)
                    .await?;
                // Only a listed dataset, one with a published version, has a
                // document: a search then needs no other table to know it.
                let listed: Option<(i64,)> = sqlx::query_as(
                    "SELECT version FROM dataset_versions WHERE dataset_id = $1 AND state = $2 LIMIT 1",
                )
                .bind(dataset_id)
                .bind(VersionState::Published.as_str())
                .fetch_optional(&mut *conn)
                .await?;
                if listed.is_none() {
                    return Ok(());
                }
                let tags: Vec<(String,)> =
                    sqlx::query_as("SELECT tag FROM dataset_tags WHERE dataset_id = $1 ORDER BY tag")
                        .bind(dataset_id)
                        .fetch_all(&mut *conn)
                        .await?;
                let columns: Vec<(String,)> = sqlx::query_as(
                    "SELECT DISTINCT c.name FROM dataset_columns c JOIN dataset_versions v \
                     ON v.dataset_id = c.dataset_id AND v.version = c.version \
                     WHERE c.dataset_id = $1 AND v.state = $2 ORDER BY c.name",
                )
                .bind(dataset_id)
                .bind(VersionState::Published.as_str())
                .fetch_all(&mut *conn)
                .await?;
                let doc = search::Document::new(
                    &name,
                    tags.iter().map(|t| t.0.as_str()),
                    columns.iter().map(|c| c.0.as_str()),
                    &description,
                    &supplier,
                    &purpose,
                );
                sqlx::query(Self::SEARCH.insert)
                    .bind(dataset_id)
                    .bind(doc.name)
                    .bind(doc.tags)
                    .bind(doc.columns)
                    .bind(doc.description)
                    .bind(doc.supplier)
                    .bind(doc.purpose)
                    .execute(&mut *conn)
                    .await?;
                for &derive in Self::SEARCH.derive {
                    sqlx::query(derive).bind(dataset_id).execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn audit(
                conn: &mut $conn,
                now: i64,
                actor: &str,
                action: &str,
                subject: &str,
                detail: serde_json::Value,
            ) -> Result<()> {
                let detail = detail.to_string();
                sqlx::query($lock).execute(&mut *conn).await?;
                let last: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *conn)
                        .await?;
                let (seq, prev) = last
                    .map(|(s, h)| (s + 1, h))
                    .unwrap_or((1, GENESIS_HASH.to_owned()));
                let hash = event_hash(&prev, seq, now, actor, action, subject, &detail);
                sqlx::query(
                    "INSERT INTO audit_events (seq, at, actor, action, subject, detail, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(seq)
                .bind(now)
                .bind(actor)
                .bind(action)
                .bind(subject)
                .bind(detail)
                .bind(&prev)
                .bind(&hash)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Runs a [`Change`]: the one guarded state change. Fails with
            /// `LeaseLost` when a worker's lease is gone or the state moved
            /// on under it, and with `WrongState` (naming the state the
            /// row is in) for anyone else's change.
            async fn transition<S: Lifecycle>(conn: &mut $conn, change: Change<'_, S>) -> Result<()> {
                let sql = change.sql();
                let mut update = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(change.id)
                    .bind(change.to.text());
                for (_, cell) in change.set.iter().chain(&change.check) {
                    update = match cell {
                        Cell::Text(v) => update.bind(*v),
                        Cell::Int(v) => update.bind(*v),
                    };
                }
                for state in change.from {
                    update = update.bind(state.text());
                }
                if let Some(owner) = change.lease {
                    update = update.bind(owner);
                }
                let done = update.execute(&mut *conn).await?;
                if done.rows_affected() != 1 {
                    if change.lease.is_some() {
                        return Err(CatalogError::LeaseLost(change.id.to_owned()));
                    }
                    let select = format!("SELECT state FROM {} WHERE id = $1", S::TABLE);
                    let now: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(select))
                        .bind(change.id)
                        .fetch_optional(&mut *conn)
                        .await?;
                    return Err(match now {
                        None => CatalogError::NotFound(format!("{} {}", S::NOUN, change.id)),
                        Some(now) => CatalogError::WrongState(format!(
                            "{} {} is {now}, not {}",
                            S::NOUN,
                            change.id,
                            change.from.iter().map(|s| s.text()).collect::<Vec<_>>().join(" or ")
                        )),
                    });
                }
                if let Some(e) = change.event {
                    Self::audit(&mut *conn, e.at, e.actor, e.action, change.id, e.detail).await?;
                }
                Ok(())
            }

            /// Replaces the file's verdicts and members with `scan`'s.
            async fn store_scan(conn: &mut $conn, file_id: &str, scan: &ScanRecord) -> Result<()> {
                for delete in [
                    "DELETE FROM verdicts WHERE file_id = $1",
                    "DELETE FROM file_members WHERE file_id = $1",
                ] {
                    sqlx::query(delete)
                        .bind(file_id)
                        .execute(&mut *conn)
                        .await?;
                }
                let insert = "INSERT INTO verdicts (file_id, member, engine, verdict, detail, engine_version, \
                              db_version, scanned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
                Self::insert_verdicts(&mut *conn, insert, &[file_id], &scan.verdicts).await?;
                for (ordinal, m) in scan.members.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO file_members (file_id, ordinal, path, size_bytes, sha256) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(file_id)
                    .bind(ordinal as i64)
                    .bind(&m.path)
                    .bind(m.size_bytes)
                    .bind(&m.sha256)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            /// Inserts `verdicts` with `insert`, whose first placeholders are
            /// the owner's `keys` (a file's id; a transfer's id and part),
            /// then a verdict's seven columns.
            async fn insert_verdicts(
                conn: &mut $conn,
                insert: &'static str,
                keys: &[&str],
                verdicts: &[NewVerdict],
            ) -> Result<()> {
                for v in verdicts {
                    let mut row = sqlx::query(insert);
                    for key in keys {
                        row = row.bind(*key);
                    }
                    row.bind(&v.member)
                        .bind(&v.engine)
                        .bind(&v.verdict)
                        .bind(&v.detail)
                        .bind(&v.engine_version)
                        .bind(&v.db_version)
                        .bind(v.scanned_at)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            async fn acquisition_in(conn: &mut $conn, id: &str) -> Result<Acquisition> {
                sqlx::query_as(concat!("SELECT ", acquisition_cols!(), " FROM acquisitions WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("acquisition {id}")))
            }

            async fn insert_review(conn: &mut $conn, r: &Review) -> Result<()> {
                sqlx::query(
                    "INSERT INTO reviews (id, subject_kind, subject_id, reviewer_id, decision, reason, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&r.id)
                .bind(r.subject_kind.as_str())
                .bind(&r.subject_id)
                .bind(&r.reviewer_id)
                .bind(r.decision.as_str())
                .bind(&r.reason)
                .bind(r.created_at)
                .execute(&mut *conn)
                .await?;
                let detail = json!({
                    "decision": r.decision.as_str(), "reason": r.reason, "review_id": r.id,
                    "policies": r.policies
                });
                let action = format!("{}.review", r.subject_kind.as_str());
                Self::audit(&mut *conn, r.created_at, &r.reviewer_id, &action, &r.subject_id, detail).await
            }

            /// Reserves the next version of dataset `d` (created if needed)
            /// for a file, or for a transfer of one; a reservation the same
            /// file or transfer already holds is kept. `true` when new.
            async fn reserve(
                conn: &mut $conn,
                d: &Dataset,
                source_file_id: &str,
                transfer_id: Option<&str>,
            ) -> Result<(Reservation, bool)> {
                let held: Option<(String, i64)> = sqlx::query_as(
                    "SELECT d.id, v.version FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
                     WHERE v.source_file_id = $1 AND v.state = $5 AND d.zone = $2 AND d.name = $3 \
                     AND COALESCE(v.transfer_id, '') = COALESCE($4, '')",
                )
                .bind(source_file_id)
                .bind(d.zone.as_str())
                .bind(&d.name)
                .bind(transfer_id)
                .bind(VersionState::Pending.as_str())
                .fetch_optional(&mut *conn)
                .await?;
                if let Some((dataset_id, version)) = held {
                    return Ok((Reservation { dataset_id, dataset_name: d.name.clone(), version }, false));
                }
                sqlx::query(
                    "INSERT INTO datasets (id, name, zone, classification, description, acquisition_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (zone, name) DO NOTHING",
                )
                .bind(&d.id)
                .bind(&d.name)
                .bind(d.zone.as_str())
                .bind(d.classification.as_str())
                .bind(&d.description)
                .bind(&d.acquisition_id)
                .bind(d.created_at)
                .execute(&mut *conn)
                .await?;
                let (dataset_id, acquisition_id): (String, String) =
                    sqlx::query_as("SELECT id, acquisition_id FROM datasets WHERE zone = $1 AND name = $2")
                        .bind(d.zone.as_str())
                        .bind(&d.name)
                        .fetch_one(&mut *conn)
                        .await?;
                if acquisition_id != d.acquisition_id {
                    return Err(CatalogError::Conflict(format!(
                        "dataset {:?} in zone {:?} (owned by another acquisition)",
                        d.name, d.zone
                    )));
                }
                let version: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM dataset_versions WHERE dataset_id = $1",
                )
                .bind(&dataset_id)
                .fetch_one(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO dataset_versions (dataset_id, version, state, source_file_id, created_at, transfer_id) \
                     VALUES ($1, $2, $6, $3, $4, $5)",
                )
                .bind(&dataset_id)
                .bind(version)
                .bind(source_file_id)
                .bind(d.created_at)
                .bind(transfer_id)
                .bind(VersionState::Pending.as_str())
                .execute(&mut *conn)
                .await?;
                Ok((Reservation { dataset_id, dataset_name: d.name.clone(), version }, true))
            }

            /// Releases the versions reserved for a file that will not
            /// publish them (held or rejected).
            async fn release_reservations(conn: &mut $conn, file_id: &str) -> Result<()> {
                sqlx::query(
                    "DELETE FROM dataset_versions WHERE source_file_id = $1 AND state = $2 \
                     AND transfer_id IS NULL",
                )
                .bind(file_id)
                .bind(VersionState::Pending.as_str())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Makes a reserved version visible with its location,
            /// statistics and columns.
            async fn publish_version(conn: &mut $conn, v: &PublishedVersion, source: &str) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE dataset_versions SET state = $7, location = $3, rows = $4, size_bytes = $5, \
                     created_at = $6, iceberg_parts = $9 WHERE dataset_id = $1 AND version = $2 AND state = $8",
                )
                .bind(&v.dataset_id)
                .bind(v.version)
                .bind(&v.location)
                .bind(v.rows)
                .bind(v.size_bytes)
                .bind(v.now)
                .bind(VersionState::Published.as_str())
                .bind(VersionState::Pending.as_str())
                .bind(v.iceberg_parts)
                .execute(&mut *conn)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::NotFound(format!(
                        "version {} of dataset {} reserved for {source}",
                        v.version, v.dataset_id
                    )));
                }
                for (i, c) in v.columns.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO dataset_columns (dataset_id, version, ordinal, name, data_type, nullable, \
                         source_name, pii_sampled, null_count, min_value, max_value, distinct_count, \
                         distinct_estimate, sum_value, least_positive, value_gcd) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    )
                    .bind(&v.dataset_id)
                    .bind(v.version)
                    .bind(i as i64)
                    .bind(&c.name)
                    .bind(&c.data_type)
                    .bind(i64::from(c.nullable.0))
                    .bind(&c.source_name)
                    .bind(c.pii_sampled)
                    .bind(c.stats.null_count)
                    .bind(&c.stats.min_value)
                    .bind(&c.stats.max_value)
                    .bind(c.stats.distinct_count)
                    .bind(c.stats.distinct_estimate)
                    .bind(&c.stats.sum_value)
                    .bind(c.stats.least_positive)
                    .bind(c.stats.value_gcd)
                    .execute(&mut *conn)
                    .await?;
                    for p in &c.pii {
                        sqlx::query(
                            "INSERT INTO column_pii (dataset_id, version, ordinal, kind, count) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(&v.dataset_id)
                        .bind(v.version)
                        .bind(i as i64)
                        .bind(&p.kind)
                        .bind(p.count)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
                Self::index_dataset(conn, &v.dataset_id).await
            }

            /// Records a delivered file, or finds the same bytes' record.
            async fn insert_file_in(conn: &mut $conn, f: &NewFile, decided_by: &[String]) -> Result<Inserted> {
                let done = sqlx::query(
                    "INSERT INTO files (id, acquisition_id, filename, sha256, size_bytes, channel, \
                     submitted_by, state, next_attempt_at, created_at, updated_at, declared_format) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $8, $8, $9) \
                     ON CONFLICT (acquisition_id, sha256) DO NOTHING",
                )
                .bind(&f.id)
                .bind(&f.acquisition_id)
                .bind(&f.filename)
                .bind(&f.sha256)
                .bind(f.size_bytes)
                .bind(f.channel.as_str())
                .bind(&f.submitted_by)
                .bind(f.created_at)
                .bind(&f.declared_format)
                .bind(FileState::Received.as_str())
                .execute(&mut *conn)
                .await?;
                let created = done.rows_affected() == 1;
                let file: FileRecord = sqlx::query_as(concat!(
                    "SELECT ",
                    file_cols!(),
                    " FROM files WHERE acquisition_id = $1 AND sha256 = $2"
                ))
                .bind(&f.acquisition_id)
                .bind(&f.sha256)
                .fetch_one(&mut *conn)
                .await?;
                if created {
                    let detail = json!({
                        "acquisition_id": f.acquisition_id, "filename": f.filename, "sha256": f.sha256,
                        "size_bytes": f.size_bytes, "channel": f.channel.as_str(), "decided_by": decided_by
                    });
                    Self::audit(&mut *conn, f.created_at, &f.submitted_by, "file.receive", &f.id, detail)
                        .await?;
                }
                Ok(Inserted { file, created })
            }

            async fn file_in(conn: &mut $conn, id: &str) -> Result<FileRecord> {
                sqlx::query_as(concat!("SELECT ", file_cols!(), " FROM files WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("file {id}")))
            }
        }

        impl CatalogStore for $store {
            fn backend(&self) -> &'static str {
                $backend
            }
        }
    };
}

sql_store!(
    SqliteStore,
    sqlx::SqliteConnection,
    backend = "sqlite",
    audit_lock = "SELECT 1",
    search = search::SQLITE
);
sql_store!(
    PgStore,
    sqlx::PgConnection,
    backend = "postgres",
    audit_lock = "SELECT pg_advisory_xact_lock(7408299)",
    search = search::POSTGRES
);

/// Every aggregate's operations, for both backends.
macro_rules! aggregates {
    ($store:ident, $conn:ty, skip_locked = $skip:literal) => {
        users::users_sql!($store, $conn);
        acquisitions::acquisitions_sql!($store);
        deliveries::deliveries_sql!($store);
        files::files_sql!($store, skip_locked = $skip);
        datasets::datasets_sql!($store);
        transfers::transfers_sql!($store, skip_locked = $skip);
        audit_log::audit_log_sql!($store);
    };
}
aggregates!(SqliteStore, sqlx::SqliteConnection, skip_locked = "");
aggregates!(
    PgStore,
    sqlx::PgConnection,
    skip_locked = "FOR UPDATE SKIP LOCKED"
);

/// A user name already taken, named as such.
fn name_taken(e: sqlx::Error, name: &str) -> CatalogError {
    match CatalogError::from(e) {
        CatalogError::Conflict(_) => CatalogError::Conflict(format!("user {name:?}")),
        other => other,
    }
}

/// A guarded update must touch exactly the one file; otherwise the caller's
/// lease is gone or the file's state moved on.
fn one_row(affected: u64, file_id: &str) -> Result<()> {
    if affected == 1 {
        Ok(())
    } else {
        Err(CatalogError::LeaseLost(file_id.to_owned()))
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_binds_every_state_and_value() {
        let change = Change {
            id: "f1",
            from: &[FileState::Received, FileState::Held],
            to: FileState::Scanning,
            lease: Some("node"),
            set: vec![("attempts = attempts + ?", Cell::Int(Some(1)))],
            check: vec![("version = ?", Cell::Int(Some(2)))],
            event: None,
        };
        assert_eq!(
            change.sql(),
            "UPDATE files SET state = $2, attempts = attempts + $3 WHERE id = $1 \
             AND version = $4 AND state IN ($5, $6) AND lease_owner = $7"
        );
        assert_eq!(placeholders(4, 3), "$4, $5, $6");
    }
}
