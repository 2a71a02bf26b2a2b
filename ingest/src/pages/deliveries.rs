//! The engineers' pages: their acquisitions, and each one's deliveries
//! with their live state.
//!
//! The key decision is that the live state is htmx polling the same page
//! for its table (`HX-Request` answers the fragment alone) only while a
//! delivery is still moving; without JavaScript the page has a refresh
//! link and shows the same table.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use super::session::Viewer;
use super::{AppState, Nav, PageResult, page};
use crate::query::{AcquisitionView, FileSummary};

/// The most acquisitions and deliveries a page lists.
const PAGE_ROWS: i64 = 200;

#[derive(Template)]
#[template(path = "deliveries.html")]
struct MinePage {
    nav: Option<Nav>,
    acquisitions: Vec<AcquisitionView>,
}

/// The caller's acquisitions, newest first.
pub(super) async fn mine(State(app): AppState, viewer: Viewer) -> PageResult {
    let acquisitions = app.reader().my_acquisitions(&viewer.who, PAGE_ROWS).await?;
    let t = MinePage {
        nav: Some(Nav::of(&viewer)),
        acquisitions,
    };
    Ok(page(StatusCode::OK, &t))
}

/// The deliveries' table, on the page and alone.
struct RowsFragment {
    acquisition_id: String,
    files: Vec<FileSummary>,
    moving: bool,
}

#[derive(Template)]
#[template(path = "delivery_fragment.html")]
struct RowsOnly {
    rows: RowsFragment,
}

#[derive(Template)]
#[template(path = "delivery.html")]
struct AcquisitionPage {
    nav: Option<Nav>,
    a: AcquisitionView,
    rows: RowsFragment,
}

/// An acquisition's deliveries with their state; the table alone for
/// htmx's polling.
pub(super) async fn acquisition(
    State(app): AppState,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let reader = app.reader();
    let files = reader
        .acquisition_files(&viewer.who, &id, "", PAGE_ROWS)
        .await?;
    let moving = files.iter().any(|f| {
        !matches!(
            f.state.as_str(),
            "published" | "rejected" | "awaiting_review"
        )
    });
    let rows = RowsFragment {
        acquisition_id: id.clone(),
        files,
        moving,
    };
    if headers.contains_key("hx-request") {
        return Ok(page(StatusCode::OK, &RowsOnly { rows }));
    }
    let a = reader.acquisition(&viewer.who, &id).await?;
    let t = AcquisitionPage {
        nav: Some(Nav::of(&viewer)),
        a,
        rows,
    };
    Ok(page(StatusCode::OK, &t))
}
