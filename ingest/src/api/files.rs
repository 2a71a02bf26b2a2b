//! Deliveries: a file put over HTTP, a file's state and verdicts, and a
//! reviewer's decision on a held file.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use utoipa::IntoParams;

use airlock_catalog::Channel;

use super::extract::{Caller, JsonBody, PathParams, QueryParams};
use super::{ApiResult, AppState, ReviewRequest};
use crate::error::ErrorBody;
use crate::governance;
use crate::intake::{self, Arrival};
use crate::names::FileName;
use crate::query::{FileAccepted, FileView};
use crate::wire::FileFormatText;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct UploadQuery {
    /// The content's format, which scanning holds it to, where the file's
    /// name does not tell it.
    #[param(value_type = Option<FileFormatText>)]
    format: Option<String>,
}

/// Delivers a file: the raw body is streamed to quarantine and hashed, made
/// durable and recorded before the answer. `202` for a new delivery; `200`
/// with the earlier record when the same bytes were already delivered.
#[utoipa::path(put, path = "/v1/acquisitions/{id}/files/{filename}", params(UploadQuery),
    request_body(content = Option<Vec<u8>>, content_type = "application/octet-stream"),
    responses(
        (status = 202, body = FileAccepted), (status = 200, body = FileAccepted),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody),
        (status = 507, body = ErrorBody)))]
pub(super) async fn upload_file(
    State(app): AppState,
    Caller(who): Caller,
    PathParams((acq_id, filename)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<FileAccepted>)> {
    let filename = FileName::parse(&filename)?;
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let arrival = Arrival {
        who: &who,
        acquisition_id: &acq_id,
        channel: Channel::Api,
        declared_format: q.format,
        length,
    };
    // Without a Content-Length the room is taken as the bytes arrive.
    let mut gate = intake::open(app.intake(), arrival).await?;
    let received = gate.receive(app.intake(), body.into_data_stream()).await?;
    let inserted = gate.record(app.intake(), received, &filename).await?;
    let status = match inserted.created {
        true => StatusCode::ACCEPTED,
        false => StatusCode::OK,
    };
    Ok((status, Json(inserted.file.into())))
}

/// A delivered file's state, every engine's verdict on it and on each
/// archive member, and any error.
#[utoipa::path(get, path = "/v1/files/{id}", responses(
    (status = 200, body = FileView),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub(super) async fn get_file(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<FileView>> {
    Ok(Json(app.reader().file(&who, &id).await?))
}

/// A reviewer releases a held file (it then converts again and publishes)
/// or rejects it. Nobody reviews their own delivery.
#[utoipa::path(post, path = "/v1/files/{id}/review", request_body = ReviewRequest,
    responses(
        (status = 200, body = FileAccepted), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn review_file(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> ApiResult<Json<FileAccepted>> {
    let f = governance::review_file(app.desk(), &who, &id, req.decision(), &req.reason).await?;
    Ok(Json(f.into()))
}
