//! Published datasets: search, and one dataset.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::Caller;
use super::{ApiResult, AppState};
use crate::error::ErrorBody;
use crate::query::{DatasetSummary, DatasetView};

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
