//! The SQL of [`DatasetStore`](crate::DatasetStore), for both backends.

/// A column with the version it belongs to, as one row.
#[derive(sqlx::FromRow)]
pub(crate) struct VersionColumn {
    pub version: i64,
    #[sqlx(flatten)]
    pub column: crate::ColumnInfo,
}

/// The fields of a [`crate::ColumnInfo`], each after `$p` (a table's
/// alias and dot).
macro_rules! column_fields {
    ($p:literal) => {
        concat!(
            $p,
            "name, ",
            $p,
            "data_type, ",
            $p,
            "nullable, ",
            $p,
            "source_name, ",
            $p,
            "pii_sampled, ",
            $p,
            "null_count, ",
            $p,
            "min_value, ",
            $p,
            "max_value, ",
            $p,
            "distinct_count, ",
            $p,
            "distinct_estimate, ",
            $p,
            "sum_value, ",
            $p,
            "least_positive, ",
            $p,
            "value_gcd"
        )
    };
}

macro_rules! datasets_sql {
    ($store:ident) => {
        impl $store {
            /// The columns of a dataset's published versions, by version
            /// and in order.
            async fn published_columns(&self, dataset_id: &str) -> Result<Vec<VersionColumn>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT c.version, ",
                    $crate::sql::datasets::column_fields!("c."),
                    " FROM dataset_columns c JOIN dataset_versions v \
                     ON v.dataset_id = c.dataset_id AND v.version = c.version \
                     WHERE c.dataset_id = $1 AND v.state = $2 ORDER BY c.version, c.ordinal"
                ))
                .bind(dataset_id)
                .bind(VersionState::Published.as_str())
                .fetch_all(&self.pool)
                .await?)
            }
        }

        #[async_trait::async_trait]
        impl DatasetStore for $store {
            async fn search_datasets(&self, r: &SearchRequest<'_>) -> Result<Vec<DatasetHit>> {
                let zones: Vec<&str> = r.zones.iter().map(|z| z.as_str()).collect();
                let zones = serde_json::to_string(&zones).map_err(|e| CatalogError::Corrupt(e.to_string()))?;
                let classification = r.classification.map(|c| c.as_str());
                let tag = r.tag.map(|t| t.as_str());
                let published = VersionState::Published.as_str();
                let (limit, offset) = (r.limit.max(0), r.offset.max(0));
                let Some(query) = r.query else {
                    return Ok(sqlx::query_as(Self::SEARCH.all)
                        .bind(zones)
                        .bind(classification)
                        .bind(tag)
                        .bind(published)
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(&self.pool)
                        .await?);
                };
                let words = (Self::SEARCH.words)(query);
                let excluded = (Self::SEARCH.excluded)(query);
                let (words, excluded) = (words.as_str(), excluded.as_deref());
                let zones = zones.as_str();
                let (oldest, newest): (i64, i64) = sqlx::query_as(Self::SEARCH.places).fetch_one(&self.pool).await?;
                let match_cost = if query.has_phrase() { PHRASE_MATCH_COST } else { MATCH_COST };
                let steps = std::sync::Mutex::new(Tier::ALL.map(|_| Steps::new(oldest, newest, match_cost)));
                let steps = &steps;
                let ids = ranked_page(offset as usize, limit as usize, |tier, n| async move {
                    let size = RANK_WINDOW;
                    let mut rows: Vec<(String, f64, i64)> = Vec::new();
                    match Self::SEARCH.tiers[tier as usize] {
                        TierSql::Ordered(sql) => {
                            rows = sqlx::query_as(sql)
                                .bind(zones)
                                .bind(classification)
                                .bind(tag)
                                .bind(published)
                                .bind(size as i64)
                                .bind((size * n) as i64)
                                .bind(words)
                                .fetch_all(&self.pool)
                                .await?;
                        }
                        TierSql::Chosen { walk, matches } => {
                            // Windows come in turn: the tier's steps carry on
                            // from where the last one stopped.
                            let next = |need| steps.lock().expect("steps").get(tier as usize)?.next(need);
                            while let Some(step) = next(size - rows.len()) {
                                let need = size - rows.len();
                                let (sql, low, high) = match step {
                                    Step::Walk { low, high } => (walk, low, high),
                                    Step::Matches { high } => (matches, 0, high),
                                };
                                let found: Vec<(String, f64, i64)> = sqlx::query_as(sql)
                                    .bind(zones)
                                    .bind(classification)
                                    .bind(tag)
                                    .bind(need as i64)
                                    .bind(low)
                                    .bind(high)
                                    .bind(words)
                                    .fetch_all(&self.pool)
                                    .await?;
                                let oldest = found.last().map(|r| r.2);
                                steps.lock().expect("steps")[tier as usize].record(step, found.len(), need, oldest);
                                rows.extend(found);
                            }
                        }
                    }
                    let full = rows.len() >= size;
                    let mut drop = std::collections::HashSet::new();
                    if let Some(text) = excluded.filter(|_| !rows.is_empty()) {
                        let places: Vec<i64> = rows.iter().map(|r| r.2).collect();
                        let places =
                            serde_json::to_string(&places).map_err(|e| CatalogError::Corrupt(e.to_string()))?;
                        let found: Vec<(i64,)> = sqlx::query_as(Self::SEARCH.exclusions)
                            .bind(text)
                            .bind(places)
                            .fetch_all(&self.pool)
                            .await?;
                        drop.extend(found.into_iter().map(|(n,)| n));
                    }
                    let hits = rows
                        .into_iter()
                        .filter(|r| !drop.contains(&r.2))
                        .map(|(id, score, _)| (id, score))
                        .collect();
                    Ok(Window { hits, full })
                })
                .await?;
                let json = serde_json::to_string(&ids).map_err(|e| CatalogError::Corrupt(e.to_string()))?;
                let mut hits: Vec<DatasetHit> =
                    sqlx::query_as(Self::SEARCH.load).bind(json).fetch_all(&self.pool).await?;
                // Back into rank order.
                let rank: std::collections::HashMap<&str, usize> =
                    ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
                hits.sort_by_key(|h| rank.get(h.dataset.id.as_str()).copied());
                Ok(hits)
            }

            async fn index_unsearchable(&self, limit: i64) -> Result<u64> {
                let missing: Vec<(String,)> = sqlx::query_as(Self::SEARCH.missing)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let mut tx = self.pool.begin().await?;
                for (id,) in &missing {
                    Self::index_dataset(&mut *tx, id).await?;
                }
                tx.commit().await?;
                Ok(missing.len() as u64)
            }

            async fn set_tags(&self, dataset_id: &str, tags: &[Tag], actor: &str) -> Result<Vec<String>> {
                let mut tags: Vec<&str> = tags.iter().map(Tag::as_str).collect();
                tags.sort_unstable();
                tags.dedup();
                if tags.len() > MAX_TAGS {
                    return Err(CatalogError::TooManyTags);
                }
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM dataset_tags WHERE dataset_id = $1")
                    .bind(dataset_id)
                    .execute(&mut *tx)
                    .await?;
                let known: Option<(String,)> = sqlx::query_as("SELECT id FROM datasets WHERE id = $1")
                    .bind(dataset_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if known.is_none() {
                    return Err(CatalogError::NotFound(format!("dataset {dataset_id}")));
                }
                for tag in &tags {
                    sqlx::query("INSERT INTO dataset_tags (dataset_id, tag) VALUES ($1, $2)")
                        .bind(dataset_id)
                        .bind(tag)
                        .execute(&mut *tx)
                        .await?;
                }
                Self::index_dataset(&mut *tx, dataset_id).await?;
                let detail = serde_json::json!({"tags": tags});
                Self::audit(&mut *tx, crate::sql::now_ms(), actor, "dataset.tags", dataset_id, detail)
                    .await?;
                tx.commit().await?;
                Ok(tags.into_iter().map(str::to_owned).collect())
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
                     WHERE v.dataset_id = $1 AND v.state = $2 ORDER BY v.version",
                )
                .bind(id)
                .bind(VersionState::Published.as_str())
                .fetch_all(&self.pool)
                .await?;
                if versions.is_empty() {
                    return Ok(None);
                }
                let mut versions: Vec<VersionDetail> = versions
                    .into_iter()
                    .map(|info| VersionDetail { info, columns: Vec::new() })
                    .collect();
                let columns = self.published_columns(id).await?;
                for c in columns {
                    if let Some(v) = versions.iter_mut().find(|v| v.info.version == c.version) {
                        v.columns.push(c.column);
                    }
                }
                let found: Vec<(i64, i64, String, i64)> = sqlx::query_as(
                    "SELECT version, ordinal, kind, count FROM column_pii WHERE dataset_id = $1 \
                     ORDER BY version, ordinal, kind",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                for (version, ordinal, kind, count) in found {
                    let column = versions
                        .iter_mut()
                        .find(|v| v.info.version == version)
                        .and_then(|v| usize::try_from(ordinal).ok().and_then(|i| v.columns.get_mut(i)));
                    if let Some(c) = column {
                        c.pii.push(PiiCount { kind, count });
                    }
                }
                let tags: Vec<(String,)> =
                    sqlx::query_as("SELECT tag FROM dataset_tags WHERE dataset_id = $1 ORDER BY tag")
                        .bind(id)
                        .fetch_all(&self.pool)
                        .await?;
                let tags = tags.into_iter().map(|t| t.0).collect();
                Ok(Some(DatasetDetail { dataset, tags, versions }))
            }

            async fn dataset_named(&self, zone: &ZoneName, name: &str) -> Result<Option<Dataset>> {
                Ok(sqlx::query_as(
                    "SELECT id, name, zone, classification, description, acquisition_id, created_at FROM datasets d \
                     WHERE zone = $1 AND name = $2 AND EXISTS \
                     (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = d.id AND v.state = $3)",
                )
                .bind(zone.as_str())
                .bind(name)
                .bind(VersionState::Published.as_str())
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn zone_tables(&self, zone: &ZoneName) -> Result<Vec<Dataset>> {
                Ok(sqlx::query_as(
                    "SELECT id, name, zone, classification, description, acquisition_id, created_at FROM datasets d \
                     WHERE zone = $1 AND EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = d.id \
                     AND v.state = $2 AND v.tainted_at IS NULL AND v.iceberg_parts IS NOT NULL) \
                     ORDER BY name",
                )
                .bind(zone.as_str())
                .bind(VersionState::Published.as_str())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn table_versions(&self, dataset_id: &str) -> Result<Vec<TableVersion>> {
                let mut versions: Vec<TableVersion> = sqlx::query_as(
                    "SELECT version, location, rows, size_bytes, created_at, tainted_at, iceberg_parts \
                     FROM dataset_versions WHERE dataset_id = $1 AND state = $2 ORDER BY version",
                )
                .bind(dataset_id)
                .bind(VersionState::Published.as_str())
                .fetch_all(&self.pool)
                .await?;
                let columns = self.published_columns(dataset_id).await?;
                for c in columns {
                    if let Some(v) = versions.iter_mut().find(|v| v.version == c.version) {
                        v.columns.push(c.column);
                    }
                }
                Ok(versions)
            }

            async fn versions_without_iceberg(
                &self,
                after: Option<(&str, i64)>,
                limit: i64,
            ) -> Result<Vec<VersionWithoutIceberg>> {
                let (after_id, after_version) = after.unwrap_or(("", 0));
                Ok(sqlx::query_as(
                    "SELECT v.dataset_id, d.name AS dataset_name, d.zone, v.version, v.location, v.created_at \
                     FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
                     WHERE v.state = $1 AND v.iceberg_parts IS NULL \
                     AND (v.dataset_id > $2 OR (v.dataset_id = $2 AND v.version > $3)) \
                     ORDER BY v.dataset_id, v.version LIMIT $4",
                )
                .bind(VersionState::Published.as_str())
                .bind(after_id)
                .bind(after_version)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn record_iceberg(
                &self,
                dataset_id: &str,
                version: i64,
                parts: i64,
                actor: &str,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE dataset_versions SET iceberg_parts = $3 \
                     WHERE dataset_id = $1 AND version = $2 AND state = $4 AND iceberg_parts IS NULL",
                )
                .bind(dataset_id)
                .bind(version)
                .bind(parts)
                .bind(VersionState::Published.as_str())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 1 {
                    let subject = format!("{dataset_id}/v{version}");
                    let detail = serde_json::json!({"parts": parts});
                    Self::audit(&mut *tx, crate::sql::now_ms(), actor, "dataset.iceberg", &subject, detail)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn expired_versions(&self, now: i64, limit: i64) -> Result<Vec<ExpiredVersion>> {
                Ok(sqlx::query_as(
                    "SELECT v.dataset_id, d.name AS dataset_name, d.zone, v.version, v.location, v.state, \
                     v.created_at AS published_at, a.retention_days \
                     FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id \
                     JOIN acquisitions a ON a.id = d.acquisition_id \
                     WHERE a.retention_days IS NOT NULL AND (v.state = $3 OR \
                     (v.state = $4 AND v.created_at + a.retention_days * 86400000 <= $1)) \
                     ORDER BY v.created_at, v.dataset_id, v.version LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .bind(VersionState::Deleting.as_str())
                .bind(VersionState::Published.as_str())
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
                    "UPDATE dataset_versions SET state = $3 \
                     WHERE dataset_id = $1 AND version = $2 AND state = $4",
                )
                .bind(dataset_id)
                .bind(version)
                .bind(VersionState::Deleting.as_str())
                .bind(VersionState::Published.as_str())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(CatalogError::WrongState(format!(
                        "dataset {dataset_id} version {version} is not published"
                    )));
                }
                // A version leaving publication may unlist the dataset, or
                // take columns from its document.
                Self::index_dataset(&mut *tx, dataset_id).await?;
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
                    "UPDATE dataset_versions SET state = $4, deleted_at = $3 \
                     WHERE dataset_id = $1 AND version = $2 AND state = $5",
                )
                .bind(dataset_id)
                .bind(version)
                .bind(now)
                .bind(VersionState::Deleted.as_str())
                .bind(VersionState::Deleting.as_str())
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
        }
    };
}
pub(crate) use column_fields;
pub(crate) use datasets_sql;
