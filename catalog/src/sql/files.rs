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
                let workable = FileState::WORKABLE;
                let sql = format!(
                    concat!(
                        "UPDATE files SET lease_owner = $1, lease_until = $2 WHERE id = (\
                         SELECT id FROM files WHERE state IN ({}) \
                         AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
                         ORDER BY next_attempt_at, created_at LIMIT 1 ",
                        $skip,
                        ") RETURNING ",
                        file_cols!()
                    ),
                    placeholders(4, workable.len())
                );
                let mut claim = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(owner)
                    .bind(lease_until)
                    .bind(now);
                for state in workable {
                    claim = claim.bind(state.as_str());
                }
                Ok(claim.fetch_optional(&self.pool).await?)
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
                use FileState::*;
                let change = Change {
                    id: file_id,
                    from: &[Received, Held, Scanning],
                    to: Scanning,
                    lease: Some(owner),
                    set: vec![("updated_at = ?", Cell::Int(Some(now)))],
                    check: vec![],
                    event: None,
                };
                Self::transition(&mut *tx, change).await?;
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
                let change = Change {
                    id: file_id,
                    from: &[FileState::Scanning],
                    to: state,
                    lease: Some(owner),
                    set: vec![
                        ("reason = ?", Cell::Text(reason)),
                        ("error = ?", Cell::Text(error)),
                        ("attempts = attempts + ?", Cell::Int(Some(bump))),
                        ("next_attempt_at = ?", Cell::Int(Some(next))),
                        ("lease_until = CASE WHEN ? = 1 THEN lease_until ELSE NULL END", Cell::Int(Some(i64::from(keep)))),
                        ("lease_owner = CASE WHEN ? = 1 THEN lease_owner ELSE NULL END", Cell::Int(Some(i64::from(keep)))),
                        ("updated_at = ?", Cell::Int(Some(now))),
                    ],
                    check: vec![],
                    event: Some(Event {
                        at: now,
                        actor: &actor,
                        action: "file.scan",
                        detail: json!({"state": state.as_str(), "scan": scan_summary(scan)}),
                    }),
                };
                Self::transition(&mut *tx, change).await?;
                Self::store_scan(&mut *tx, file_id, scan).await?;
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
                // Audited below, once for each version it reserves.
                let change = Change {
                    id: file_id,
                    from: &[FileState::Checking, FileState::Converting],
                    to: FileState::Converting,
                    lease: Some(owner),
                    set: vec![("error = ?", Cell::Text(None)), ("updated_at = ?", Cell::Int(Some(first.created_at)))],
                    check: vec![],
                    event: None,
                };
                Self::transition(&mut *tx, change).await?;
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
                // Audited below, once for each version it publishes.
                let change = Change {
                    id: file_id,
                    from: &[FileState::Converting],
                    to: FileState::Published,
                    lease: Some(owner),
                    set: vec![
                        ("error = ?", Cell::Text(None)),
                        ("lease_owner = ?", Cell::Text(None)),
                        ("lease_until = ?", Cell::Int(None)),
                        ("updated_at = ?", Cell::Int(Some(now))),
                    ],
                    check: vec![],
                    event: None,
                };
                Self::transition(&mut *tx, change).await?;
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
                    "SELECT COUNT(*) FROM dataset_versions WHERE source_file_id = $1 AND state = $2 \
                     AND transfer_id IS NULL",
                )
                .bind(file_id)
                .bind(VersionState::Pending.as_str())
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
                     WHERE v.source_file_id = $1 AND v.state = $2 ORDER BY d.name",
                )
                .bind(file_id)
                .bind(VersionState::Published.as_str())
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
                let actor = format!("system:{owner}");
                let change = Change {
                    id: file_id,
                    from: &[FileState::Converting],
                    to: FileState::AwaitingReview,
                    lease: Some(owner),
                    set: [("evidence = ?", Cell::Text(Some(evidence))), ("error = ?", Cell::Text(None))]
                        .into_iter()
                        .chain(file_step_ended(now))
                        .collect(),
                    check: vec![],
                    event: Some(Event {
                        at: now,
                        actor: &actor,
                        action: "file.hold",
                        detail: serde_json::from_str(evidence).unwrap_or_default(),
                    }),
                };
                Self::transition(&mut *tx, change).await?;
                Self::release_reservations(&mut *tx, file_id).await?;
                let file = Self::file_in(&mut *tx, file_id).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn review_file(&self, r: &Review) -> Result<FileRecord> {
                let mut tx = self.pool.begin().await?;
                let at = Cell::Int(Some(r.created_at));
                let message = format!("rejected by a reviewer: {}", r.reason);
                let (to, set) = match r.decision {
                    ReviewDecision::Approve => (FileState::Checking, vec![
                        ("released_by = ?", Cell::Text(Some(&r.reviewer_id))),
                        ("next_attempt_at = ?", Cell::Int(Some(r.created_at))),
                        ("attempts = ?", Cell::Int(Some(0))),
                        ("updated_at = ?", at),
                    ]),
                    ReviewDecision::Reject => (FileState::Rejected, vec![
                        ("reason = ?", Cell::Text(Some(RejectReason::Reviewer.as_str()))),
                        ("error = ?", Cell::Text(Some(&message))),
                        ("updated_at = ?", at),
                    ]),
                };
                // Audited by the review, in the same transaction.
                let change = Change {
                    id: &r.subject_id,
                    from: &[FileState::AwaitingReview],
                    to,
                    lease: None,
                    set,
                    check: vec![],
                    event: None,
                };
                Self::transition(&mut *tx, change).await?;
                Self::insert_review(&mut *tx, r).await?;
                let file = Self::file_in(&mut *tx, &r.subject_id).await?;
                tx.commit().await?;
                Ok(file)
            }

            async fn review_queue(&self) -> Result<Vec<FileRecord>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ",
                    file_cols!(),
                    " FROM files WHERE state = $1 ORDER BY updated_at, id"
                ))
                .bind(FileState::AwaitingReview.as_str())
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
                let actor = format!("system:{owner}");
                let change = Change {
                    id: file_id,
                    from: FileState::WORKABLE,
                    to: FileState::Rejected,
                    lease: Some(owner),
                    set: [
                        ("reason = ?", Cell::Text(Some(reason.as_str()))),
                        ("error = ?", Cell::Text(Some(message))),
                    ]
                    .into_iter()
                    .chain(file_step_ended(now))
                    .collect(),
                    check: vec![],
                    event: Some(Event {
                        at: now,
                        actor: &actor,
                        action: "file.reject",
                        detail: json!({"reason": reason.as_str(), "message": message}),
                    }),
                };
                Self::transition(&mut *tx, change).await?;
                Self::release_reservations(&mut *tx, file_id).await?;
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
                     WHERE v.state = $4 AND v.tainted_at IS NULL AND v.created_at >= $1 \
                     AND f.id > $2 ORDER BY f.id LIMIT $3",
                )
                .bind(since)
                .bind(after_file_id)
                .bind(limit)
                .bind(VersionState::Published.as_str())
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
                         WHERE source_file_id = $1 AND state = $4 AND tainted_at IS NULL \
                         RETURNING dataset_id, version",
                    )
                    .bind(file_id)
                    .bind(now)
                    .bind(reason)
                    .bind(VersionState::Published.as_str())
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
