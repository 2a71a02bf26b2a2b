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

/// An acquisition of `owner`'s in the sandbox, approved by `reviewer`;
/// its id.
#[allow(dead_code)] // not every test file that includes this module needs it
pub async fn approved_acquisition(
    app: &Arc<App>,
    owner: &str,
    reviewer: &str,
    name: &str,
) -> String {
    let body = serde_json::json!({
        "name": name, "target_zone": "sandbox", "classification": "OFFICIAL",
        "supplier": "HMRC", "legal_basis": "SRSA 2007 s.45", "purpose": "tests",
        "personal_data": false, "retention_days": 30
    });
    let (status, acq) = call(
        app,
        "POST",
        "/v1/acquisitions",
        Some(owner),
        Body::from(body.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    let id = acq["id"].as_str().unwrap().to_owned();
    let review = serde_json::json!({"decision": "approve", "reason": "tests"}).to_string();
    let uri = format!("/v1/acquisitions/{id}/review");
    let (status, body) = call(app, "POST", &uri, Some(reviewer), Body::from(review)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}
