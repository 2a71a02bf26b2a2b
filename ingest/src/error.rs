//! The daemon's one error type, and the one place where errors become HTTP
//! responses: the client gets a stable code and a safe message, the details
//! go to the logs.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::{CatalogError, TokenRefusal};
use airlock_convert::ConvertError;
use airlock_policies::PolicyError;
use airlock_zones::ZoneError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// No credential, or one that no longer admits its holder; `None`
    /// for a missing or unknown one (nothing said about which).
    #[error("{}", unauthorized_message(*.0))]
    Unauthorized(Option<TokenRefusal>),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{0} not found")]
    NotFound(String),
    /// A request the caller can fix: a stable code and what is wrong.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("the delivery exceeds the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Back-pressure: retry after `retry_after_secs`. The message names the
    /// limit, never another user's data.
    #[error("{message}")]
    Busy {
        limit: Limit,
        message: String,
        retry_after_secs: u64,
    },
    /// A tus request that breaks the protocol's rules.
    #[error("{message}")]
    Tus { rule: TusRule, message: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("lake: {0}")]
    Lake(#[from] object_store::Error),
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// The delivered data cannot be read as what it claims to be.
    #[error("{0}")]
    InvalidInput(String),
}

/// Which limit turned a delivery away for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// The caller has as many uploads open as one user may.
    UploadsPerUser,
    /// Quarantine holds as many bytes as it may, for the acquisition or
    /// for all of them.
    QuarantineBytes,
    /// Quarantine's disk is full.
    Disk,
}

/// The tus rule a request broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TusRule {
    /// `Tus-Resumable: 1.0.0` is missing or another version.
    Version,
    /// A PATCH whose body is not `application/offset+octet-stream`.
    ContentType,
    /// The chunk does not match its `Upload-Checksum`.
    Checksum,
}

/// What a refused credential's holder reads. Only the holder of a known
/// token learns why it is refused.
fn unauthorized_message(why: Option<TokenRefusal>) -> &'static str {
    match why {
        None => "a valid bearer token is required",
        Some(TokenRefusal::Expired) => "the token has expired; ask an administrator for a new one",
        Some(TokenRefusal::Revoked) => "the token has been revoked",
        Some(TokenRefusal::UserDisabled) => "the user is disabled",
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `unauthorized`, `forbidden`, `not_found`, …
    pub code: &'static str,
    pub message: String,
}

impl IngestError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        use IngestError::*;
        match self {
            Unauthorized(why) => (
                StatusCode::UNAUTHORIZED,
                match why {
                    None => "unauthorized",
                    Some(TokenRefusal::Expired) => "token_expired",
                    Some(TokenRefusal::Revoked) => "token_revoked",
                    Some(TokenRefusal::UserDisabled) => "user_disabled",
                },
            ),
            Catalog(CatalogError::UserDisabled(_)) => (StatusCode::UNAUTHORIZED, "user_disabled"),
            Busy { limit, .. } => match limit {
                Limit::UploadsPerUser => (StatusCode::TOO_MANY_REQUESTS, "too_many_uploads"),
                Limit::QuarantineBytes => (StatusCode::SERVICE_UNAVAILABLE, "quarantine_full"),
                Limit::Disk => (StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage"),
            },
            Tus { rule, .. } => match rule {
                TusRule::Version => (StatusCode::PRECONDITION_FAILED, "tus_version"),
                TusRule::ContentType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "tus_content_type"),
                // The checksum extension's own status.
                TusRule::Checksum => (
                    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
                    "checksum_mismatch",
                ),
            },
            Policy(PolicyError::Denied { .. }) => (StatusCode::FORBIDDEN, "forbidden"),
            Policy(PolicyError::UnknownRole(_)) => (StatusCode::BAD_REQUEST, "invalid_role"),
            Policy(PolicyError::Invalid { .. } | PolicyError::Request(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Zone(ZoneError::UnknownZone(_) | ZoneError::UnknownClassification(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_zone")
            }
            Zone(_) => (StatusCode::UNPROCESSABLE_ENTITY, "zone_rule"),
            InvalidInput(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            Catalog(CatalogError::NotFound(_)) => (StatusCode::NOT_FOUND, "not_found"),
            Catalog(CatalogError::Conflict(_)) => (StatusCode::CONFLICT, "conflict"),
            Catalog(CatalogError::WrongState(_)) => (StatusCode::CONFLICT, "wrong_state"),
            Catalog(CatalogError::InvalidQuery(_)) => (StatusCode::BAD_REQUEST, "invalid_query"),
            Catalog(CatalogError::InvalidTag(_)) => (StatusCode::BAD_REQUEST, "invalid_tag"),
            Catalog(CatalogError::TooManyTags) => (StatusCode::BAD_REQUEST, "too_many_tags"),
            Unavailable(_) | Catalog(CatalogError::Database(_)) | Io(_) | Lake(_) | Parquet(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            Config(_) | Catalog(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IngestError {
    /// What a client is told, whatever the protocol: a status, a stable
    /// code and a message. Internal details (paths, SQL, addresses) of a
    /// server-side failure go to the logs, not to the client.
    pub fn public(&self) -> (StatusCode, &'static str, String) {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() && !matches!(self, IngestError::Busy { .. }) {
            tracing::error!(error = %self, code, "request failed");
            match status {
                StatusCode::SERVICE_UNAVAILABLE => {
                    "a backing service is unavailable; retry later".to_owned()
                }
                _ => "internal error".to_owned(),
            }
        } else {
            self.to_string()
        };
        (status, code, message)
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.public();
        let retry_after = match &self {
            IngestError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs).filter(|s| *s > 0),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(5),
            _ => None,
        };
        let mut resp = (status, Json(ErrorBody { code, message })).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from(secs));
        }
        resp
    }
}

/// A conversion's failure keeps its meaning: data that cannot be read as
/// what it claims is the supplier's (rejected), the rest is this machine's
/// (retried).
impl From<ConvertError> for IngestError {
    fn from(e: ConvertError) -> Self {
        match e {
            ConvertError::Invalid(message) => IngestError::InvalidInput(message),
            ConvertError::Io(e) => IngestError::Io(e),
            ConvertError::Lake(e) => IngestError::Lake(e),
            ConvertError::Parquet(e) => IngestError::Parquet(e),
            other => IngestError::Unavailable(other.to_string()),
        }
    }
}

impl IngestError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        IngestError::BadRequest {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn render(err: IngestError) -> (StatusCode, Option<String>, serde_json::Value) {
        let resp = err.into_response();
        let status = resp.status();
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, retry, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn back_pressure_says_when_to_come_back_and_why() {
        let (status, retry, body) = render(IngestError::Busy {
            limit: Limit::QuarantineBytes,
            message: "quarantine holds as much as it may for now".into(),
            retry_after_secs: 30,
        })
        .await;
        assert_eq!(
            (status, retry.as_deref()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("30"))
        );
        assert_eq!(body["code"], "quarantine_full");
        assert_eq!(
            body["message"],
            "quarantine holds as much as it may for now"
        );
    }

    #[tokio::test]
    async fn server_errors_keep_their_details_in_the_logs() {
        let secret = "postgres://airlock:hunter2@db.internal/airlock";
        let err = IngestError::Catalog(CatalogError::Database(sqlx::Error::Configuration(
            secret.into(),
        )));
        let (status, retry, body) = render(err).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("5"));
        assert_eq!(body["code"], "unavailable");
        assert!(!body.to_string().contains("hunter2"), "{body}");

        let (status, _, body) = render(IngestError::Config("internal path /srv/x".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"code": "internal", "message": "internal error"})
        );
    }

    #[tokio::test]
    async fn client_errors_say_what_is_wrong() {
        let (status, _, body) = render(IngestError::TooLarge { limit_bytes: 10 }).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["code"], "too_large");
        assert_eq!(
            body["message"],
            "the delivery exceeds the limit of 10 bytes"
        );
        let (status, _, body) =
            render(IngestError::Catalog(CatalogError::Conflict("x".into()))).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict"))
        );
        let (status, _, body) = render(IngestError::InvalidInput("line 3".into())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["message"], "line 3");
    }
}
