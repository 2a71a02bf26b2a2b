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
use crate::*;

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
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }
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
        sqlx::migrate!("./migrations").run(&pool).await?;
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
         retention_days, ethics_ref"
    };
}

macro_rules! sql_store {
    ($store:ident, $conn:ty, backend = $backend:literal, skip_locked = $skip:literal, audit_lock = $lock:literal) => {
        impl $store {
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
                for v in &scan.verdicts {
                    sqlx::query(
                        "INSERT INTO verdicts (file_id, member, engine, verdict, detail, engine_version, \
                         db_version, scanned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(file_id)
                    .bind(&v.member)
                    .bind(&v.engine)
                    .bind(&v.verdict)
                    .bind(&v.detail)
                    .bind(&v.engine_version)
                    .bind(&v.db_version)
                    .bind(v.scanned_at)
                    .execute(&mut *conn)
                    .await?;
                }
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
                     WHERE v.source_file_id = $1 AND v.state = 'pending' AND d.zone = $2 AND d.name = $3 \
                     AND COALESCE(v.transfer_id, '') = COALESCE($4, '')",
                )
                .bind(source_file_id)
                .bind(&d.zone)
                .bind(&d.name)
                .bind(transfer_id)
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
                .bind(&d.zone)
                .bind(&d.classification)
                .bind(&d.description)
                .bind(&d.acquisition_id)
                .bind(d.created_at)
                .execute(&mut *conn)
                .await?;
                let (dataset_id, acquisition_id): (String, String) =
                    sqlx::query_as("SELECT id, acquisition_id FROM datasets WHERE zone = $1 AND name = $2")
                        .bind(&d.zone)
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
                     VALUES ($1, $2, 'pending', $3, $4, $5)",
                )
                .bind(&dataset_id)
                .bind(version)
                .bind(source_file_id)
                .bind(d.created_at)
                .bind(transfer_id)
                .execute(&mut *conn)
                .await?;
                Ok((Reservation { dataset_id, dataset_name: d.name.clone(), version }, true))
            }

            /// Makes a reserved version visible with its location,
            /// statistics and columns.
            async fn publish_version(conn: &mut $conn, v: &PublishedVersion, source: &str) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE dataset_versions SET state = 'published', location = $3, rows = $4, size_bytes = $5, \
                     created_at = $6 WHERE dataset_id = $1 AND version = $2 AND state = 'pending'",
                )
                .bind(&v.dataset_id)
                .bind(v.version)
                .bind(&v.location)
                .bind(v.rows)
                .bind(v.size_bytes)
                .bind(v.now)
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
                         source_name, pii_sampled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&v.dataset_id)
                    .bind(v.version)
                    .bind(i as i64)
                    .bind(&c.name)
                    .bind(&c.data_type)
                    .bind(i64::from(c.nullable.0))
                    .bind(&c.source_name)
                    .bind(c.pii_sampled)
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
                Ok(())
            }

            /// Records a delivered file, or finds the same bytes' record.
            async fn insert_file_in(conn: &mut $conn, f: &NewFile, decided_by: &[String]) -> Result<Inserted> {
                let done = sqlx::query(
                    "INSERT INTO files (id, acquisition_id, filename, sha256, size_bytes, channel, \
                     submitted_by, state, next_attempt_at, created_at, updated_at, declared_format) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'received', $8, $8, $8, $9) \
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

        #[async_trait::async_trait]
        impl CatalogStore for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn create_user(&self, u: &User, token_hash: &str) -> Result<User> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("INSERT INTO users (id, name, role, created_at, zones) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&u.id)
                    .bind(&u.name)
                    .bind(&u.role)
                    .bind(u.created_at)
                    .bind(&u.zones)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| name_taken(e, &u.name))?;
                sqlx::query("INSERT INTO tokens (hash, user_id, created_at) VALUES ($1, $2, $3)")
                    .bind(token_hash)
                    .bind(&u.id)
                    .bind(u.created_at)
                    .execute(&mut *tx)
                    .await?;
                let detail = json!({"name": u.name, "role": u.role, "zones": u.zones});
                Self::audit(&mut *tx, u.created_at, "system:cli", "user.create", &u.id, detail).await?;
                tx.commit().await?;
                Ok(u.clone())
            }

            async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>> {
                Ok(sqlx::query_as(
                    "SELECT u.id, u.name, u.role, u.created_at, u.zones FROM users u \
                     JOIN tokens t ON t.user_id = u.id WHERE t.hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn user(&self, id: &str) -> Result<Option<User>> {
                Ok(sqlx::query_as("SELECT id, name, role, created_at, zones FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn sync_user(&self, u: &User) -> Result<User> {
                let same = |found: &User| {
                    (&found.name, &found.role, &found.zones) == (&u.name, &u.role, &u.zones)
                };
                if let Some(found) = self.user(&u.id).await? {
                    if same(&found) {
                        return Ok(found);
                    }
                }
                let mut tx = self.pool.begin().await?;
                let user: User = sqlx::query_as(
                    "INSERT INTO users (id, name, role, created_at, zones) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, \
                     zones = excluded.zones RETURNING id, name, role, created_at, zones",
                )
                .bind(&u.id)
                .bind(&u.name)
                .bind(&u.role)
                .bind(u.created_at)
                .bind(&u.zones)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| name_taken(e, &u.name))?;
                let detail = json!({"name": u.name, "role": u.role, "zones": u.zones});
                Self::audit(&mut *tx, u.created_at, "system:oidc", "user.sync", &u.id, detail).await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn create_acquisition(&self, a: &Acquisition, decided_by: &[String]) -> Result<Acquisition> {
                let mut tx = self.pool.begin().await?;
                let acq: Acquisition = sqlx::query_as(concat!(
                    "INSERT INTO acquisitions (",
                    acquisition_cols!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                     RETURNING ",
                    acquisition_cols!()
                ))
                .bind(&a.id)
                .bind(&a.name)
                .bind(&a.slug)
                .bind(&a.description)
                .bind(&a.target_zone)
                .bind(&a.classification)
                .bind(a.state.as_str())
                .bind(&a.owner_id)
                .bind(a.created_at)
                .bind(&a.allow)
                .bind(&a.sheet)
                .bind(&a.declared_schema)
                .bind(&a.supplier)
                .bind(&a.legal_basis)
                .bind(&a.purpose)
                .bind(a.personal_data)
                .bind(a.retention_days)
                .bind(&a.ethics_ref)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match CatalogError::from(e) {
                    CatalogError::Conflict(_) => {
                        CatalogError::Conflict(format!("an acquisition named {:?}", a.slug))
                    }
                    other => other,
                })?;
                let detail = json!({
                    "name": a.name, "target_zone": a.target_zone, "classification": a.classification,
                    "state": a.state.as_str(), "supplier": a.supplier, "legal_basis": a.legal_basis,
                    "purpose": a.purpose, "personal_data": a.personal_data,
                    "retention_days": a.retention_days, "ethics_ref": a.ethics_ref,
                    "allow": a.allow, "sheet": a.sheet, "declared_schema": a.declared_schema,
                    "decided_by": decided_by
                });
                Self::audit(&mut *tx, a.created_at, &a.owner_id, "acquisition.create", &a.id, detail)
                    .await?;
                tx.commit().await?;
                Ok(acq)
            }

            async fn acquisition(&self, id: &str) -> Result<Option<Acquisition>> {
                Ok(sqlx::query_as(concat!("SELECT ", acquisition_cols!(), " FROM acquisitions WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn move_acquisition(
                &self,
                id: &str,
                actor: &str,
                from: AcquisitionState,
                to: AcquisitionState,
            ) -> Result<Acquisition> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("UPDATE acquisitions SET state = $3 WHERE id = $1 AND state = $2")
                    .bind(id)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .execute(&mut *tx)
                    .await?;
                let acq = Self::acquisition_in(&mut *tx, id).await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!(
                        "acquisition {id} is {}, not {}", acq.state, from
                    )));
                }
                let detail = json!({"from": from.as_str(), "to": to.as_str()});
                Self::audit(&mut *tx, crate::sql::now_ms(), actor, "acquisition.state", id, detail).await?;
                tx.commit().await?;
                Ok(acq)
            }

            async fn acquisitions_in(&self, state: AcquisitionState) -> Result<Vec<Acquisition>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", acquisition_cols!(), " FROM acquisitions WHERE state = $1 ORDER BY created_at, id"
                ))
                .bind(state.as_str())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn review_acquisition(&self, r: &Review) -> Result<Acquisition> {
                let to = match r.decision {
                    ReviewDecision::Approve => AcquisitionState::Approved,
                    ReviewDecision::Reject => AcquisitionState::Rejected,
                };
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE acquisitions SET state = $2 WHERE id = $1 AND state = 'pending_review'",
                )
                .bind(&r.subject_id)
                .bind(to.as_str())
                .execute(&mut *tx)
                .await?;
                let acq = Self::acquisition_in(&mut *tx, &r.subject_id).await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!(
                        "acquisition {} is {}: only one pending review can be decided", acq.id, acq.state
                    )));
                }
                Self::insert_review(&mut *tx, r).await?;
                tx.commit().await?;
                Ok(acq)
            }

            async fn reviews(&self, kind: ReviewSubject, id: &str) -> Result<Vec<Review>> {
                Ok(sqlx::query_as(
                    "SELECT id, subject_kind, subject_id, reviewer_id, decision, reason, created_at \
                     FROM reviews WHERE subject_kind = $1 AND subject_id = $2 ORDER BY created_at, id",
                )
                .bind(kind.as_str())
                .bind(id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn insert_file(&self, f: &NewFile, decided_by: &[String]) -> Result<Inserted> {
                let mut tx = self.pool.begin().await?;
                let inserted = Self::insert_file_in(&mut *tx, f, decided_by).await?;
                tx.commit().await?;
                Ok(inserted)
            }

            async fn bucket_object(&self, source: &str, key: &str, etag: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT file_id FROM bucket_objects WHERE source = $1 AND object_key = $2 AND etag = $3",
                )
                .bind(source)
                .bind(key)
                .bind(etag)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn take_bucket_object(
                &self,
                source: &str,
                key: &str,
                etag: &str,
                size_bytes: i64,
                sha256: &str,
                file_id: &str,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO bucket_objects (source, object_key, etag, size_bytes, sha256, file_id, taken_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, object_key, etag) DO NOTHING",
                )
                .bind(source)
                .bind(key)
                .bind(etag)
                .bind(size_bytes)
                .bind(sha256)
                .bind(file_id)
                .bind(crate::sql::now_ms())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_upload(&self, u: &Upload) -> Result<Upload> {
                let mut tx = self.pool.begin().await?;
                let created: Upload = sqlx::query_as(concat!(
                    "INSERT INTO uploads (id, acquisition_id, filename, declared_format, length_bytes, offset_bytes, \
                     created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8) RETURNING ",
                    upload_cols!()
                ))
                .bind(&u.id)
                .bind(&u.acquisition_id)
                .bind(&u.filename)
                .bind(&u.declared_format)
                .bind(u.length_bytes)
                .bind(&u.created_by)
                .bind(u.created_at)
                .bind(u.expires_at)
                .fetch_one(&mut *tx)
                .await?;
                let detail = json!({
                    "acquisition_id": u.acquisition_id, "filename": u.filename, "length_bytes": u.length_bytes
                });
                Self::audit(&mut *tx, u.created_at, &u.created_by, "upload.create", &u.id, detail).await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn upload(&self, id: &str) -> Result<Option<Upload>> {
                Ok(sqlx::query_as(concat!("SELECT ", upload_cols!(), " FROM uploads WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn advance_upload(&self, id: &str, from: i64, to: i64, expires_at: i64) -> Result<Upload> {
                let moved: Option<Upload> = sqlx::query_as(concat!(
                    "UPDATE uploads SET offset_bytes = $3, expires_at = $4 \
                     WHERE id = $1 AND offset_bytes = $2 AND file_id IS NULL AND $3 <= length_bytes RETURNING ",
                    upload_cols!()
                ))
                .bind(id)
                .bind(from)
                .bind(to)
                .bind(expires_at)
                .fetch_optional(&self.pool)
                .await?;
                moved.ok_or_else(|| CatalogError::WrongState(format!("upload {id} is no longer at offset {from}")))
            }

            async fn complete_upload(&self, id: &str, f: &NewFile, decided_by: &[String]) -> Result<Inserted> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE uploads SET offset_bytes = length_bytes WHERE id = $1 AND file_id IS NULL \
                     AND length_bytes = $2",
                )
                .bind(id)
                .bind(f.size_bytes)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!("upload {id} is complete already")));
                }
                let inserted = Self::insert_file_in(&mut *tx, f, decided_by).await?;
                sqlx::query("UPDATE uploads SET file_id = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&inserted.file.id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(inserted)
            }

            async fn delete_upload(&self, id: &str, actor: &str, why: &str) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("DELETE FROM uploads WHERE id = $1 AND file_id IS NULL")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!("upload {id} is complete or gone")));
                }
                Self::audit(&mut *tx, crate::sql::now_ms(), actor, "upload.delete", id, json!({"why": why})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn expired_uploads(&self, now: i64) -> Result<Vec<Upload>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", upload_cols!(), " FROM uploads WHERE file_id IS NULL AND expires_at <= $1 ORDER BY expires_at"
                ))
                .bind(now)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn file(&self, id: &str) -> Result<Option<FileRecord>> {
                Ok(
                    sqlx::query_as(concat!("SELECT ", file_cols!(), " FROM files WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn acquisition_files(
                &self,
                acquisition_id: &str,
                before: &str,
                limit: i64,
            ) -> Result<Vec<FileRecord>> {
                // File ids are UUIDv7: their order is their arrival's.
                Ok(sqlx::query_as(concat!(
                    "SELECT ",
                    file_cols!(),
                    " FROM files WHERE acquisition_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3"
                ))
                .bind(acquisition_id)
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn inflight_bytes(&self, acquisition_id: &str) -> Result<(i64, i64)> {
                // Unfinished uploads count at their full length: the room is theirs.
                let (acq, all): (Option<i64>, Option<i64>) = sqlx::query_as(
                    "SELECT CAST(SUM(CASE WHEN acquisition_id = $1 THEN n ELSE 0 END) AS BIGINT), \
                     CAST(SUM(n) AS BIGINT) FROM (\
                     SELECT acquisition_id, size_bytes AS n FROM files WHERE state NOT IN ('published','rejected') \
                     UNION ALL SELECT acquisition_id, length_bytes AS n FROM uploads WHERE file_id IS NULL) inflight",
                )
                .bind(acquisition_id)
                .fetch_one(&self.pool)
                .await?;
                Ok((acq.unwrap_or(0), all.unwrap_or(0)))
            }

            async fn verdicts(&self, file_id: &str) -> Result<Vec<VerdictRecord>> {
                Ok(sqlx::query_as(
                    "SELECT member, engine, verdict, detail, engine_version, db_version, scanned_at \
                     FROM verdicts WHERE file_id = $1 ORDER BY member, engine",
                )
                .bind(file_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn members(&self, file_id: &str) -> Result<Vec<MemberRecord>> {
                Ok(sqlx::query_as(
                    "SELECT path, size_bytes, sha256 FROM file_members WHERE file_id = $1 ORDER BY ordinal",
                )
                .bind(file_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn claim_next(
                &self,
                owner: &str,
                now: i64,
                lease_until: i64,
            ) -> Result<Option<FileRecord>> {
                Ok(sqlx::query_as(concat!(
                    "UPDATE files SET lease_owner = $1, lease_until = $2 WHERE id = (\
                     SELECT id FROM files WHERE state IN ('received','scanning','checking','converting','held') \
                     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
                     ORDER BY next_attempt_at, created_at LIMIT 1 ",
                    $skip,
                    ") RETURNING ",
                    file_cols!()
                ))
                .bind(owner)
                .bind(lease_until)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn renew_lease(&self, file_id: &str, owner: &str, lease_until: i64) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE files SET lease_until = $3 WHERE id = $1 AND lease_owner = $2",
                )
                .bind(file_id)
                .bind(owner)
                .bind(lease_until)
                .execute(&self.pool)
                .await?;
                one_row(done.rows_affected(), file_id)
            }

            async fn release_leases(&self, owner: &str) -> Result<u64> {
                Ok(sqlx::query(
                    "UPDATE files SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
                )
                .bind(owner)
                .execute(&self.pool)
                .await?
                .rows_affected())
            }

            async fn retry_later(
                &self,
                file_id: &str,
                owner: &str,
                error: &str,
                retry_at: i64,
            ) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE files SET error = $3, attempts = attempts + 1, next_attempt_at = $4, \
                     lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
                )
                .bind(file_id)
                .bind(owner)
                .bind(error)
                .bind(retry_at)
                .execute(&self.pool)
                .await?;
                one_row(done.rows_affected(), file_id)
            }

            async fn start_scan(&self, file_id: &str, owner: &str) -> Result<FileRecord> {
                let mut tx = self.pool.begin().await?;
                let now = crate::sql::now_ms();
                let done = sqlx::query(
                    "UPDATE files SET state = 'scanning', updated_at = $3 \
                     WHERE id = $1 AND lease_owner = $2 AND state IN ('received','held','scanning')",
                )
                .bind(file_id)
                .bind(owner)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), file_id)?;
                let file = Self::file_in(&mut *tx, file_id).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn finish_scan(
                &self,
                file_id: &str,
                owner: &str,
                scan: &ScanRecord,
                outcome: &ScanOutcome,
            ) -> Result<FileRecord> {
                let now = crate::sql::now_ms();
                let actor = format!("system:{owner}");
                // (state, reason, error, attempts delta, next attempt, keep lease)
                let (state, reason, error, bump, next, keep) = match outcome {
                    ScanOutcome::Clean => (FileState::Checking, None, None, 0i64, now, true),
                    ScanOutcome::Infected { message } => (
                        FileState::Rejected,
                        Some(RejectReason::Infected.as_str()),
                        Some(message.as_str()),
                        0,
                        now,
                        false,
                    ),
                    ScanOutcome::Held { message, retry_at } => {
                        (FileState::Held, None, Some(message.as_str()), 1, *retry_at, false)
                    }
                };
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE files SET state = $3, reason = $4, error = $5, attempts = attempts + $6, \
                     next_attempt_at = $7, lease_owner = $8, lease_until = CASE WHEN $8 IS NULL THEN NULL ELSE lease_until END, \
                     updated_at = $9 WHERE id = $1 AND lease_owner = $2 AND state = 'scanning'",
                )
                .bind(file_id)
                .bind(owner)
                .bind(state.as_str())
                .bind(reason)
                .bind(error)
                .bind(bump)
                .bind(next)
                .bind(keep.then_some(owner))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), file_id)?;
                Self::store_scan(&mut *tx, file_id, scan).await?;
                let detail = json!({"state": state.as_str(), "scan": scan_summary(scan)});
                Self::audit(&mut *tx, now, &actor, "file.scan", file_id, detail).await?;
                let file = Self::file_in(&mut *tx, file_id).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn start_convert(
                &self,
                file_id: &str,
                owner: &str,
                datasets: &[Dataset],
            ) -> Result<Vec<Reservation>> {
                let Some(first) = datasets.first() else {
                    return Err(CatalogError::Conflict(format!("file {file_id} converts to no dataset")));
                };
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE files SET state = 'converting', error = NULL, updated_at = $3 \
                     WHERE id = $1 AND lease_owner = $2 AND state IN ('checking','converting')",
                )
                .bind(file_id)
                .bind(owner)
                .bind(first.created_at)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), file_id)?;
                let mut reserved = Vec::with_capacity(datasets.len());
                for d in datasets {
                    let (r, created) = Self::reserve(&mut *tx, d, file_id, None).await?;
                    if created {
                        let detail = json!({"dataset_id": r.dataset_id, "version": r.version});
                        Self::audit(&mut *tx, d.created_at, &format!("system:{owner}"), "file.convert", file_id, detail)
                            .await?;
                    }
                    reserved.push(r);
                }
                sqlx::query("UPDATE files SET dataset_id = $2, version = $3 WHERE id = $1")
                    .bind(file_id)
                    .bind(&reserved[0].dataset_id)
                    .bind(reserved[0].version)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(reserved)
            }

            async fn publish(
                &self,
                file_id: &str,
                owner: &str,
                versions: &[PublishedVersion],
            ) -> Result<FileRecord> {
                let now = versions.first().map_or_else(crate::sql::now_ms, |v| v.now);
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE files SET state = 'published', error = NULL, lease_owner = NULL, lease_until = NULL, \
                     updated_at = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'converting'",
                )
                .bind(file_id)
                .bind(owner)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), file_id)?;
                for v in versions {
                    let owned: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM dataset_versions WHERE dataset_id = $1 AND version = $2 \
                         AND source_file_id = $3 AND transfer_id IS NULL",
                    )
                    .bind(&v.dataset_id)
                    .bind(v.version)
                    .bind(file_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if owned.is_none() {
                        return Err(CatalogError::NotFound(format!(
                            "version {} of dataset {} reserved for file {file_id}",
                            v.version, v.dataset_id
                        )));
                    }
                    Self::publish_version(&mut *tx, v, &format!("file {file_id}")).await?;
                    let detail = json!({
                        "dataset_id": v.dataset_id, "version": v.version, "location": v.location,
                        "rows": v.rows, "size_bytes": v.size_bytes, "decided_by": v.decided_by
                    });
                    Self::audit(&mut *tx, v.now, &format!("system:{owner}"), "file.publish", file_id, detail)
                        .await?;
                }
                let left: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM dataset_versions WHERE source_file_id = $1 AND state = 'pending' \
                     AND transfer_id IS NULL",
                )
                .bind(file_id)
                .fetch_one(&mut *tx)
                .await?;
                if left > 0 || versions.is_empty() {
                    return Err(CatalogError::Conflict(format!(
                        "file {file_id}: {left} reserved versions left unpublished"
                    )));
                }
                let file = Self::file_in(&mut *tx, file_id).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn file_outputs(&self, file_id: &str) -> Result<Vec<Reservation>> {
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT d.id, d.name, v.version FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
                     WHERE v.source_file_id = $1 AND v.state = 'published' ORDER BY d.name",
                )
                .bind(file_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(dataset_id, dataset_name, version)| Reservation { dataset_id, dataset_name, version })
                    .collect())
            }

            async fn hold_for_review(
                &self,
                file_id: &str,
                owner: &str,
                evidence: &str,
            ) -> Result<FileRecord> {
                let now = crate::sql::now_ms();
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE files SET state = 'awaiting_review', evidence = $3, error = NULL, \
                     dataset_id = NULL, version = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $4 \
                     WHERE id = $1 AND lease_owner = $2 AND state = 'converting'",
                )
                .bind(file_id)
                .bind(owner)
                .bind(evidence)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), file_id)?;
                sqlx::query(
                    "DELETE FROM dataset_versions WHERE source_file_id = $1 AND state = 'pending' \
                     AND transfer_id IS NULL",
                )
                    .bind(file_id)
                    .execute(&mut *tx)
                    .await?;
                let evidence: serde_json::Value = serde_json::from_str(evidence).unwrap_or_default();
                Self::audit(&mut *tx, now, &format!("system:{owner}"), "file.hold", file_id, evidence)
                    .await?;
                let file = Self::file_in(&mut *tx, file_id).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn review_file(&self, r: &Review) -> Result<FileRecord> {
                let mut tx = self.pool.begin().await?;
                let done = match r.decision {
                    ReviewDecision::Approve => sqlx::query(
                        "UPDATE files SET state = 'checking', released_by = $2, next_attempt_at = $3, \
                         attempts = 0, updated_at = $3 WHERE id = $1 AND state = 'awaiting_review'",
                    )
                    .bind(&r.subject_id)
                    .bind(&r.reviewer_id),
                    ReviewDecision::Reject => sqlx::query(
                        "UPDATE files SET state = 'rejected', reason = 'reviewer', error = $2, updated_at = $3 \
                         WHERE id = $1 AND state = 'awaiting_review'",
                    )
                    .bind(&r.subject_id)
                    .bind(format!("rejected by a reviewer: {}", r.reason)),
                }
                .bind(r.created_at)
                .execute(&mut *tx)
                .await?;
                let file = Self::file_in(&mut *tx, &r.subject_id).await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!(
                        "file {} is {}, not awaiting review", file.id, file.state
                    )));
                }
                Self::insert_review(&mut *tx, r).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn review_queue(&self) -> Result<Vec<FileRecord>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ",
                    file_cols!(),
                    " FROM files WHERE state = 'awaiting_review' ORDER BY updated_at, id"
                ))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn reject(
                &self,
                file_id: &str,
                owner: &str,
                reason: RejectReason,
                message: &str,
            ) -> Result<FileRecord> {
                let now = crate::sql::now_ms();
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE files SET state = 'rejected', reason = $3, error = $4, dataset_id = NULL, version = NULL, \
                     lease_owner = NULL, lease_until = NULL, updated_at = $5 \
                     WHERE id = $1 AND lease_owner = $2 AND state IN ('received','scanning','checking','converting','held')",
                )
                .bind(file_id)
                .bind(owner)
                .bind(reason.as_str())
                .bind(message)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), file_id)?;
                sqlx::query(
                    "DELETE FROM dataset_versions WHERE source_file_id = $1 AND state = 'pending' \
                     AND transfer_id IS NULL",
                )
                    .bind(file_id)
                    .execute(&mut *tx)
                    .await?;
                let detail = json!({"reason": reason.as_str(), "message": message});
                Self::audit(&mut *tx, now, &format!("system:{owner}"), "file.reject", file_id, detail)
                    .await?;
                let file = Self::file_in(&mut *tx, file_id).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn list_datasets(&self, query: Option<&str>) -> Result<Vec<Dataset>> {
                let pattern = match query {
                    Some(q) => format!("%{}%", crate::sql::like_escape(&q.to_lowercase())),
                    None => "%".to_owned(),
                };
                Ok(sqlx::query_as(
                    "SELECT id, name, zone, classification, description, acquisition_id, created_at FROM datasets d \
                     WHERE EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = d.id AND v.state = 'published') \
                     AND (LOWER(name) LIKE $1 ESCAPE '\\' OR LOWER(description) LIKE $1 ESCAPE '\\') \
                     ORDER BY name",
                )
                .bind(pattern)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn dataset(&self, id: &str) -> Result<Option<DatasetDetail>> {
                let Some(dataset): Option<Dataset> = sqlx::query_as(
                    "SELECT id, name, zone, classification, description, acquisition_id, created_at \
                     FROM datasets WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                else {
                    return Ok(None);
                };
                let versions: Vec<VersionInfo> = sqlx::query_as(
                    "SELECT v.version, v.location, v.rows, v.size_bytes, v.created_at, v.source_file_id, \
                     v.tainted_at, v.taint_reason, v.transfer_id, t.dataset_id AS transferred_from_dataset, \
                     t.version AS transferred_from_version \
                     FROM dataset_versions v LEFT JOIN transfers t ON t.id = v.transfer_id \
                     WHERE v.dataset_id = $1 AND v.state = 'published' ORDER BY v.version",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let Some(latest) = versions.last() else {
                    return Ok(None);
                };
                let mut columns: Vec<ColumnInfo> = sqlx::query_as(
                    "SELECT name, data_type, nullable, source_name, pii_sampled FROM dataset_columns \
                     WHERE dataset_id = $1 AND version = $2 ORDER BY ordinal",
                )
                .bind(id)
                .bind(latest.version)
                .fetch_all(&self.pool)
                .await?;
                let found: Vec<(i64, String, i64)> = sqlx::query_as(
                    "SELECT ordinal, kind, count FROM column_pii WHERE dataset_id = $1 AND version = $2 \
                     ORDER BY ordinal, kind",
                )
                .bind(id)
                .bind(latest.version)
                .fetch_all(&self.pool)
                .await?;
                for (ordinal, kind, count) in found {
                    if let Some(c) = usize::try_from(ordinal).ok().and_then(|i| columns.get_mut(i)) {
                        c.pii.push(PiiCount { kind, count });
                    }
                }
                Ok(Some(DatasetDetail { dataset, versions, columns }))
            }

            async fn rescan_candidates(
                &self,
                since: i64,
                after_file_id: &str,
                limit: i64,
            ) -> Result<Vec<RescanCandidate>> {
                Ok(sqlx::query_as(
                    "SELECT f.id AS file_id, v.dataset_id, v.version, f.filename, f.acquisition_id \
                     FROM dataset_versions v JOIN files f ON f.id = v.source_file_id \
                     WHERE v.state = 'published' AND v.tainted_at IS NULL AND v.created_at >= $1 \
                     AND f.id > $2 ORDER BY f.id LIMIT $3",
                )
                .bind(since)
                .bind(after_file_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn record_rescan(
                &self,
                file_id: &str,
                actor: &str,
                scan: &ScanRecord,
                taint: Option<&str>,
            ) -> Result<()> {
                let now = crate::sql::now_ms();
                let mut tx = self.pool.begin().await?;
                Self::store_scan(&mut *tx, file_id, scan).await?;
                Self::audit(&mut *tx, now, actor, "file.rescan", file_id, json!({"scan": scan_summary(scan)}))
                    .await?;
                if let Some(reason) = taint {
                    let tainted: Vec<(String, i64)> = sqlx::query_as(
                        "UPDATE dataset_versions SET tainted_at = $2, taint_reason = $3 \
                         WHERE source_file_id = $1 AND state = 'published' AND tainted_at IS NULL \
                         RETURNING dataset_id, version",
                    )
                    .bind(file_id)
                    .bind(now)
                    .bind(reason)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (dataset_id, version) in tainted {
                        let detail = json!({"version": version, "source_file_id": file_id, "reason": reason});
                        Self::audit(&mut *tx, now, actor, "dataset.taint", &dataset_id, detail).await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn create_transfer(&self, t: &Transfer, decided_by: &[String]) -> Result<Transfer> {
                let mut tx = self.pool.begin().await?;
                let created: Transfer = sqlx::query_as(concat!(
                    "INSERT INTO transfers (id, dataset_id, version, from_zone, to_zone, requested_by, reason, \
                     state, next_attempt_at, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9 FROM dataset_versions \
                     WHERE dataset_id = $2 AND version = $3 AND state = 'published' RETURNING ",
                    transfer_cols!()
                ))
                .bind(&t.id)
                .bind(&t.dataset_id)
                .bind(t.version)
                .bind(&t.from_zone)
                .bind(&t.to_zone)
                .bind(&t.requested_by)
                .bind(&t.reason)
                .bind(t.state.as_str())
                .bind(t.created_at)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    CatalogError::NotFound(format!("published version {} of dataset {}", t.version, t.dataset_id))
                })?;
                let detail = json!({
                    "dataset_id": t.dataset_id, "version": t.version, "from_zone": t.from_zone,
                    "to_zone": t.to_zone, "reason": t.reason, "state": t.state.as_str(),
                    "decided_by": decided_by
                });
                Self::audit(&mut *tx, t.created_at, &t.requested_by, "transfer.request", &t.id, detail).await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn transfer(&self, id: &str) -> Result<Option<Transfer>> {
                Ok(sqlx::query_as(concat!("SELECT ", transfer_cols!(), " FROM transfers WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn transfers_in(&self, state: TransferState) -> Result<Vec<Transfer>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", transfer_cols!(), " FROM transfers WHERE state = $1 ORDER BY created_at, id"
                ))
                .bind(state.as_str())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn release_transfer(&self, r: &Review) -> Result<Transfer> {
                let mut tx = self.pool.begin().await?;
                let done = match r.decision {
                    ReviewDecision::Approve => sqlx::query(
                        "UPDATE transfers SET state = 'queued', released_by = $2, next_attempt_at = $3, updated_at = $3 \
                         WHERE id = $1 AND state = 'pending_release'",
                    )
                    .bind(&r.subject_id)
                    .bind(&r.reviewer_id),
                    ReviewDecision::Reject => sqlx::query(
                        "UPDATE transfers SET state = 'rejected', error = $2, updated_at = $3 \
                         WHERE id = $1 AND state = 'pending_release'",
                    )
                    .bind(&r.subject_id)
                    .bind(format!("rejected by a reviewer: {}", r.reason)),
                }
                .bind(r.created_at)
                .execute(&mut *tx)
                .await?;
                let t: Transfer = sqlx::query_as(concat!("SELECT ", transfer_cols!(), " FROM transfers WHERE id = $1"))
                    .bind(&r.subject_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("transfer {}", r.subject_id)))?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!(
                        "transfer {} is {}, not pending release", t.id, t.state
                    )));
                }
                Self::insert_review(&mut *tx, r).await?;
                tx.commit().await?;
                Ok(t)
            }

            async fn claim_transfer(&self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Transfer>> {
                Ok(sqlx::query_as(concat!(
                    "UPDATE transfers SET lease_owner = $1, lease_until = $2 WHERE id = (\
                     SELECT id FROM transfers WHERE state IN ('queued','publishing') \
                     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
                     ORDER BY next_attempt_at, created_at LIMIT 1 ",
                    $skip,
                    ") RETURNING ",
                    transfer_cols!()
                ))
                .bind(owner)
                .bind(lease_until)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn transfer_retry_later(&self, id: &str, owner: &str, error: &str, retry_at: i64) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE transfers SET error = $3, attempts = attempts + 1, next_attempt_at = $4, \
                     lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
                )
                .bind(id)
                .bind(owner)
                .bind(error)
                .bind(retry_at)
                .execute(&self.pool)
                .await?;
                one_row(done.rows_affected(), id)
            }

            async fn start_transfer(&self, id: &str, owner: &str, target: &Dataset) -> Result<Reservation> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE transfers SET state = 'publishing', error = NULL, updated_at = $3 \
                     WHERE id = $1 AND lease_owner = $2 AND state IN ('queued','publishing')",
                )
                .bind(id)
                .bind(owner)
                .bind(target.created_at)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), id)?;
                let source: String = sqlx::query_scalar(
                    "SELECT v.source_file_id FROM transfers t JOIN dataset_versions v \
                     ON v.dataset_id = t.dataset_id AND v.version = t.version WHERE t.id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let (r, created) = Self::reserve(&mut *tx, target, &source, Some(id)).await?;
                sqlx::query("UPDATE transfers SET target_dataset_id = $2, target_version = $3 WHERE id = $1")
                    .bind(id)
                    .bind(&r.dataset_id)
                    .bind(r.version)
                    .execute(&mut *tx)
                    .await?;
                if created {
                    let detail = json!({"dataset_id": r.dataset_id, "version": r.version});
                    Self::audit(&mut *tx, target.created_at, &format!("system:{owner}"), "transfer.start", id, detail)
                        .await?;
                }
                tx.commit().await?;
                Ok(r)
            }

            async fn publish_transfer(&self, id: &str, owner: &str, v: &PublishedVersion) -> Result<Transfer> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE transfers SET state = 'published', lease_owner = NULL, lease_until = NULL, updated_at = $3 \
                     WHERE id = $1 AND lease_owner = $2 AND state = 'publishing' \
                     AND target_dataset_id = $4 AND target_version = $5",
                )
                .bind(id)
                .bind(owner)
                .bind(v.now)
                .bind(&v.dataset_id)
                .bind(v.version)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), id)?;
                Self::publish_version(&mut *tx, v, &format!("transfer {id}")).await?;
                let detail = json!({
                    "dataset_id": v.dataset_id, "version": v.version, "location": v.location,
                    "rows": v.rows, "size_bytes": v.size_bytes, "decided_by": v.decided_by
                });
                Self::audit(&mut *tx, v.now, &format!("system:{owner}"), "transfer.publish", id, detail).await?;
                let t = sqlx::query_as(concat!("SELECT ", transfer_cols!(), " FROM transfers WHERE id = $1"))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(t)
            }

            async fn reject_transfer(&self, id: &str, owner: &str, message: &str) -> Result<Transfer> {
                let now = crate::sql::now_ms();
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE transfers SET state = 'rejected', error = $3, target_dataset_id = NULL, \
                     target_version = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $4 \
                     WHERE id = $1 AND lease_owner = $2 AND state IN ('queued','publishing')",
                )
                .bind(id)
                .bind(owner)
                .bind(message)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                one_row(done.rows_affected(), id)?;
                sqlx::query("DELETE FROM dataset_versions WHERE transfer_id = $1 AND state = 'pending'")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let detail = json!({"message": message});
                Self::audit(&mut *tx, now, &format!("system:{owner}"), "transfer.reject", id, detail).await?;
                let t = sqlx::query_as(concat!("SELECT ", transfer_cols!(), " FROM transfers WHERE id = $1"))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(t)
            }

            async fn expired_versions(&self, now: i64, limit: i64) -> Result<Vec<ExpiredVersion>> {
                Ok(sqlx::query_as(
                    "SELECT v.dataset_id, d.name AS dataset_name, d.zone, v.version, v.location, v.state, \
                     v.created_at AS published_at, a.retention_days \
                     FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
                     JOIN acquisitions a ON a.id = d.acquisition_id \
                     WHERE a.retention_days IS NOT NULL AND (v.state = 'deleting' OR \
                     (v.state = 'published' AND v.created_at + a.retention_days * 86400000 <= $1)) \
                     ORDER BY v.created_at, v.dataset_id, v.version LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn begin_deletion(
                &self,
                dataset_id: &str,
                version: i64,
                actor: &str,
                proof: serde_json::Value,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE dataset_versions SET state = 'deleting' \
                     WHERE dataset_id = $1 AND version = $2 AND state = 'published'",
                )
                .bind(dataset_id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!(
                        "dataset {dataset_id} version {version} is not published"
                    )));
                }
                let subject = format!("{dataset_id}/v{version}");
                Self::audit(&mut *tx, crate::sql::now_ms(), actor, "dataset.delete.begin", &subject, proof)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn finish_deletion(
                &self,
                dataset_id: &str,
                version: i64,
                actor: &str,
                detail: serde_json::Value,
            ) -> Result<()> {
                let now = crate::sql::now_ms();
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE dataset_versions SET state = 'deleted', deleted_at = $3 \
                     WHERE dataset_id = $1 AND version = $2 AND state = 'deleting'",
                )
                .bind(dataset_id)
                .bind(version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!(
                        "dataset {dataset_id} version {version} is not being deleted"
                    )));
                }
                let subject = format!("{dataset_id}/v{version}");
                Self::audit(&mut *tx, now, actor, "dataset.delete", &subject, detail).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn append_audit(
                &self,
                actor: &str,
                action: &str,
                subject: &str,
                detail: serde_json::Value,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                // Begin with a write (one that changes nothing), as every
                // transaction here does: SQLite then takes its write lock up
                // front instead of failing to upgrade a read.
                sqlx::query("UPDATE audit_events SET seq = seq WHERE seq < 0")
                    .execute(&mut *tx)
                    .await?;
                Self::audit(&mut *tx, crate::sql::now_ms(), actor, action, subject, detail).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn audit_events(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
                Ok(sqlx::query_as(
                    "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_events \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

sql_store!(
    SqliteStore,
    sqlx::SqliteConnection,
    backend = "sqlite",
    skip_locked = "",
    audit_lock = "SELECT 1"
);
sql_store!(
    PgStore,
    sqlx::PgConnection,
    backend = "postgres",
    skip_locked = "FOR UPDATE SKIP LOCKED",
    audit_lock = "SELECT pg_advisory_xact_lock(7408299)"
);

/// A guarded update must touch exactly the one file; otherwise the caller's
/// lease is gone or the file's state moved on.
/// A user name already taken, named as such.
fn name_taken(e: sqlx::Error, name: &str) -> CatalogError {
    match CatalogError::from(e) {
        CatalogError::Conflict(_) => CatalogError::Conflict(format!("user {name:?}")),
        other => other,
    }
}

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

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(super::like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }
}
