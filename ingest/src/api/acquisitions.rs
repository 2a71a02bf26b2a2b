//! Acquisitions: register, read, list their deliveries, review, submit
//! and close; and the zones they may target.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use airlock_catalog::AcquisitionState;

use super::extract::{Caller, JsonBody, PathParams, QueryParams};
use super::{ApiResult, AppState, ReviewRequest};
use crate::error::ErrorBody;
use crate::governance::{self, NewAcquisition};
use crate::query::{AcquisitionView, FileSummary, MAX_PAGE, ZoneView, page_limit};

/// The configured zones and their ceilings.
#[utoipa::path(get, path = "/v1/zones", responses(
    (status = 200, body = [ZoneView]),
    (status = 401, body = ErrorBody)))]
pub(super) async fn list_zones(
    State(app): AppState,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<ZoneView>>> {
    Ok(Json(app.reader().zones(&who)?))
}

/// Registers an acquisition: pending review, or a draft. Files are
/// accepted once a reviewer other than its owner approves it.
#[utoipa::path(post, path = "/v1/acquisitions", request_body = NewAcquisition, responses(
    (status = 201, body = AcquisitionView),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
pub(super) async fn create_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    JsonBody(req): JsonBody<NewAcquisition>,
) -> ApiResult<(StatusCode, Json<AcquisitionView>)> {
    let acq = governance::register_acquisition(app.desk(), &who, req).await?;
    Ok((StatusCode::CREATED, Json(acq.into())))
}

/// One acquisition.
#[utoipa::path(get, path = "/v1/acquisitions/{id}", responses(
    (status = 200, body = AcquisitionView),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub(super) async fn get_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<AcquisitionView>> {
    Ok(Json(app.reader().acquisition(&who, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FilesQuery {
    /// Files delivered before this one (its id), for the next page.
    #[serde(default)]
    before: String,
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// An acquisition's deliveries, however they came in, newest first.
#[utoipa::path(get, path = "/v1/acquisitions/{id}/files", params(FilesQuery), responses(
    (status = 200, body = [FileSummary]), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn list_acquisition_files(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    QueryParams(q): QueryParams<FilesQuery>,
) -> ApiResult<Json<Vec<FileSummary>>> {
    let limit = page_limit(q.limit, 100, MAX_PAGE)?;
    let files = app.reader().acquisition_files(&who, &id, &q.before, limit);
    Ok(Json(files.await?))
}

/// A reviewer approves or rejects an acquisition pending review. Nobody
/// reviews an acquisition they registered (the `four-eyes` policy).
#[utoipa::path(post, path = "/v1/acquisitions/{id}/review", request_body = ReviewRequest,
    responses(
        (status = 200, body = AcquisitionView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn review_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> ApiResult<Json<AcquisitionView>> {
    let acq =
        governance::review_acquisition(app.desk(), &who, &id, req.decision(), &req.reason).await?;
    Ok(Json(acq.into()))
}

/// The owner submits a draft acquisition for review.
#[utoipa::path(post, path = "/v1/acquisitions/{id}/submit", responses(
    (status = 200, body = AcquisitionView), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody)))]
pub(super) async fn submit_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<AcquisitionView>> {
    let (from, to) = (AcquisitionState::Draft, AcquisitionState::PendingReview);
    let acq = governance::move_acquisition(app.desk(), &who, &id, from, to).await?;
    Ok(Json(acq.into()))
}

/// The owner (or an admin) closes an approved acquisition: no more files
/// are accepted; what was delivered stays.
#[utoipa::path(post, path = "/v1/acquisitions/{id}/close", responses(
    (status = 200, body = AcquisitionView), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody)))]
pub(super) async fn close_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<AcquisitionView>> {
    let (from, to) = (AcquisitionState::Approved, AcquisitionState::Closed);
    let acq = governance::move_acquisition(app.desk(), &who, &id, from, to).await?;
    Ok(Json(acq.into()))
}
