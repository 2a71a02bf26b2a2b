//! What every handler extracts from a request: the authenticated
//! [`Caller`] and a JSON body whose rejections are ordinary errors.
//!
//! The key decision is that authentication is an extractor, so a `/v1`
//! handler that takes a `Caller` cannot run for an unauthenticated
//! request, and a malformed body is a `400 invalid_json` in the API's own
//! error shape, never axum's plain-text rejection.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

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

/// `Json` whose rejections are ordinary [`IngestError`]s.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = IngestError;

    async fn from_request(req: Request, state: &S) -> Result<Self, IngestError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| JsonBody(v))
            .map_err(|r| IngestError::bad_request("invalid_json", r.body_text()))
    }
}
