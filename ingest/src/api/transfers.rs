//! Transfers: request a copy of a published version in another zone, read
//! it, and release or reject it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{Caller, JsonBody, PathParams};
use super::{ApiResult, AppState, ReviewRequest};
use crate::error::ErrorBody;
use crate::query::TransferView;
use crate::wire::ZoneNameText;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TransferRequest {
    #[schema(min_length = 1, max_length = 128)]
    dataset_id: String,
    /// The published version's number.
    #[schema(minimum = 1)]
    version: i64,
    /// The lake zone to copy it to.
    #[schema(value_type = ZoneNameText)]
    to_zone: String,
    /// Why: kept and audited, and what a releasing reviewer reads.
    #[serde(default)]
    #[schema(schema_with = crate::wire::optional_prose_schema::<2000>)]
    reason: String,
}

/// Requests a copy of a published dataset version in another zone. Only
/// along configured flows, at or below the target's ceiling, never from a
/// non-sensitive zone into a sensitive one (422 `zone_rule`). An export
/// (sensitive into non-sensitive) waits for a reviewer's release; the copy
/// is scanned, re-encoded and checked again before it is published.
#[utoipa::path(post, path = "/v1/transfers", request_body = TransferRequest, responses(
    (status = 202, body = TransferView), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn request_transfer(
    State(app): AppState,
    Caller(who): Caller,
    JsonBody(req): JsonBody<TransferRequest>,
) -> ApiResult<(StatusCode, Json<TransferView>)> {
    let t = crate::transfer::request(
        &app,
        &who,
        &req.dataset_id,
        req.version,
        &req.to_zone,
        &req.reason,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(t.into())))
}

/// A transfer's state.
#[utoipa::path(get, path = "/v1/transfers/{id}", responses(
    (status = 200, body = TransferView), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_transfer(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<TransferView>> {
    Ok(Json(app.reader().transfer(&who, &id).await?))
}

/// A reviewer releases or rejects a transfer waiting for release; nobody
/// releases their own request.
#[utoipa::path(post, path = "/v1/transfers/{id}/review", request_body = ReviewRequest,
    responses(
        (status = 200, body = TransferView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn release_transfer(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> ApiResult<Json<TransferView>> {
    let t = crate::transfer::release(&app, &who, &id, req.decision(), &req.reason).await?;
    Ok(Json(t.into()))
}
