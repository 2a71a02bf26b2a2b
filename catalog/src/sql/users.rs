//! The SQL of [`UserStore`](crate::UserStore), for both backends.

macro_rules! users_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl UserStore for $store {
            async fn create_user(&self, u: &User, token_hash: &str) -> Result<User> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("INSERT INTO users (id, name, role, created_at, zones) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&u.id)
                    .bind(&u.name)
                    .bind(u.role.as_str())
                    .bind(u.created_at)
                    .bind(u.zones.to_string())
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
                .bind(u.role.as_str())
                .bind(u.created_at)
                .bind(u.zones.to_string())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| name_taken(e, &u.name))?;
                let detail = json!({"name": u.name, "role": u.role, "zones": u.zones});
                Self::audit(&mut *tx, u.created_at, "system:oidc", "user.sync", &u.id, detail).await?;
                tx.commit().await?;
                Ok(user)
            }
        }
    };
}
pub(crate) use users_sql;
