//! What every handler extracts from a request: the authenticated
//! [`Caller`], and a JSON body, query string and path whose rejections are
//! ordinary errors.
//!
//! The key decision is that authentication is an extractor, so a `/v1`
//! handler that takes a `Caller` cannot run for an unauthenticated
//! request, and a malformed body, query or path is a `400` in the API's
//! own error shape (`invalid_json`, `invalid_query`, `invalid_path`),
//! never axum's plain-text rejection. A JSON number is an integer when
//! its value is whole (`3.0` is `3`), as JSON Schema counts it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use airlock_policies::Principal;

use crate::{App, IngestError, auth};

/// The authenticated caller of a `/v1` route.
pub struct Caller(pub Principal);

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = IngestError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, IngestError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        Ok(Caller(
            auth::authenticate(app.catalog.as_ref(), app.oidc.as_ref(), header).await?,
        ))
    }
}

/// `Json` whose rejections are ordinary [`IngestError`]s, naming the
/// field that did not fit.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = IngestError;

    async fn from_request(req: Request, state: &S) -> Result<Self, IngestError> {
        let Json(mut value) = Json::<Value>::from_request(req, state)
            .await
            .map_err(|r| IngestError::bad_request("invalid_json", r.body_text()))?;
        whole_numbers_as_integers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(JsonBody)
            .map_err(|e| {
                let message = match e.path().to_string().as_str() {
                    "." => e.inner().to_string(),
                    path => format!("{path}: {}", e.inner()),
                };
                IngestError::bad_request("invalid_json", message)
            })
    }
}

/// Makes every number with a whole value (`3.0`, `1e2`) an integer, so a
/// field typed as an integer takes it, as JSON Schema's `integer` does.
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// `Query` whose rejections are `400 invalid_query`.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = IngestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, IngestError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| QueryParams(v))
            .map_err(|r| IngestError::bad_request("invalid_query", r.body_text()))
    }
}

/// `Path` whose rejections are `400 invalid_path`.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = IngestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, IngestError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| PathParams(v))
            .map_err(|r| IngestError::bad_request("invalid_path", r.body_text()))
    }
}
