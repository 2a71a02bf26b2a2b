//! The SQL of [`TransferStore`](crate::TransferStore), for both backends.

macro_rules! transfers_sql {
    ($store:ident, skip_locked = $skip:literal) => {
        #[async_trait::async_trait]
        impl TransferStore for $store {
            async fn create_transfer(&self, t: &Transfer, decided_by: &[String]) -> Result<Transfer> {
                let mut tx = self.pool.begin().await?;
                let created: Transfer = sqlx::query_as(concat!(
                    "INSERT INTO transfers (id, dataset_id, version, from_zone, to_zone, requested_by, reason, \
                     state, next_attempt_at, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9 FROM dataset_versions \
                     WHERE dataset_id = $2 AND version = $3 AND state = $10 RETURNING ",
                    transfer_cols!()
                ))
                .bind(&t.id)
                .bind(&t.dataset_id)
                .bind(t.version)
                .bind(t.from_zone.as_str())
                .bind(t.to_zone.as_str())
                .bind(&t.requested_by)
                .bind(&t.reason)
                .bind(t.state.as_str())
                .bind(t.created_at)
                .bind(VersionState::Published.as_str())
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
                let at = Cell::Int(Some(r.created_at));
                let message = format!("rejected by a reviewer: {}", r.reason);
                let (to, set) = match r.decision {
                    ReviewDecision::Approve => (TransferState::Queued, vec![
                        ("released_by = ?", Cell::Text(Some(&r.reviewer_id))),
                        ("next_attempt_at = ?", Cell::Int(Some(r.created_at))),
                        ("updated_at = ?", at),
                    ]),
                    ReviewDecision::Reject => (TransferState::Rejected, vec![
                        ("error = ?", Cell::Text(Some(&message))),
                        ("updated_at = ?", at),
                    ]),
                };
                // Audited by the review, in the same transaction.
                let change = Change {
                    id: &r.subject_id,
                    from: &[TransferState::PendingRelease],
                    to,
                    lease: None,
                    set,
                    check: vec![],
                    event: None,
                };
                Self::transition(&mut *tx, change).await?;
                Self::insert_review(&mut *tx, r).await?;
                let t: Transfer = sqlx::query_as(concat!("SELECT ", transfer_cols!(), " FROM transfers WHERE id = $1"))
                    .bind(&r.subject_id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(t)
            }

            async fn claim_transfer(&self, owner: &str, now: i64, lease_until: i64) -> Result<Option<Transfer>> {
                Ok(sqlx::query_as(concat!(
                    "UPDATE transfers SET lease_owner = $1, lease_until = $2 WHERE id = (\
                     SELECT id FROM transfers WHERE state IN ($4, $5) \
                     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
                     ORDER BY next_attempt_at, created_at LIMIT 1 ",
                    $skip,
                    ") RETURNING ",
                    transfer_cols!()
                ))
                .bind(owner)
                .bind(lease_until)
                .bind(now)
                .bind(TransferState::Queued.as_str())
                .bind(TransferState::Publishing.as_str())
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
                use TransferState::*;
                // Audited below, when it reserves the target version.
                let change = Change {
                    id,
                    from: &[Queued, Publishing],
                    to: Publishing,
                    lease: Some(owner),
                    set: vec![("error = ?", Cell::Text(None)), ("updated_at = ?", Cell::Int(Some(target.created_at)))],
                    check: vec![],
                    event: None,
                };
                Self::transition(&mut *tx, change).await?;
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

            async fn record_transfer_scan(
                &self,
                id: &str,
                owner: &str,
                part: &str,
                scan: &ScanRecord,
            ) -> Result<()> {
                let now = crate::sql::now_ms();
                let mut tx = self.pool.begin().await?;
                let held = sqlx::query(
                    "UPDATE transfers SET updated_at = $3 WHERE id = $1 AND lease_owner = $2 AND state = $4",
                )
                .bind(id)
                .bind(owner)
                .bind(now)
                .bind(TransferState::Publishing.as_str())
                .execute(&mut *tx)
                .await?;
                one_row(held.rows_affected(), id)?;
                sqlx::query("DELETE FROM transfer_verdicts WHERE transfer_id = $1 AND part = $2")
                    .bind(id)
                    .bind(part)
                    .execute(&mut *tx)
                    .await?;
                let insert = "INSERT INTO transfer_verdicts (transfer_id, part, member, engine, verdict, detail, \
                              engine_version, db_version, scanned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
                Self::insert_verdicts(&mut *tx, insert, &[id, part], &scan.verdicts).await?;
                let detail = json!({"part": part, "scan": scan_summary(scan)});
                Self::audit(&mut *tx, now, &format!("system:{owner}"), "transfer.scan", id, detail).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn transfer_verdicts(&self, id: &str) -> Result<Vec<TransferVerdict>> {
                Ok(sqlx::query_as(
                    "SELECT part, member, engine, verdict, detail, engine_version, db_version, scanned_at \
                     FROM transfer_verdicts WHERE transfer_id = $1 ORDER BY part, member, engine",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn publish_transfer(&self, id: &str, owner: &str, v: &PublishedVersion) -> Result<Transfer> {
                let mut tx = self.pool.begin().await?;
                let actor = format!("system:{owner}");
                let change = Change {
                    id,
                    from: &[TransferState::Publishing],
                    to: TransferState::Published,
                    lease: Some(owner),
                    set: vec![
                        ("lease_owner = ?", Cell::Text(None)),
                        ("lease_until = ?", Cell::Int(None)),
                        ("updated_at = ?", Cell::Int(Some(v.now))),
                    ],
                    check: vec![
                        ("target_dataset_id = ?", Cell::Text(Some(&v.dataset_id))),
                        ("target_version = ?", Cell::Int(Some(v.version))),
                    ],
                    event: Some(Event {
                        at: v.now,
                        actor: &actor,
                        action: "transfer.publish",
                        detail: json!({
                            "dataset_id": v.dataset_id, "version": v.version, "location": v.location,
                            "rows": v.rows, "size_bytes": v.size_bytes, "decided_by": v.decided_by
                        }),
                    }),
                };
                Self::transition(&mut *tx, change).await?;
                Self::publish_version(&mut *tx, v, &format!("transfer {id}")).await?;
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
                let actor = format!("system:{owner}");
                let change = Change {
                    id,
                    from: &[TransferState::Queued, TransferState::Publishing],
                    to: TransferState::Rejected,
                    lease: Some(owner),
                    set: vec![
                        ("error = ?", Cell::Text(Some(message))),
                        ("target_dataset_id = ?", Cell::Text(None)),
                        ("target_version = ?", Cell::Int(None)),
                        ("lease_owner = ?", Cell::Text(None)),
                        ("lease_until = ?", Cell::Int(None)),
                        ("updated_at = ?", Cell::Int(Some(now))),
                    ],
                    check: vec![],
                    event: Some(Event {
                        at: now,
                        actor: &actor,
                        action: "transfer.reject",
                        detail: json!({"message": message}),
                    }),
                };
                Self::transition(&mut *tx, change).await?;
                sqlx::query("DELETE FROM dataset_versions WHERE transfer_id = $1 AND state = $2")
                    .bind(id)
                    .bind(VersionState::Pending.as_str())
                    .execute(&mut *tx)
                    .await?;
                let t = sqlx::query_as(concat!("SELECT ", transfer_cols!(), " FROM transfers WHERE id = $1"))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(t)
            }
        }
    };
}
pub(crate) use transfers_sql;
