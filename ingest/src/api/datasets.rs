//! Published datasets: search, and one dataset.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::Caller;
use super::{ApiResult, AppState};
use crate::error::ErrorBody;
use crate::query::{DataFormat, DatasetSummary, DatasetView};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DatasetQuery {
    /// Case-insensitive text to find in names and descriptions.
    q: Option<String>,
}

/// Published datasets the caller may see.
#[utoipa::path(get, path = "/v1/datasets", params(DatasetQuery), responses(
    (status = 200, body = [DatasetSummary]), (status = 401, body = ErrorBody)))]
pub(super) async fn list_datasets(
    State(app): AppState,
    Caller(who): Caller,
    Query(q): Query<DatasetQuery>,
) -> ApiResult<Json<Vec<DatasetSummary>>> {
    Ok(Json(app.reader().datasets(&who, q.q.as_deref()).await?))
}

/// A dataset with its published versions and the latest version's columns.
#[utoipa::path(get, path = "/v1/datasets/{id}", responses(
    (status = 200, body = DatasetView),
    (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_dataset(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DatasetView>> {
    Ok(Json(app.reader().dataset(&who, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DataQuery {
    /// parquet (the default), csv or arrow (the Arrow IPC stream format).
    format: Option<String>,
}

/// A published version's data, streamed: Parquet, CSV or an Arrow IPC
/// stream. Audited.
#[utoipa::path(get, path = "/v1/datasets/{id}/versions/{version}/data", params(DataQuery),
    responses(
        (status = 200, description = "The version's rows", content(
            (Vec<u8> = "application/vnd.apache.parquet"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.apache.arrow.stream"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn get_version_data(
    State(app): AppState,
    Caller(who): Caller,
    Path((id, version)): Path<(String, i64)>,
    Query(q): Query<DataQuery>,
) -> ApiResult<Response> {
    let format: DataFormat = q.format.as_deref().unwrap_or("parquet").parse()?;
    let data = app
        .reader()
        .version_data(&who, &id, version, format)
        .await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        data.filename.replace('"', "")
    );
    Ok((
        [
            (header::CONTENT_TYPE, data.format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(data.body),
    )
        .into_response())
}
