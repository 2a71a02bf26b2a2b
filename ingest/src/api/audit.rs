//! The audit log, for admins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Caller, QueryParams};
use super::{ApiResult, AppState};
use crate::error::ErrorBody;
use crate::query::{AuditView, MAX_PAGE, page_limit};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// Events after this sequence number (0: from the first).
    #[serde(default)]
    #[param(minimum = 0)]
    after: i64,
    /// At most this many events (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The audit log, oldest first, for admins. Each event's hash chains it to
/// the one before (`airlock audit verify` checks the whole chain).
#[utoipa::path(get, path = "/v1/audit", params(AuditQuery), responses(
    (status = 200, body = [AuditView]), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody)))]
pub(super) async fn list_audit(
    State(app): AppState,
    Caller(who): Caller,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let limit = page_limit(q.limit, 100, MAX_PAGE)?;
    let events = app.reader().audit(&who, q.after, limit);
    Ok(Json(events.await?))
}
