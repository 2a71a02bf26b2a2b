//! The SQL of [`FileStore`](crate::FileStore), for both backends.

macro_rules! files_sql {
    ($store:ident, skip_locked = $skip:literal) => {
        #[async_trait::async_trait]
        impl FileStore for $store {
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
        }
    };
}
pub(crate) use files_sql;
