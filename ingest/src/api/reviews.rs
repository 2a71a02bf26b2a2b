//! The reviewers' queue.

use axum::Json;
use axum::extract::State;

use super::extract::Caller;
use super::{ApiResult, AppState};
use crate::error::ErrorBody;
use crate::query::ReviewQueue;

/// The reviewers' queue: held files with their evidence, and acquisitions
/// pending review.
#[utoipa::path(get, path = "/v1/reviews", responses(
    (status = 200, body = ReviewQueue), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody)))]
pub(super) async fn list_reviews(
    State(app): AppState,
    Caller(who): Caller,
) -> ApiResult<Json<ReviewQueue>> {
    Ok(Json(app.reader().review_queue(&who).await?))
}
