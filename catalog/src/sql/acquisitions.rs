//! The SQL of [`AcquisitionStore`](crate::AcquisitionStore), for both backends.

macro_rules! acquisitions_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl AcquisitionStore for $store {
            async fn create_acquisition(&self, a: &Acquisition, decided_by: &[String]) -> Result<Acquisition> {
                let mut tx = self.pool.begin().await?;
                let acq: Acquisition = sqlx::query_as(concat!(
                    "INSERT INTO acquisitions (",
                    acquisition_cols!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
                     RETURNING ",
                    acquisition_cols!()
                ))
                .bind(&a.id)
                .bind(&a.name)
                .bind(&a.slug)
                .bind(&a.description)
                .bind(a.target_zone.as_str())
                .bind(a.classification.as_str())
                .bind(a.state.as_str())
                .bind(&a.owner_id)
                .bind(a.created_at)
                .bind(a.allow.to_string())
                .bind(&a.sheet)
                .bind(&a.declared_schema)
                .bind(&a.supplier)
                .bind(&a.legal_basis)
                .bind(&a.purpose)
                .bind(a.personal_data)
                .bind(a.retention_days)
                .bind(&a.ethics_ref)
                .bind(a.rounding_base)
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
                    "rounding_base": a.rounding_base,
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
                let change = Change {
                    id,
                    from: &[from],
                    to,
                    lease: None,
                    set: vec![],
                    check: vec![],
                    event: Some(Event {
                        at: crate::sql::now_ms(),
                        actor,
                        action: "acquisition.state",
                        detail: json!({"from": from.as_str(), "to": to.as_str()}),
                    }),
                };
                Self::transition(&mut *tx, change).await?;
                let acq = Self::acquisition_in(&mut *tx, id).await?;
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

            async fn acquisitions_owned(&self, owner_id: &str, limit: i64) -> Result<Vec<Acquisition>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", acquisition_cols!(),
                    " FROM acquisitions WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
                ))
                .bind(owner_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn review_acquisition(&self, r: &Review) -> Result<Acquisition> {
                let to = match r.decision {
                    ReviewDecision::Approve => AcquisitionState::Approved,
                    ReviewDecision::Reject => AcquisitionState::Rejected,
                };
                let mut tx = self.pool.begin().await?;
                // Audited by the review, in the same transaction.
                let change = Change {
                    id: &r.subject_id,
                    from: &[AcquisitionState::PendingReview],
                    to,
                    lease: None,
                    set: vec![],
                    check: vec![],
                    event: None,
                };
                Self::transition(&mut *tx, change).await?;
                Self::insert_review(&mut *tx, r).await?;
                let acq = Self::acquisition_in(&mut *tx, &r.subject_id).await?;
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
        }
    };
}
pub(crate) use acquisitions_sql;
