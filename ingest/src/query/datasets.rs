//! Published datasets: full-text search, one dataset with its versions
//! (see [`super::versions`]), and its tags. Searching and reading a
//! dataset are audited.

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::{DatasetDetail, SearchQuery, SearchRequest, Tag};
use airlock_policies::{Action, Principal};
use airlock_zones::{Classification, ZoneError, ZoneKind, ZoneName};

use super::versions::{ColumnView, VersionView, version_views};
use super::{MAX_SEARCH_OFFSET, MAX_SEARCH_PAGE, Reader, page_limit, page_offset};
use crate::IngestError;

/// A catalog search as a caller asks for it.
#[derive(Debug, Clone, Default)]
pub struct DatasetSearch {
    /// Words, "phrases", prefix*, OR and -excluded; none lists every
    /// dataset by name.
    pub text: Option<String>,
    pub zone: Option<String>,
    pub classification: Option<String>,
    pub tag: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl Reader<'_> {
    /// The lake zones whose datasets the caller may see.
    pub fn visible_zones(self, who: &Principal) -> Result<Vec<ZoneName>, IngestError> {
        self.policies.authorize(who, Action::SearchCatalog)?;
        Ok(self
            .zones
            .iter()
            .filter(|z| z.kind != ZoneKind::Ingest)
            .filter(|z| {
                self.policies
                    .authorize(who, Action::ViewDataset { zone: &z.name })
                    .is_ok()
            })
            .map(|z| z.name.clone())
            .collect())
    }

    /// Published datasets the caller may see that match `search`: ranked
    /// by relevance with a query, by name without; a page at a time. The
    /// search is audited with its query and filters.
    pub async fn datasets(
        self,
        who: &Principal,
        search: &DatasetSearch,
    ) -> Result<DatasetPage, IngestError> {
        let filters = self.filters(who, search)?;
        let limit = page_limit(search.limit, 20, MAX_SEARCH_PAGE)?;
        let offset = page_offset(search.offset, MAX_SEARCH_OFFSET)?;
        let request = filters.request(limit + 1, offset);
        let mut hits = self.catalog.search_datasets(&request).await?;
        let next_offset = (hits.len() as i64 > limit).then_some(offset + limit);
        hits.truncate(limit as usize);
        self.catalog
            .append_audit(
                &who.user_id,
                "catalog.search",
                "catalog",
                serde_json::json!({"query": search.text, "zone": search.zone,
                    "classification": search.classification, "tag": search.tag,
                    "offset": offset, "found": hits.len()}),
            )
            .await?;
        Ok(DatasetPage {
            datasets: hits
                .into_iter()
                .map(|h| {
                    let tags = h.tags();
                    let d = h.dataset;
                    DatasetSummary {
                        id: d.id,
                        name: d.name,
                        zone: d.zone.to_string(),
                        classification: d.classification.to_string(),
                        description: d.description,
                        tags,
                    }
                })
                .collect(),
            next_offset,
        })
    }

    /// Replaces a dataset's tags, for a caller the policies let tag it.
    pub async fn set_tags(
        self,
        who: &Principal,
        id: &str,
        tags: &[String],
    ) -> Result<Vec<String>, IngestError> {
        let d = self.visible_dataset(who, id).await?;
        self.policies.authorize(
            who,
            Action::TagDataset {
                zone: &d.dataset.zone,
            },
        )?;
        let tags = tags
            .iter()
            .map(|t| t.parse::<Tag>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.catalog.set_tags(id, &tags, &who.user_id).await?)
    }

    /// A dataset with its published versions, each with its columns, their
    /// statistics and what changed from the version before; outside the
    /// caller's zones it does not exist.
    pub async fn dataset(self, who: &Principal, id: &str) -> Result<DatasetView, IngestError> {
        let d = self.visible_dataset(who, id).await?;
        let policies = self.policies.authorize(
            who,
            Action::ViewDataset {
                zone: &d.dataset.zone,
            },
        )?;
        // Reading where the data lives is audited, with what allowed it.
        self.catalog
            .append_audit(
                &who.user_id,
                "dataset.read",
                &d.dataset.id,
                serde_json::json!({"policies": policies}),
            )
            .await?;
        Ok(DatasetView {
            tags: d.tags,
            id: d.dataset.id,
            name: d.dataset.name,
            zone: d.dataset.zone.to_string(),
            classification: d.dataset.classification.to_string(),
            description: d.dataset.description,
            acquisition_id: d.dataset.acquisition_id,
            columns: d
                .versions
                .last()
                .map(|v| v.columns.iter().map(ColumnView::of).collect())
                .unwrap_or_default(),
            versions: version_views(d.versions),
        })
    }
}

/// A search's filters, parsed and narrowed to what the caller may see.
struct Filters {
    zones: Vec<ZoneName>,
    query: Option<SearchQuery>,
    classification: Option<Classification>,
    tag: Option<Tag>,
}

impl Filters {
    fn request(&self, limit: i64, offset: i64) -> SearchRequest<'_> {
        SearchRequest {
            query: self.query.as_ref(),
            zones: &self.zones,
            classification: self.classification,
            tag: self.tag.as_ref(),
            limit,
            offset,
        }
    }
}

/// How many of a search's best matches its facets count.
pub const FACET_SAMPLE: i64 = 1000;

/// How a search's matches divide by zone, classification and tag.
#[derive(Serialize, Default)]
pub struct Facets {
    pub zones: Vec<(String, i64)>,
    pub classifications: Vec<(String, i64)>,
    pub tags: Vec<(String, i64)>,
    /// True when there were more matches than [`FACET_SAMPLE`], so the
    /// counts are of the best of them only.
    pub sampled: bool,
}

impl Reader<'_> {
    /// The facets of a search: its best [`FACET_SAMPLE`] matches counted
    /// by zone, classification and tag, most first.
    pub async fn facets(
        self,
        who: &Principal,
        search: &DatasetSearch,
    ) -> Result<Facets, IngestError> {
        let filters = self.filters(who, search)?;
        let request = filters.request(FACET_SAMPLE + 1, 0);
        let mut hits = self.catalog.search_datasets(&request).await?;
        let sampled = hits.len() as i64 > FACET_SAMPLE;
        hits.truncate(FACET_SAMPLE as usize);
        let mut zones = std::collections::BTreeMap::<String, i64>::new();
        let mut classifications = std::collections::BTreeMap::<String, i64>::new();
        let mut tags = std::collections::BTreeMap::<String, i64>::new();
        for h in &hits {
            *zones.entry(h.dataset.zone.to_string()).or_default() += 1;
            *classifications
                .entry(h.dataset.classification.to_string())
                .or_default() += 1;
            for t in h.tags() {
                *tags.entry(t).or_default() += 1;
            }
        }
        let most_first = |m: std::collections::BTreeMap<String, i64>| {
            let mut v: Vec<(String, i64)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        Ok(Facets {
            zones: most_first(zones),
            classifications: most_first(classifications),
            tags: most_first(tags),
            sampled,
        })
    }

    fn filters(self, who: &Principal, search: &DatasetSearch) -> Result<Filters, IngestError> {
        let mut zones = self.visible_zones(who)?;
        if let Some(zone) = &search.zone {
            // Zones are configuration, not secrets: one that is not a lake
            // is refused; one the caller may not see is as empty as one
            // with nothing.
            if self.zones.get(zone)?.kind == ZoneKind::Ingest {
                return Err(ZoneError::IngestIsNotALake(zone.clone()).into());
            }
            zones.retain(|z| z.as_str() == zone);
        }
        let query = search
            .text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(SearchQuery::parse)
            .transpose()?;
        let classification = search
            .classification
            .as_deref()
            .map(str::parse::<Classification>)
            .transpose()?;
        let tag = search.tag.as_deref().map(str::parse::<Tag>).transpose()?;
        Ok(Filters {
            zones,
            query,
            classification,
            tag,
        })
    }

    /// A published dataset the caller may see. Out of the caller's
    /// clearance a dataset does not exist, so its name and zone do not
    /// leak.
    pub(super) async fn visible_dataset(
        self,
        who: &Principal,
        id: &str,
    ) -> Result<DatasetDetail, IngestError> {
        let not_found = || IngestError::NotFound(format!("dataset {id}"));
        let d = self.catalog.dataset(id).await?.ok_or_else(not_found)?;
        self.policies
            .authorize(
                who,
                Action::ViewDataset {
                    zone: &d.dataset.zone,
                },
            )
            .map_err(|_| not_found())?;
        Ok(d)
    }
}

#[derive(Serialize, ToSchema)]
pub struct DatasetSummary {
    pub id: String,
    pub name: String,
    pub zone: String,
    pub classification: String,
    pub description: String,
    pub tags: Vec<String>,
}

/// A page of search results, best first.
#[derive(Serialize, ToSchema)]
pub struct DatasetPage {
    pub datasets: Vec<DatasetSummary>,
    /// Where the next page starts; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DatasetView {
    pub id: String,
    pub name: String,
    pub tags: Vec<String>,
    pub zone: String,
    pub classification: String,
    pub description: String,
    pub acquisition_id: String,
    pub versions: Vec<VersionView>,
    pub columns: Vec<ColumnView>,
}
