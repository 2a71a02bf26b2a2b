//! The reviewers' pages: the queue, an acquisition, a file's evidence,
//! the decisions on them and their evidence packs.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use airlock_catalog::ReviewDecision;

use super::session::{Guarded, Posted, Viewer};
use super::{AppState, Nav, PageResult, page};
use crate::governance::ColumnEvidence;
use crate::query::{AcquisitionReview, FileReview, QueueKind, ReviewFilter, ReviewQueue};
use crate::{IngestError, governance};

#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    #[serde(default)]
    zone: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    older_than_hours: String,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct QueuePage {
    nav: Option<Nav>,
    queue: ReviewQueue,
    zones: Vec<String>,
    zone: String,
    kind: String,
    older_than_hours: String,
}

/// What waits for a reviewer, filtered by zone, kind and age.
pub(super) async fn queue(
    State(app): AppState,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let filter = ReviewFilter {
        zone: Some(q.zone.clone()).filter(|z| !z.is_empty()),
        kind: match q.kind.as_str() {
            "" => None,
            k => Some(
                serde_json::from_value::<QueueKind>(serde_json::json!(k)).map_err(|_| {
                    IngestError::bad_request("invalid_query", format!("no kind {k:?} is queued"))
                })?,
            ),
        },
        min_age_hours: match q.older_than_hours.trim() {
            "" => None,
            h => Some(h.parse::<u32>().map_err(|_| {
                IngestError::bad_request(
                    "invalid_query",
                    format!("older than {h:?} hours: give a whole number of hours"),
                )
            })?),
        },
    };
    let queue = app
        .reader()
        .filtered_review_queue(&viewer.who, &filter)
        .await?;
    let zones = app
        .reader()
        .zones(&viewer.who)?
        .into_iter()
        .map(|z| z.name)
        .collect();
    let t = QueuePage {
        nav: Some(Nav::of(&viewer)),
        queue,
        zones,
        zone: q.zone,
        kind: q.kind,
        older_than_hours: q.older_than_hours,
    };
    Ok(page(StatusCode::OK, &t))
}

#[derive(Template)]
#[template(path = "acquisition.html")]
struct AcquisitionPage {
    nav: Option<Nav>,
    r: AcquisitionReview,
}

/// An acquisition's record, with approve and reject or why not.
pub(super) async fn acquisition(
    State(app): AppState,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let r = app.reader().acquisition_review(&viewer.who, &id).await?;
    let t = AcquisitionPage {
        nav: Some(Nav::of(&viewer)),
        r,
    };
    Ok(page(StatusCode::OK, &t))
}

/// A decision as a form sends it.
#[derive(Deserialize)]
pub(super) struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

impl Guarded for DecisionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl DecisionForm {
    fn decision(&self, approve: &str) -> Result<ReviewDecision, IngestError> {
        match self.decision.as_str() {
            d if d == approve => Ok(ReviewDecision::Approve),
            "reject" => Ok(ReviewDecision::Reject),
            other => Err(IngestError::bad_request(
                "invalid_form",
                format!("decision must be {approve} or reject, not {other:?}"),
            )),
        }
    }
}

/// Approves or rejects an acquisition, then shows it again.
pub(super) async fn decide_acquisition(
    State(app): AppState,
    Path(id): Path<String>,
    posted: Posted<DecisionForm>,
) -> PageResult {
    let f = &posted.form;
    let decision = f.decision("approve")?;
    governance::review_acquisition(app.desk(), &posted.viewer.who, &id, decision, &f.reason)
        .await?;
    Ok(Redirect::to(&format!("/ui/acquisitions/{}", super::encode(&id))).into_response())
}

/// A column's statistics with the disclosure-control flags a reviewer
/// weighs before release.
pub struct ColumnRow<'a> {
    pub column: &'a ColumnEvidence,
    pub pii: String,
    pub flags: Vec<String>,
}

#[derive(Template)]
#[template(path = "file.html")]
struct FilePage<'a> {
    nav: Option<Nav>,
    r: &'a FileReview,
    tables: Vec<(String, i64, Vec<ColumnRow<'a>>)>,
}

/// A delivered file's evidence, with release and reject or why not.
pub(super) async fn file(
    State(app): AppState,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let r = app.reader().file_review(&viewer.who, &id).await?;
    let tables = r
        .file
        .evidence
        .iter()
        .flat_map(|e| &e.tables)
        .map(|t| {
            let rows = t
                .columns
                .iter()
                .map(|c| ColumnRow {
                    column: c,
                    pii: c
                        .pii
                        .iter()
                        .map(|(k, n)| format!("{k}: {n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    flags: governance::disclosure_flags(c, r.acquisition.rounding_base),
                })
                .collect();
            (t.sheet.clone().unwrap_or_default(), t.rows, rows)
        })
        .collect();
    let t = FilePage {
        nav: Some(Nav::of(&viewer)),
        r: &r,
        tables,
    };
    Ok(page(StatusCode::OK, &t))
}

/// Releases or rejects a held file, then shows it again.
pub(super) async fn decide_file(
    State(app): AppState,
    Path(id): Path<String>,
    posted: Posted<DecisionForm>,
) -> PageResult {
    let f = &posted.form;
    let decision = f.decision("release")?;
    governance::review_file(app.desk(), &posted.viewer.who, &id, decision, &f.reason).await?;
    Ok(Redirect::to(&format!("/ui/files/{}", super::encode(&id))).into_response())
}

/// The evidence pack of a file, as a download.
pub(super) async fn file_pack(
    State(app): AppState,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let pack = app.reader().file_evidence_pack(&viewer.who, &id).await?;
    Ok(download(pack, &format!("evidence-file-{id}.json")))
}

/// The evidence pack of an acquisition, as a download.
pub(super) async fn acquisition_pack(
    State(app): AppState,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let pack = app
        .reader()
        .acquisition_evidence_pack(&viewer.who, &id)
        .await?;
    Ok(download(pack, &format!("evidence-acquisition-{id}.json")))
}

fn download(pack: serde_json::Value, name: &str) -> axum::response::Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{safe}\"");
    let mut resp = Json(pack).into_response();
    if let Ok(v) = disposition.parse() {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
