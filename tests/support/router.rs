//! Calling the axum router in-process, shared by the API and OIDC tests.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use airlock_ingest::{App, api};

/// One request through a fresh router: its status, headers and body.
pub async fn send(app: &Arc<App>, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let resp = api::router(app.clone()).oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

/// One request through a fresh router; the answer's status and JSON body
/// (`null` when it has none).
pub async fn call(
    app: &Arc<App>,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Body,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if method == "POST" {
        req = req.header("content-type", "application/json");
    }
    let (status, _, bytes) = send(app, req.body(body).unwrap()).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
