//! The SQL of [`UserStore`](crate::UserStore), for both backends.
//!
//! Users and tokens are never deleted: a revoked token and a disabled user
//! keep their rows, so that what the audit log names stays resolvable. Every
//! transaction begins with its write (SQLite's rule here), the guard in
//! its `WHERE`.

/// The columns of a [`User`](crate::User), as `u`.
macro_rules! user_columns {
    () => {
        "u.id, u.name, u.role, u.created_at, u.zones"
    };
}
pub(crate) use user_columns;

macro_rules! users_sql {
    ($store:ident, $conn:ty) => {
        #[async_trait::async_trait]
        impl UserStore for $store {
            async fn create_user(&self, u: &User, token: &NewToken, actor: &str) -> Result<User> {
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
                Self::store_token(&mut *tx, &u.id, token).await?;
                let detail = json!({
                    "name": u.name, "role": u.role, "zones": u.zones, "expires_at": token.expires_at,
                });
                Self::audit(&mut *tx, u.created_at, actor, "user.create", &u.id, detail).await?;
                tx.commit().await?;
                Ok(u.clone())
            }

            async fn token_holder(&self, token_hash: &str) -> Result<Option<TokenHolder>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", users::user_columns!(), ", t.expires_at, t.revoked_at, u.disabled_at \
                     FROM users u JOIN tokens t ON t.user_id = u.id WHERE t.hash = $1",
                ))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn user(&self, id: &str) -> Result<Option<User>> {
                Ok(sqlx::query_as(concat!("SELECT ", users::user_columns!(), " FROM users u WHERE u.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn enabled_user(&self, id: &str) -> Result<Option<User>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", users::user_columns!(), " FROM users u \
                     WHERE u.id = $1 AND u.disabled_at IS NULL",
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
                Ok(sqlx::query_as(concat!("SELECT ", users::user_columns!(), " FROM users u WHERE u.name = $1"))
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn users(&self, now: i64) -> Result<Vec<UserEntry>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", users::user_columns!(), ", u.disabled_at, \
                     (SELECT count(*) FROM tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL \
                      AND (t.expires_at IS NULL OR t.expires_at > $1)) AS live_tokens \
                     FROM users u ORDER BY u.name",
                ))
                .bind(now)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn sync_user(&self, u: &User) -> Result<User> {
                let same = |found: &User| {
                    (&found.name, &found.role, &found.zones) == (&u.name, &u.role, &u.zones)
                };
                let found: Option<(User, Option<i64>)> = sqlx::query_as::<_, UserEntry>(concat!(
                    "SELECT ", users::user_columns!(), ", u.disabled_at, CAST(0 AS BIGINT) AS live_tokens \
                     FROM users u WHERE u.id = $1",
                ))
                .bind(&u.id)
                .fetch_optional(&self.pool)
                .await?
                .map(|e| (e.user, e.disabled_at));
                match found {
                    Some((_, Some(_))) => return Err(CatalogError::UserDisabled(u.name.clone())),
                    Some((found, None)) if same(&found) => return Ok(found),
                    _ => {}
                }
                let mut tx = self.pool.begin().await?;
                // Never re-enables: the update's guard skips a disabled user.
                let user: Option<User> = sqlx::query_as(
                    "INSERT INTO users (id, name, role, created_at, zones) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, \
                     zones = excluded.zones WHERE users.disabled_at IS NULL \
                     RETURNING id, name, role, created_at, zones",
                )
                .bind(&u.id)
                .bind(&u.name)
                .bind(u.role.as_str())
                .bind(u.created_at)
                .bind(u.zones.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| name_taken(e, &u.name))?;
                let user = user.ok_or_else(|| CatalogError::UserDisabled(u.name.clone()))?;
                let detail = json!({"name": u.name, "role": u.role, "zones": u.zones});
                Self::audit(&mut *tx, u.created_at, "system:oidc", "user.sync", &u.id, detail).await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn issue_token(&self, user_id: &str, token: &NewToken, actor: &str) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                Self::store_token(&mut *tx, user_id, token).await?;
                let detail = json!({"expires_at": token.expires_at});
                Self::audit(&mut *tx, token.created_at, actor, "token.issue", user_id, detail).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn rotate_token(&self, old_hash: &str, token: &NewToken) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let holder: Option<(String,)> = sqlx::query_as(
                    "UPDATE tokens SET revoked_at = $2 WHERE hash = $1 AND revoked_at IS NULL \
                     AND (expires_at IS NULL OR expires_at > $2) RETURNING user_id",
                )
                .bind(old_hash)
                .bind(token.created_at)
                .fetch_optional(&mut *tx)
                .await?;
                let (user_id,) = holder.ok_or_else(|| {
                    CatalogError::WrongState("the token is no longer live".into())
                })?;
                Self::store_token(&mut *tx, &user_id, token).await?;
                let detail = json!({"expires_at": token.expires_at});
                Self::audit(&mut *tx, token.created_at, &user_id, "token.rotate", &user_id, detail)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_tokens(&self, user_id: &str, actor: &str, at: i64) -> Result<u64> {
                let mut tx = self.pool.begin().await?;
                let revoked = sqlx::query(
                    "UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(user_id)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let detail = json!({"revoked": revoked});
                Self::audit(&mut *tx, at, actor, "token.revoke", user_id, detail).await?;
                tx.commit().await?;
                Ok(revoked)
            }

            async fn set_user_disabled(
                &self,
                user_id: &str,
                disabled: bool,
                actor: &str,
                at: i64,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let changed = sqlx::query(
                    "UPDATE users SET disabled_at = CASE WHEN $2 THEN CAST($3 AS BIGINT) ELSE NULL END \
                     WHERE id = $1 AND (disabled_at IS NULL) = $2",
                )
                .bind(user_id)
                .bind(disabled)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 1 {
                    let action = if disabled { "user.disable" } else { "user.enable" };
                    Self::audit(&mut *tx, at, actor, action, user_id, json!({})).await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }

        impl $store {
            /// Stores a token for a user who exists; [`CatalogError::NotFound`]
            /// otherwise.
            async fn store_token(
                conn: &mut $conn,
                user_id: &str,
                token: &NewToken,
            ) -> Result<()> {
                let stored = sqlx::query(
                    "INSERT INTO tokens (hash, user_id, created_at, expires_at) \
                     SELECT $1, id, $3, $4 FROM users WHERE id = $2",
                )
                .bind(&token.hash)
                .bind(user_id)
                .bind(token.created_at)
                .bind(token.expires_at)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if stored == 1 {
                    Ok(())
                } else {
                    Err(CatalogError::NotFound(format!("user {user_id}")))
                }
            }
        }
    };
}
pub(crate) use users_sql;
