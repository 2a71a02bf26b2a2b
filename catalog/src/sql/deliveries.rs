//! The SQL of [`DeliveryStore`](crate::DeliveryStore), for both backends.

macro_rules! deliveries_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl DeliveryStore for $store {
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
                     SELECT acquisition_id, size_bytes AS n FROM files WHERE state NOT IN ($2, $3) \
                     UNION ALL SELECT acquisition_id, length_bytes AS n FROM uploads WHERE file_id IS NULL) inflight",
                )
                .bind(acquisition_id)
                .bind(FileState::Published.as_str())
                .bind(FileState::Rejected.as_str())
                .fetch_one(&self.pool)
                .await?;
                Ok((acq.unwrap_or(0), all.unwrap_or(0)))
            }
        }
    };
}
pub(crate) use deliveries_sql;
