//! The audit log, for admins.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::Caller;
use super::{ApiResult, AppState};
use crate::error::ErrorBody;
use crate::query::{AuditView, page_limit};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// Events after this sequence number (0: from the first).
    #[serde(default)]
    after: i64,
    /// At most this many events (1-1000, default 100).
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
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let events = app.reader().audit(&who, q.after, page_limit(q.limit));
    Ok(Json(events.await?))
}
