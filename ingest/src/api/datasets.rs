//! Published datasets: search, and one dataset.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Caller, JsonBody, PathParams, QueryParams};
use super::{ApiResult, AppState};
use crate::error::ErrorBody;
use crate::query::{DataFormat, DatasetPage, DatasetSearch, DatasetView, VersionData};
use crate::wire::{ClassificationText, TagText, ZoneNameText};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DatasetQuery {
    /// Full-text search over names, tags, column names, descriptions,
    /// suppliers and purposes: words (all must match), "phrases",
    /// prefix*, OR between alternatives and -excluded. Absent or blank:
    /// every dataset, by name. A query that does not parse (a `-` or `OR`
    /// with nothing to act on, more than 32 words) is `400 invalid_query`.
    #[param(max_length = 256)]
    q: Option<String>,
    /// Only this zone.
    #[param(value_type = Option<ZoneNameText>)]
    zone: Option<String>,
    /// Only this classification.
    #[param(value_type = Option<ClassificationText>)]
    classification: Option<String>,
    /// Only datasets with this tag.
    #[param(value_type = Option<TagText>)]
    tag: Option<String>,
    /// Results per page (20 if not given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Where the page starts (a previous page's `next_offset`).
    #[param(minimum = 0, maximum = 1_000_000)]
    offset: Option<i64>,
}

/// Searches the published datasets the caller may see; ranked, filtered
/// and paged. Audited with the query.
#[utoipa::path(get, path = "/v1/datasets", params(DatasetQuery), responses(
    (status = 200, body = DatasetPage), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn list_datasets(
    State(app): AppState,
    Caller(who): Caller,
    QueryParams(q): QueryParams<DatasetQuery>,
) -> ApiResult<Json<DatasetPage>> {
    let search = DatasetSearch {
        text: q.q,
        zone: q.zone,
        classification: q.classification,
        tag: q.tag,
        limit: q.limit,
        offset: q.offset,
    };
    Ok(Json(app.reader().datasets(&who, &search).await?))
}

/// A dataset's tags, replaced whole.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Tags {
    /// Each 1 to 64 of a-z, 0-9, '-', '_' and '.', starting with a letter
    /// or digit; at most 32.
    #[schema(max_items = 32, value_type = Vec<TagText>)]
    tags: Vec<String>,
}

/// Sets a dataset's tags (engineers and reviewers, by policy). Audited.
#[utoipa::path(put, path = "/v1/datasets/{id}/tags", request_body = Tags, responses(
    (status = 200, body = Tags), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub(super) async fn set_dataset_tags(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<Tags>,
) -> ApiResult<Json<Tags>> {
    let tags = app.reader().set_tags(&who, &id, &body.tags).await?;
    Ok(Json(Tags { tags }))
}

/// A dataset with its published versions and the latest version's columns.
#[utoipa::path(get, path = "/v1/datasets/{id}", responses(
    (status = 200, body = DatasetView),
    (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_dataset(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<DatasetView>> {
    Ok(Json(app.reader().dataset(&who, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DataQuery {
    /// parquet (the default), csv or arrow (the Arrow IPC stream format).
    format: Option<DataFormat>,
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
    PathParams((id, version)): PathParams<(String, i64)>,
    QueryParams(q): QueryParams<DataQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or(DataFormat::Parquet);
    let data = app
        .reader()
        .version_data(&who, &id, version, format)
        .await?;
    Ok(data.into_response())
}

/// A version's data as a download, for the API and the pages alike.
impl IntoResponse for VersionData {
    fn into_response(self) -> Response {
        let disposition = format!(
            "attachment; filename=\"{}\"",
            self.filename.replace('"', "")
        );
        (
            [
                (header::CONTENT_TYPE, self.format.content_type().to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            Body::from_stream(self.body),
        )
            .into_response()
    }
}
