//! The analysts' pages: search with facets, and a dataset with its
//! versions, schema changes, statistics, lineage and how to use it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::session::Viewer;
use super::{AppState, Nav, PageResult, encode, page};
use crate::IngestError;
use crate::query::{DataFormat, DatasetPage, DatasetSearch, DatasetView, Facets, VersionLineage};

#[derive(Deserialize, Default)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    offset: String,
}

impl SearchQuery {
    /// The search as the query layer takes it.
    fn search(&self) -> Result<DatasetSearch, IngestError> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(DatasetSearch {
            text: some(&self.q),
            zone: some(&self.zone),
            classification: some(&self.classification),
            tag: some(&self.tag),
            limit: None,
            offset: match self.offset.trim() {
                "" => None,
                o => Some(o.parse().map_err(|_| {
                    IngestError::bad_request(
                        "invalid_offset",
                        format!("offset {o:?} is not a number"),
                    )
                })?),
            },
        })
    }

    /// This search's address with one filter set (or cleared, with "").
    fn with(&self, key: &str, value: &str) -> String {
        let mut pairs = vec![
            ("q", self.q.as_str()),
            ("zone", self.zone.as_str()),
            ("classification", self.classification.as_str()),
            ("tag", self.tag.as_str()),
        ];
        for p in &mut pairs {
            if p.0 == key {
                p.1 = value;
            }
        }
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/ui/datasets?{}", query.join("&"))
    }
}

/// A facet's value with its count and the link that filters by it.
pub struct FacetLink {
    pub label: String,
    pub count: i64,
    pub href: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    nav: Option<Nav>,
    q: String,
    results: DatasetPage,
    facets: Vec<(&'static str, Vec<FacetLink>)>,
    sampled: bool,
    active: Vec<(String, String)>,
    next_href: Option<String>,
}

/// Full-text search of the catalog, with facets.
pub(super) async fn search(
    State(app): AppState,
    viewer: Viewer,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let search = q.search()?;
    let results = app.reader().datasets(&viewer.who, &search).await?;
    let Facets {
        zones,
        classifications,
        tags,
        sampled,
    } = app.reader().facets(&viewer.who, &search).await?;
    let links = |key: &str, current: &str, values: Vec<(String, i64)>| -> Vec<FacetLink> {
        values
            .into_iter()
            .map(|(label, count)| FacetLink {
                href: q.with(key, &label),
                active: label == current,
                label,
                count,
            })
            .collect()
    };
    let facets = vec![
        ("Zone", links("zone", &q.zone, zones)),
        (
            "Classification",
            links("classification", &q.classification, classifications),
        ),
        ("Tag", links("tag", &q.tag, tags)),
    ];
    let active = [
        ("zone", &q.zone),
        ("classification", &q.classification),
        ("tag", &q.tag),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (format!("{k}: {v}"), q.with(k, "")))
    .collect();
    let next_href = results
        .next_offset
        .map(|o| format!("{}&offset={o}", q.with("", "")));
    let t = SearchPage {
        nav: Some(Nav::of(&viewer)),
        q: q.q.clone(),
        results,
        facets,
        sampled,
        active,
        next_href,
    };
    Ok(page(StatusCode::OK, &t))
}

#[derive(Template)]
#[template(path = "dataset.html")]
struct DatasetPageView {
    nav: Option<Nav>,
    d: DatasetView,
    lineage: Vec<VersionLineage>,
    pyiceberg: String,
    duckdb: String,
    spark: String,
}

/// One dataset: everything an analyst needs to judge and use it.
pub(super) async fn dataset(
    State(app): AppState,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let d = app.reader().dataset(&viewer.who, &id).await?;
    let lineage = app.reader().lineage(&viewer.who, &id).await?;
    let uri = format!("{}/iceberg", server_url(&headers));
    let table = format!("{}.\"{}\"", d.zone, d.name);
    let t = DatasetPageView {
        nav: Some(Nav::of(&viewer)),
        pyiceberg: format!(
            "from pyiceberg.catalog.rest import RestCatalog\n\
             catalog = RestCatalog(\"airlock\", uri=\"{uri}\", token=AIRLOCK_TOKEN)\n\
             table = catalog.load_table((\"{zone}\", \"{name}\"))\n\
             df = table.scan().to_arrow()",
            zone = d.zone,
            name = d.name
        ),
        duckdb: format!(
            "INSTALL iceberg; LOAD iceberg;\n\
             CREATE SECRET airlock (TYPE iceberg, TOKEN '<your token>');\n\
             ATTACH 'airlock' AS airlock (TYPE iceberg, SECRET airlock, ENDPOINT '{uri}');\n\
             SELECT * FROM airlock.{table} LIMIT 10;"
        ),
        spark: format!(
            "--conf spark.sql.catalog.airlock=org.apache.iceberg.spark.SparkCatalog\n\
             --conf spark.sql.catalog.airlock.type=rest\n\
             --conf spark.sql.catalog.airlock.uri={uri}\n\
             --conf spark.sql.catalog.airlock.token=<your token>\n\
             --conf spark.sql.catalog.airlock.header.X-Iceberg-Access-Delegation=vended-credentials\n\
             spark.table(\"airlock.{zone}.{name}\")",
            zone = d.zone,
            name = d.name
        ),
        d,
        lineage,
    };
    Ok(page(StatusCode::OK, &t))
}

#[derive(Deserialize)]
pub(super) struct DataQuery {
    #[serde(default)]
    format: String,
}

/// A version's data as a download: the API's read, audited the same way.
pub(super) async fn data(
    State(app): AppState,
    viewer: Viewer,
    Path((id, version)): Path<(String, String)>,
    Query(q): Query<DataQuery>,
) -> PageResult {
    let version = version.parse::<i64>().map_err(|_| {
        IngestError::bad_request(
            "invalid_path",
            format!("version {version:?} is not a number"),
        )
    })?;
    let format = match q.format.as_str() {
        "" => DataFormat::Csv,
        f => serde_json::from_value(serde_json::json!(f)).map_err(|_| {
            IngestError::bad_request(
                "invalid_query",
                format!("no data format {f:?}: parquet, csv or arrow"),
            )
        })?,
    };
    let data = app
        .reader()
        .version_data(&viewer.who, &id, version, format)
        .await?;
    Ok(data.into_response())
}

/// This server as the browser reached it, for copy-paste snippets.
fn server_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost:8080");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    format!("{}://{host}", if https { "https" } else { "http" })
}
