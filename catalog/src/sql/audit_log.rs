//! The SQL of [`AuditStore`](crate::AuditStore), for both backends.

macro_rules! audit_log_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl AuditStore for $store {
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

            async fn subject_events(&self, subject: &str, limit: i64) -> Result<Vec<AuditEvent>> {
                Ok(sqlx::query_as(
                    "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_events \
                     WHERE subject = $1 ORDER BY seq LIMIT $2",
                )
                .bind(subject)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use audit_log_sql;
