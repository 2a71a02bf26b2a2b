//! Apache Iceberg's REST catalog, read-only, under `/iceberg`: a client's
//! `uri` is `http://HOST:PORT/iceberg`, and its first call is
//! `GET /iceberg/v1/config`.
//!
//! Key decision: the same thin handlers as `/v1`, over the same query
//! layer ([`crate::query`]'s Iceberg reads), with the same authentication;
//! only the error shape is Iceberg's (`{"error": {"message", "type",
//! "code"}}`). A route the spec has but this catalog does not serve (every
//! write, views, OAuth) is 501, a served route called with another method
//! is 405, and query parameters a handler does not use (`snapshots=all`,
//! `pageToken`, `warehouse`) are ignored.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use airlock_iceberg::rest::{self, ErrorKind};

use super::extract::Caller;
use crate::{App, IngestError};

/// The catalog's routes, to nest under `/iceberg`.
pub fn router() -> axum::Router<Arc<App>> {
    let wrong_method = || async {
        IcebergError::of(
            ErrorKind::MethodNotAllowed,
            "this route does not take that method",
        )
    };
    axum::Router::new()
        .route("/v1/config", get(config).fallback(wrong_method))
        .route(
            "/v1/namespaces",
            get(list_namespaces).fallback(wrong_method),
        )
        .route(
            "/v1/namespaces/{namespace}",
            get(load_namespace)
                .head(namespace_exists)
                .fallback(wrong_method),
        )
        .route(
            "/v1/namespaces/{namespace}/tables",
            get(list_tables).fallback(wrong_method),
        )
        .route(
            "/v1/namespaces/{namespace}/tables/{table}",
            get(load_table).head(table_exists).fallback(wrong_method),
        )
        .route(
            "/v1/namespaces/{namespace}/tables/{table}/metrics",
            // A scan report is accepted and dropped, for a table the caller
            // can see.
            post(table_exists).fallback(wrong_method),
        )
        .fallback(|| async {
            IcebergError::of(
                ErrorKind::NotImplemented,
                "this Iceberg catalog is read-only and does not serve this route",
            )
        })
}

type IcebergResult<T> = Result<T, IcebergError>;

/// An error in the Iceberg error model.
pub struct IcebergError {
    kind: ErrorKind,
    message: String,
}

impl IcebergError {
    fn of(kind: ErrorKind, message: &str) -> Self {
        Self {
            kind,
            message: message.to_owned(),
        }
    }
}

/// Airlock's errors in Iceberg's model: the status and the safe message of
/// [`IngestError::public`], with the exception type that status means.
impl From<IngestError> for IcebergError {
    fn from(e: IngestError) -> Self {
        let (status, _, message) = e.public();
        let kind = match status {
            StatusCode::UNAUTHORIZED => ErrorKind::NotAuthorized,
            StatusCode::FORBIDDEN => ErrorKind::Forbidden,
            StatusCode::NOT_FOUND if message.starts_with("namespace ") => {
                ErrorKind::NoSuchNamespace
            }
            StatusCode::NOT_FOUND => ErrorKind::NoSuchTable,
            StatusCode::SERVICE_UNAVAILABLE => ErrorKind::ServiceUnavailable,
            s if s.is_server_error() => ErrorKind::Internal,
            _ => ErrorKind::BadRequest,
        };
        Self { kind, message }
    }
}

impl IntoResponse for IcebergError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(rest::error(self.kind, &self.message))).into_response()
    }
}

/// The authenticated caller, refused in Iceberg's error model.
struct Analyst(airlock_policies::Principal);

impl FromRequestParts<Arc<App>> for Analyst {
    type Rejection = IcebergError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> IcebergResult<Self> {
        let Caller(who) = Caller::from_request_parts(parts, app).await?;
        Ok(Analyst(who))
    }
}

/// Query parameters, all optional; only `parent` is read.
type Params = Query<Vec<(String, String)>>;

async fn config(Analyst(_): Analyst) -> Json<Value> {
    Json(rest::config())
}

async fn list_namespaces(
    State(app): State<Arc<App>>,
    Analyst(who): Analyst,
    Query(params): Params,
) -> IcebergResult<Json<Value>> {
    let reader = app.reader();
    let parent = params.iter().find(|(k, _)| k == "parent").map(|(_, v)| v);
    let zones = match parent.filter(|p| !p.is_empty()) {
        // Zones are one level deep: a namespace has no children.
        Some(parent) => {
            reader.namespace(&who, parent)?;
            vec![]
        }
        None => reader.namespaces(&who)?,
    };
    Ok(Json(rest::namespaces(zones.iter().map(|z| z.as_str()))))
}

async fn load_namespace(
    State(app): State<Arc<App>>,
    Analyst(who): Analyst,
    Path(namespace): Path<String>,
) -> IcebergResult<Json<Value>> {
    let zone = app.reader().namespace(&who, &namespace)?;
    Ok(Json(rest::namespace(zone.as_str(), &Default::default())))
}

async fn namespace_exists(
    State(app): State<Arc<App>>,
    Analyst(who): Analyst,
    Path(namespace): Path<String>,
) -> IcebergResult<StatusCode> {
    app.reader().namespace(&who, &namespace)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_tables(
    State(app): State<Arc<App>>,
    Analyst(who): Analyst,
    Path(namespace): Path<String>,
) -> IcebergResult<Json<Value>> {
    let names = app.reader().tables(&who, &namespace).await?;
    Ok(Json(rest::tables(
        &namespace,
        names.iter().map(String::as_str),
    )))
}

async fn load_table(
    State(app): State<Arc<App>>,
    Analyst(who): Analyst,
    Path((namespace, table)): Path<(String, String)>,
) -> IcebergResult<Json<Value>> {
    let loaded = app.reader().load_table(&who, &namespace, &table).await?;
    Ok(Json(loaded.body))
}

async fn table_exists(
    State(app): State<Arc<App>>,
    Analyst(who): Analyst,
    Path((namespace, table)): Path<(String, String)>,
) -> IcebergResult<StatusCode> {
    app.reader().table_exists(&who, &namespace, &table).await?;
    Ok(StatusCode::NO_CONTENT)
}
