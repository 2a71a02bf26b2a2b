//! Resumable uploads: the tus 1.0 protocol under `/v1/uploads`, with its
//! creation, checksum (sha256), termination and expiration extensions.
//!
//! An upload is bound to an approved acquisition and a file name by its
//! `Upload-Metadata` (`acquisition_id`, `filename`, optionally `format`).
//! Its bytes so far live in `quarantine/uploads/<id>`; the catalog holds
//! the acknowledged offset, and a PATCH first cuts the file back to it, so
//! bytes written but never acknowledged (a crash, a broken connection, a
//! bad checksum) are simply sent again. When the last byte arrives the
//! whole file is hashed, linked into quarantine under its delivery id and
//! recorded in one transaction with the upload marked complete; only then
//! is the last PATCH answered. It then enters the pipeline like any other
//! delivery (channel `tus`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use airlock_catalog::{Channel, Upload, UploadState};

use super::extract::{Caller, PathParams};
use crate::error::TusRule;
use crate::intake::{self, Arrival};
use crate::names::FileName;
use crate::{App, IngestError, now_ms};

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,checksum,termination,expiration";

/// The tus routes, documented, to merge into the API router.
pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(describe, create))
        .routes(routes!(offset, append, terminate))
}

/// Every tus answer names the protocol version.
fn tus(status: StatusCode, headers: &[(&'static str, String)]) -> Response {
    let mut resp = status.into_response();
    let h = resp.headers_mut();
    h.insert("tus-resumable", HeaderValue::from_static(VERSION));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    resp
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Requests other than OPTIONS must speak tus 1.0.0.
fn check_version(headers: &HeaderMap) -> Result<(), IngestError> {
    match header(headers, "tus-resumable") {
        Some(VERSION) => Ok(()),
        _ => Err(IngestError::Tus {
            rule: TusRule::Version,
            message: format!("Tus-Resumable: {VERSION} is required"),
        }),
    }
}

/// The headers a tus request carries, as the OpenAPI document states
/// them: `Tus-Resumable` on every request but OPTIONS, and each
/// operation's own.
struct TusHeaders;

/// `Upload-Length` and `Upload-Metadata`, which a creation carries.
struct CreationHeaders;

/// `Upload-Offset` and `Upload-Checksum`, which an append carries.
struct AppendHeaders;

fn header_parameter(name: &str, required: bool, schema: ObjectBuilder, about: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(schema.build()))
        .description(Some(about))
        .build()
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn bytes() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
}

impl IntoParams for TusHeaders {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let about = "The protocol version the client speaks; 412 unless it is 1.0.0.";
        vec![header_parameter(
            "Tus-Resumable",
            true,
            text().enum_values(Some([VERSION])),
            about,
        )]
    }
}

impl IntoParams for CreationHeaders {
    fn into_params(provider: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = TusHeaders::into_params(provider);
        params.push(header_parameter(
            "Upload-Length",
            true,
            bytes(),
            "The upload's whole length in bytes.",
        ));
        params.push(header_parameter(
            "Upload-Metadata",
            true,
            text().pattern(Some(r"^[ -~]*$")),
            "`key base64,key base64`: `acquisition_id`, `filename`, optionally `format`.",
        ));
        params
    }
}

impl IntoParams for AppendHeaders {
    fn into_params(provider: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = TusHeaders::into_params(provider);
        params.push(header_parameter(
            "Upload-Offset",
            true,
            bytes(),
            "Where these bytes go: the upload's offset (409 otherwise).",
        ));
        params.push(header_parameter(
            "Upload-Checksum",
            false,
            text().pattern(Some(r"^sha256 [A-Za-z0-9+/]*={0,2}$")),
            "`sha256 BASE64` of this request's bytes; 460 when they differ.",
        ));
        params
    }
}

fn expires(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// tus capabilities: version 1.0.0; creation, checksum (sha256),
/// termination and expiration.
#[utoipa::path(options, path = "/v1/uploads", operation_id = "describe_uploads", responses(
    (status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm"),
    (status = 401, body = crate::error::ErrorBody)))]
async fn describe(State(app): State<Arc<App>>, Caller(_who): Caller) -> Response {
    tus(
        StatusCode::NO_CONTENT,
        &[
            ("tus-version", VERSION.into()),
            ("tus-extension", EXTENSIONS.into()),
            ("tus-max-size", app.config.limits.max_file_bytes.to_string()),
            ("tus-checksum-algorithm", "sha256".into()),
        ],
    )
}

/// `Upload-Metadata`: `key base64,key base64`.
fn metadata(raw: &str) -> Result<Vec<(String, String)>, IngestError> {
    raw.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let mut it = pair.trim().splitn(2, ' ');
            let key = it.next().unwrap_or_default().to_owned();
            let value = match it.next() {
                Some(v) => STANDARD
                    .decode(v.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        IngestError::bad_request(
                            "invalid_metadata",
                            format!("Upload-Metadata {key}: not base64 UTF-8"),
                        )
                    })?,
                None => String::new(),
            };
            Ok((key, value))
        })
        .collect()
}

/// Creates a resumable upload: `Upload-Length`, and `Upload-Metadata` with
/// `acquisition_id`, `filename` and optionally `format` (base64 values).
/// Answers with its `Location` and `Upload-Expires`.
#[utoipa::path(post, path = "/v1/uploads", operation_id = "create_upload", params(CreationHeaders), responses(
    (status = 201, description = "Location: /v1/uploads/{id}"),
    (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
    (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
    (status = 412, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
    (status = 429, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody),
    (status = 507, body = crate::error::ErrorBody)))]
async fn create(
    State(app): State<Arc<App>>,
    Caller(who): Caller,
    headers: HeaderMap,
) -> Result<Response, IngestError> {
    check_version(&headers)?;
    let length: i64 = header(&headers, "upload-length")
        .and_then(|v| v.parse().ok())
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| {
            IngestError::bad_request("invalid_length", "Upload-Length (bytes) is required")
        })?;
    let meta = metadata(header(&headers, "upload-metadata").unwrap_or_default())?;
    let get = |k: &str| {
        meta.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let acq_id = get("acquisition_id").ok_or_else(|| {
        IngestError::bad_request("invalid_metadata", "Upload-Metadata needs acquisition_id")
    })?;
    let filename = FileName::parse(&get("filename").unwrap_or_default())?;
    let format = get("format").filter(|f| !f.is_empty());
    // Room for the whole length; once created, the upload holds it in the
    // catalog's count until it completes.
    let arrival = Arrival {
        who: &who,
        acquisition_id: &acq_id,
        channel: Channel::Tus,
        declared_format: format.clone(),
        length: Some(length as u64),
    };
    let gate = intake::open(app.intake(), arrival).await?;
    let acq = &gate.acquisition;
    let now = now_ms();
    let upload = app
        .catalog
        .create_upload(&Upload {
            id: uuid::Uuid::now_v7().to_string(),
            acquisition_id: acq.id.clone(),
            filename: filename.to_string(),
            declared_format: format,
            length_bytes: length,
            offset_bytes: 0,
            created_by: who.user_id,
            created_at: now,
            expires_at: now + expiry_ms(&app),
            file_id: None,
        })
        .await?;
    tokio::fs::File::create(app.quarantine.upload_path(&upload.id)).await?;
    Ok(tus(
        StatusCode::CREATED,
        &[
            ("location", format!("/v1/uploads/{}", upload.id)),
            ("upload-expires", expires(upload.expires_at)),
        ],
    ))
}

fn expiry_ms(app: &App) -> i64 {
    (app.config.limits.upload_expiry_secs * 1000) as i64
}

/// The caller's own upload.
async fn owned(app: &App, who: &str, id: &str) -> Result<Upload, IngestError> {
    match app.catalog.upload(id).await? {
        Some(u) if u.created_by == who => Ok(u),
        _ => Err(IngestError::NotFound(format!("upload {id}"))),
    }
}

fn state_headers(u: &Upload) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("upload-offset", u.offset_bytes.to_string()),
        ("upload-length", u.length_bytes.to_string()),
        ("cache-control", "no-store".into()),
    ];
    match &u.file_id {
        Some(file) => h.push(("airlock-file-id", file.clone())),
        None => h.push(("upload-expires", expires(u.expires_at))),
    }
    h
}

/// The upload's acknowledged `Upload-Offset` (and, once complete, its
/// delivery as `Airlock-File-Id`).
#[utoipa::path(head, path = "/v1/uploads/{id}", operation_id = "get_upload_offset", params(TusHeaders), responses(
    (status = 200, description = "Upload-Offset, Upload-Length"),
    (status = 401), (status = 404), (status = 412)))]
async fn offset(
    State(app): State<Arc<App>>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
) -> Result<Response, IngestError> {
    check_version(&headers)?;
    let u = owned(&app, &who.user_id, &id).await?;
    Ok(tus(StatusCode::OK, &state_headers(&u)))
}

/// Appends bytes at `Upload-Offset` (`application/offset+octet-stream`,
/// optionally `Upload-Checksum: sha256 …`; 460 on a mismatch).
#[utoipa::path(patch, path = "/v1/uploads/{id}", operation_id = "append_to_upload", params(AppendHeaders),
    request_body(content = Option<Vec<u8>>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Upload-Offset; Airlock-File-Id once complete"),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 412, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody),
        (status = 460, body = crate::error::ErrorBody), (status = 507, body = crate::error::ErrorBody)))]
async fn append(
    State(app): State<Arc<App>>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    check_version(&headers)?;
    if header(&headers, "content-type") != Some("application/offset+octet-stream") {
        return Err(IngestError::Tus {
            rule: TusRule::ContentType,
            message: "Content-Type: application/offset+octet-stream is required".into(),
        });
    }
    let _alone = app.admission.appending(&id)?;
    let u = owned(&app, &who.user_id, &id).await?;
    let at: i64 = header(&headers, "upload-offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| IngestError::bad_request("invalid_offset", "Upload-Offset is required"))?;
    if u.state(now_ms()) == UploadState::Complete || at != u.offset_bytes {
        return Err(IngestError::Conflict(format!(
            "the upload is at offset {}, not {at}",
            u.offset_bytes
        )));
    }
    // One of the user's concurrent uploads while its bytes arrive; the
    // bytes themselves were counted when it was created.
    let _slot = app.admission.slot(&who.user_id)?;
    let expected = match header(&headers, "upload-checksum") {
        None => None,
        Some(v) => match v.split_once(' ') {
            Some(("sha256", b64)) => Some(STANDARD.decode(b64.trim()).map_err(|_| {
                IngestError::bad_request("invalid_checksum", "Upload-Checksum: not base64")
            })?),
            _ => {
                return Err(IngestError::bad_request(
                    "invalid_checksum",
                    "Upload-Checksum: only sha256 is supported",
                ));
            }
        },
    };
    // Bytes past the acknowledged offset were never acknowledged: cut them.
    let path = app.quarantine.upload_path(&u.id);
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .await?;
    file.set_len(at as u64).await?;
    file.seek(std::io::SeekFrom::Start(at as u64)).await?;
    let room = (u.length_bytes - at) as u64;
    let mut hash = Sha256::new();
    let mut written = 0u64;
    let mut stream = body.into_data_stream();
    let mut broken = None;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                // What arrived before the break is kept and acknowledged.
                broken = Some(e.to_string());
                break;
            }
        };
        written += chunk.len() as u64;
        if written > room {
            file.set_len(at as u64).await?;
            return Err(IngestError::bad_request(
                "invalid_length",
                format!("more bytes than the Upload-Length of {}", u.length_bytes),
            ));
        }
        hash.update(&chunk);
        file.write_all(&chunk).await?;
    }
    if let Some(expected) = expected
        && (broken.is_some() || hash.finalize()[..] != expected[..])
    {
        file.set_len(at as u64).await?;
        return Err(IngestError::Tus {
            rule: TusRule::Checksum,
            message: "the chunk's sha256 does not match Upload-Checksum; send it again".into(),
        });
    }
    file.sync_all().await?;
    drop(file);
    let to = at + written as i64;
    let u = app
        .catalog
        .advance_upload(&u.id, at, to, now_ms() + expiry_ms(&app))
        .await?;
    let u = if u.offset_bytes == u.length_bytes {
        intake::complete_upload(app.intake(), &who, &u).await?;
        app.catalog
            .upload(&u.id)
            .await?
            .ok_or_else(|| IngestError::NotFound(format!("upload {}", u.id)))?
    } else {
        u
    };
    Ok(tus(StatusCode::NO_CONTENT, &state_headers(&u)))
}

/// Ends an upload and forgets its bytes.
#[utoipa::path(delete, path = "/v1/uploads/{id}", operation_id = "terminate_upload", params(TusHeaders), responses(
    (status = 204), (status = 401, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody), (status = 412, body = crate::error::ErrorBody)))]
async fn terminate(
    State(app): State<Arc<App>>,
    Caller(who): Caller,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
) -> Result<Response, IngestError> {
    check_version(&headers)?;
    let u = owned(&app, &who.user_id, &id).await?;
    app.catalog
        .delete_upload(&u.id, &who.user_id, "terminated")
        .await?;
    let _ = tokio::fs::remove_file(app.quarantine.upload_path(&u.id)).await;
    Ok(tus(StatusCode::NO_CONTENT, &[]))
}

/// Forgets uploads idle past their expiry, and their bytes.
pub async fn expire_once(app: &App) -> Result<usize, IngestError> {
    let expired = app.catalog.expired_uploads(now_ms()).await?;
    for u in &expired {
        app.catalog
            .delete_upload(&u.id, "system:uploads", "expired")
            .await?;
        let _ = tokio::fs::remove_file(app.quarantine.upload_path(&u.id)).await;
    }
    Ok(expired.len())
}
