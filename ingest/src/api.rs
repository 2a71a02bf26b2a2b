//! The HTTP API under `/v1`, with `/healthz` and a generated `/openapi.json`.
//!
//! Handlers are thin: authenticate (the [`Caller`] extractor, so a handler
//! cannot forget), authorize through `airlock-policies`, call the library,
//! shape JSON. Errors map to HTTP in one place, [`IngestError`]'s
//! `IntoResponse`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use airlock_catalog::{
    Acquisition, AcquisitionState, Channel, Contract, FileRecord, ReviewDecision, ReviewSubject,
};
use airlock_policies::{Action, Principal};
use airlock_scanner::Allowances;
use airlock_zones::Classification;

use crate::error::ErrorBody;
use crate::governance::{self, Evidence};
use crate::names::{FileName, slug};
use crate::{App, IngestError, auth, now_ms};

type AppState = State<Arc<App>>;
type ApiResult<T> = Result<T, IngestError>;

#[derive(OpenApi)]
#[openapi(
    info(title = "Airlock", description = "Scanned, governed, catalogued ingest into data lakes."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API router; `/openapi.json` is generated from the same routes.
pub fn router(app: Arc<App>) -> axum::Router {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(list_zones))
        .routes(routes!(create_acquisition))
        .routes(routes!(get_acquisition))
        .routes(routes!(list_acquisition_files))
        .routes(routes!(review_acquisition))
        .routes(routes!(submit_acquisition))
        .routes(routes!(close_acquisition))
        .routes(routes!(list_reviews))
        .routes(routes!(review_file))
        .routes(routes!(request_transfer))
        .routes(routes!(get_transfer))
        .routes(routes!(release_transfer))
        .routes(routes!(upload_file))
        .routes(routes!(get_file))
        .routes(routes!(list_datasets))
        .routes(routes!(get_dataset))
        .routes(routes!(list_audit))
        .merge(crate::tus::routes())
        .split_for_parts();
    let openapi = Arc::new(openapi);
    router
        .route(
            "/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|| async { IngestError::NotFound("route".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(app)
}

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

/// RFC 3339 time from Unix milliseconds.
fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", security(()), responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
struct ZoneView {
    name: String,
    kind: String,
    ceiling: String,
    accepts_from: Vec<String>,
}

/// The configured zones and their ceilings.
#[utoipa::path(get, path = "/v1/zones", responses(
    (status = 200, body = [ZoneView]),
    (status = 401, body = ErrorBody)))]
async fn list_zones(State(app): AppState, Caller(who): Caller) -> ApiResult<Json<Vec<ZoneView>>> {
    app.policies.authorize(&who, Action::ListZones)?;
    Ok(Json(
        app.zones
            .iter()
            .map(|z| ZoneView {
                name: z.name.to_string(),
                kind: serde_json::to_value(z.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                ceiling: z.ceiling.to_string(),
                accepts_from: z.accepts_from.iter().map(|n| n.to_string()).collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAcquisition {
    name: String,
    #[serde(default)]
    description: String,
    /// Who supplies the data.
    supplier: String,
    /// The legal basis for acquiring it, e.g. a statute and section.
    legal_basis: String,
    /// What the data is acquired for.
    purpose: String,
    /// Whether deliveries are expected to carry personal data. Personal
    /// data found in a delivery that did not declare it holds the file for
    /// review.
    personal_data: bool,
    /// How long its datasets are kept after publication, in days (1-36500).
    retention_days: i64,
    /// The ethics review's reference, where one was needed.
    #[serde(default)]
    ethics_ref: String,
    /// Keep it a draft (submit it later with `POST …/submit`); otherwise it
    /// goes straight to review.
    #[serde(default)]
    draft: bool,
    /// A lake zone, e.g. `sandbox` or `corporate`.
    target_zone: String,
    /// PUBLIC, OFFICIAL, OFFICIAL-SENSITIVE, SECRET or TOP-SECRET.
    classification: String,
    /// Content that scanning refuses unless the acquisition explicitly
    /// allows it: `executables`, `scripts`, `macros`, `encrypted`.
    #[serde(default)]
    allow: Vec<String>,
    /// For Excel workbooks: the sheet to publish. Without it a workbook
    /// must hold exactly one sheet.
    #[serde(default)]
    sheet: Option<String>,
    /// The declared schema (the contract) every delivery must keep:
    /// `{"columns": [{"name": "id", "type": "int64", "nullable": false}, …]}`.
    /// Types: bool, int64, float64, decimal(P,S), date, timestamp,
    /// timestamp_tz, string. Without it, types are inferred.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    schema: Option<Contract>,
}

#[derive(Serialize, ToSchema)]
struct AcquisitionView {
    id: String,
    name: String,
    slug: String,
    description: String,
    target_zone: String,
    classification: String,
    /// draft, pending_review, approved, rejected or closed. Files are
    /// accepted only while approved.
    state: String,
    owner_id: String,
    created_at: String,
    supplier: String,
    legal_basis: String,
    purpose: String,
    personal_data: bool,
    retention_days: Option<i64>,
    ethics_ref: String,
    allow: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    schema: Option<Contract>,
}

impl From<airlock_catalog::Acquisition> for AcquisitionView {
    fn from(a: airlock_catalog::Acquisition) -> Self {
        Self {
            id: a.id,
            name: a.name,
            slug: a.slug,
            description: a.description,
            target_zone: a.target_zone,
            classification: a.classification,
            state: a.state.to_string(),
            owner_id: a.owner_id,
            created_at: rfc3339(a.created_at),
            supplier: a.supplier,
            legal_basis: a.legal_basis,
            purpose: a.purpose,
            personal_data: a.personal_data,
            retention_days: a.retention_days,
            ethics_ref: a.ethics_ref,
            allow: a
                .allow
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            sheet: a.sheet,
            // Stored by this API, so it parses; a corrupt row shows none.
            schema: a
                .declared_schema
                .as_deref()
                .and_then(|j| Contract::from_json(j).ok()),
        }
    }
}

/// Registers an acquisition: pending review, or a draft. Files are
/// accepted once a reviewer other than its owner approves it.
#[utoipa::path(post, path = "/v1/acquisitions", request_body = CreateAcquisition, responses(
    (status = 201, body = AcquisitionView),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
async fn create_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    JsonBody(req): JsonBody<CreateAcquisition>,
) -> ApiResult<(StatusCode, Json<AcquisitionView>)> {
    let decided_by = app.policies.authorize(&who, Action::CreateAcquisition)?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(IngestError::bad_request(
            "invalid_name",
            "name must be 1-200 characters",
        ));
    }
    for (field, value, max) in [
        ("description", &req.description, 10_000),
        ("supplier", &req.supplier, 200),
        ("legal_basis", &req.legal_basis, 2_000),
        ("purpose", &req.purpose, 2_000),
        ("ethics_ref", &req.ethics_ref, 200),
    ] {
        let required = matches!(field, "supplier" | "legal_basis" | "purpose");
        if value.len() > max || (required && value.trim().is_empty()) {
            return Err(IngestError::bad_request(
                "invalid_acquisition",
                format!(
                    "{field} must be {}at most {max} bytes",
                    if required { "given, and " } else { "" }
                ),
            ));
        }
    }
    if !(1..=36_500).contains(&req.retention_days) {
        return Err(IngestError::bad_request(
            "invalid_acquisition",
            "retention_days must be 1-36500",
        ));
    }
    let classification: Classification = req.classification.parse()?;
    let zone = app.zones.check_ingest(&req.target_zone, classification)?;
    let allow = Allowances::parse(req.allow.iter().map(String::as_str))
        .map_err(|e| IngestError::bad_request("invalid_allow", e))?;
    if let Some(contract) = &req.schema {
        contract
            .validate()
            .map_err(|e| IngestError::bad_request("invalid_schema", e))?;
    }
    let acq = app
        .catalog
        .create_acquisition(
            &Acquisition {
                id: uuid::Uuid::now_v7().to_string(),
                name: name.to_owned(),
                slug: slug(name, "acquisition"),
                description: req.description,
                target_zone: zone.name.to_string(),
                classification: classification.to_string(),
                state: match req.draft {
                    true => AcquisitionState::Draft,
                    false => AcquisitionState::PendingReview,
                },
                owner_id: who.user_id,
                created_at: now_ms(),
                supplier: req.supplier.trim().to_owned(),
                legal_basis: req.legal_basis.trim().to_owned(),
                purpose: req.purpose.trim().to_owned(),
                personal_data: req.personal_data,
                retention_days: Some(req.retention_days),
                ethics_ref: req.ethics_ref.trim().to_owned(),
                allow: allow.names().join(","),
                sheet: req.sheet.filter(|s| !s.is_empty()),
                declared_schema: req.schema.as_ref().map(Contract::to_json),
            },
            &decided_by,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(acq.into())))
}

/// One acquisition.
#[utoipa::path(get, path = "/v1/acquisitions/{id}", responses(
    (status = 200, body = AcquisitionView),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
async fn get_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AcquisitionView>> {
    let acq = app.acquisition(&id).await?;
    app.policies.authorize(
        &who,
        Action::ViewAcquisition {
            owner_id: &acq.owner_id,
        },
    )?;
    Ok(Json(acq.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FilesQuery {
    /// Files delivered before this one (its id), for the next page.
    #[serde(default)]
    before: String,
    /// At most this many (1-1000, default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct FileSummary {
    id: String,
    filename: String,
    /// api, tus, folder, bucket or sftp.
    channel: String,
    size_bytes: i64,
    sha256: String,
    state: String,
    reason: Option<String>,
    submitted_by: String,
    created_at: String,
}

/// An acquisition's deliveries, however they came in, newest first.
#[utoipa::path(get, path = "/v1/acquisitions/{id}/files", params(FilesQuery), responses(
    (status = 200, body = [FileSummary]), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_acquisition_files(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
    Query(q): Query<FilesQuery>,
) -> ApiResult<Json<Vec<FileSummary>>> {
    let acq = app.acquisition(&id).await?;
    app.policies.authorize(
        &who,
        Action::ViewAcquisition {
            owner_id: &acq.owner_id,
        },
    )?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let files = app.catalog.acquisition_files(&id, &q.before, limit).await?;
    Ok(Json(
        files
            .into_iter()
            .map(|f| FileSummary {
                id: f.id,
                filename: f.filename,
                channel: f.channel.to_string(),
                size_bytes: f.size_bytes,
                sha256: f.sha256,
                state: f.state.to_string(),
                reason: f.reason,
                submitted_by: f.submitted_by,
                created_at: rfc3339(f.created_at),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReviewRequest {
    /// approve or reject.
    decision: String,
    /// Why: kept with the decision and audited.
    reason: String,
}

impl ReviewRequest {
    fn decision(&self) -> Result<ReviewDecision, IngestError> {
        self.decision.parse().map_err(|_| {
            IngestError::bad_request("invalid_decision", "decision must be approve or reject")
        })
    }
}

/// A reviewer approves or rejects an acquisition pending review. Nobody
/// reviews an acquisition they registered (the `four-eyes` policy).
#[utoipa::path(post, path = "/v1/acquisitions/{id}/review", request_body = ReviewRequest,
    responses(
        (status = 200, body = AcquisitionView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn review_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> ApiResult<Json<AcquisitionView>> {
    let acq = governance::review_acquisition(&app, &who, &id, req.decision()?, &req.reason).await?;
    Ok(Json(acq.into()))
}

/// The owner submits a draft acquisition for review.
#[utoipa::path(post, path = "/v1/acquisitions/{id}/submit", responses(
    (status = 200, body = AcquisitionView), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody)))]
async fn submit_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AcquisitionView>> {
    let (from, to) = (AcquisitionState::Draft, AcquisitionState::PendingReview);
    Ok(Json(
        governance::move_acquisition(&app, &who, &id, from, to)
            .await?
            .into(),
    ))
}

/// The owner (or an admin) closes an approved acquisition: no more files
/// are accepted; what was delivered stays.
#[utoipa::path(post, path = "/v1/acquisitions/{id}/close", responses(
    (status = 200, body = AcquisitionView), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody)))]
async fn close_acquisition(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AcquisitionView>> {
    let (from, to) = (AcquisitionState::Approved, AcquisitionState::Closed);
    Ok(Json(
        governance::move_acquisition(&app, &who, &id, from, to)
            .await?
            .into(),
    ))
}

#[derive(Serialize, ToSchema)]
struct ReviewQueue {
    /// Files that policy held, oldest first, each with its evidence.
    files: Vec<HeldFileView>,
    /// Acquisitions waiting for approval, oldest first.
    acquisitions: Vec<AcquisitionView>,
    /// Transfers waiting for a release (every export), oldest first.
    transfers: Vec<TransferView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TransferRequest {
    dataset_id: String,
    version: i64,
    /// The lake zone to copy it to.
    to_zone: String,
    /// Why: kept and audited, and what a releasing reviewer reads.
    #[serde(default)]
    reason: String,
}

#[derive(Serialize, ToSchema)]
struct TransferView {
    id: String,
    dataset_id: String,
    version: i64,
    from_zone: String,
    to_zone: String,
    requested_by: String,
    reason: String,
    /// pending_release, queued, publishing, published or rejected.
    state: String,
    released_by: Option<String>,
    error: Option<String>,
    /// The version it became in the target zone.
    target_dataset_id: Option<String>,
    target_version: Option<i64>,
    created_at: String,
    updated_at: String,
}

impl From<airlock_catalog::Transfer> for TransferView {
    fn from(t: airlock_catalog::Transfer) -> Self {
        Self {
            id: t.id,
            dataset_id: t.dataset_id,
            version: t.version,
            from_zone: t.from_zone,
            to_zone: t.to_zone,
            requested_by: t.requested_by,
            reason: t.reason,
            state: t.state.to_string(),
            released_by: t.released_by,
            error: t.error,
            target_dataset_id: t.target_dataset_id,
            target_version: t.target_version,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// Requests a copy of a published dataset version in another zone. Only
/// along configured flows, at or below the target's ceiling, never from a
/// non-sensitive zone into a sensitive one (422 `zone_rule`). An export
/// (sensitive into non-sensitive) waits for a reviewer's release; the copy
/// is scanned, re-encoded and checked again before it is published.
#[utoipa::path(post, path = "/v1/transfers", request_body = TransferRequest, responses(
    (status = 202, body = TransferView), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_transfer(
    State(app): AppState,
    Caller(who): Caller,
    JsonBody(req): JsonBody<TransferRequest>,
) -> ApiResult<(StatusCode, Json<TransferView>)> {
    let t = crate::transfer::request(
        &app,
        &who,
        &req.dataset_id,
        req.version,
        &req.to_zone,
        &req.reason,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(t.into())))
}

/// A transfer's state.
#[utoipa::path(get, path = "/v1/transfers/{id}", responses(
    (status = 200, body = TransferView), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_transfer(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TransferView>> {
    Ok(Json(crate::transfer::view(&app, &who, &id).await?.into()))
}

/// A reviewer releases or rejects a transfer waiting for release; nobody
/// releases their own request.
#[utoipa::path(post, path = "/v1/transfers/{id}/review", request_body = ReviewRequest,
    responses(
        (status = 200, body = TransferView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn release_transfer(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> ApiResult<Json<TransferView>> {
    let t = crate::transfer::release(&app, &who, &id, req.decision()?, &req.reason).await?;
    Ok(Json(t.into()))
}

#[derive(Serialize, ToSchema)]
struct HeldFileView {
    id: String,
    filename: String,
    sha256: String,
    size_bytes: i64,
    channel: String,
    submitted_by: UserRef,
    held_at: String,
    acquisition: AcquisitionView,
    /// Every engine's verdict on the file and its members.
    verdicts: Vec<VerdictView>,
    /// Rows, columns, PII findings per column, the schema check and the
    /// policies that held it. Never a value.
    evidence: Option<Evidence>,
}

#[derive(Serialize, ToSchema)]
struct UserRef {
    id: String,
    name: String,
}

/// The reviewers' queue: held files with their evidence, and acquisitions
/// pending review.
#[utoipa::path(get, path = "/v1/reviews", responses(
    (status = 200, body = ReviewQueue), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody)))]
async fn list_reviews(State(app): AppState, Caller(who): Caller) -> ApiResult<Json<ReviewQueue>> {
    app.policies.authorize(&who, Action::ListReviews)?;
    let mut files = Vec::new();
    for f in app.catalog.review_queue().await? {
        let acq = app.acquisition(&f.acquisition_id).await?;
        let name = app.catalog.user(&f.submitted_by).await?.map(|u| u.name);
        let verdicts = app.catalog.verdicts(&f.id).await?;
        files.push(HeldFileView {
            submitted_by: UserRef {
                id: f.submitted_by,
                name: name.unwrap_or_default(),
            },
            held_at: rfc3339(f.updated_at),
            acquisition: acq.into(),
            verdicts: verdicts.into_iter().map(VerdictView::from).collect(),
            evidence: f
                .evidence
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok()),
            id: f.id,
            filename: f.filename,
            sha256: f.sha256,
            size_bytes: f.size_bytes,
            channel: f.channel.to_string(),
        });
    }
    let acquisitions = app
        .catalog
        .acquisitions_in(AcquisitionState::PendingReview)
        .await?
        .into_iter()
        .map(AcquisitionView::from)
        .collect();
    let transfers = app
        .catalog
        .transfers_in(airlock_catalog::TransferState::PendingRelease)
        .await?
        .into_iter()
        .map(TransferView::from)
        .collect();
    Ok(Json(ReviewQueue {
        files,
        acquisitions,
        transfers,
    }))
}

/// A reviewer releases a held file (it then converts again and publishes)
/// or rejects it. Nobody reviews their own delivery.
#[utoipa::path(post, path = "/v1/files/{id}/review", request_body = ReviewRequest,
    responses(
        (status = 200, body = FileAccepted), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn review_file(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> ApiResult<Json<FileAccepted>> {
    let f = governance::review_file(&app, &who, &id, req.decision()?, &req.reason).await?;
    Ok(Json(FileAccepted {
        id: f.id,
        sha256: f.sha256,
        size_bytes: f.size_bytes,
        state: f.state.to_string(),
    }))
}

#[derive(Serialize, ToSchema)]
struct FileAccepted {
    id: String,
    sha256: String,
    size_bytes: i64,
    state: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The content's format, which scanning holds it to: csv, tsv, txt,
    /// json, ndjson, parquet, avro, xlsx, zip, gz, tar or pdf.
    format: Option<String>,
}

/// Delivers a file: the raw body is streamed to quarantine and hashed, made
/// durable and recorded before the answer. `202` for a new delivery; `200`
/// with the earlier record when the same bytes were already delivered.
#[utoipa::path(put, path = "/v1/acquisitions/{id}/files/{filename}", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 202, body = FileAccepted), (status = 200, body = FileAccepted),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn upload_file(
    State(app): AppState,
    Caller(who): Caller,
    Path((acq_id, filename)): Path<(String, String)>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<FileAccepted>)> {
    let filename = FileName::parse(&filename)?;
    let (acq, decided_by) =
        governance::deliverable(&app, &who, &acq_id, q.format.as_deref()).await?;
    let declared_format = q.format;
    let limit = app.config.limits.max_file_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(IngestError::TooLarge { limit_bytes: limit });
    }
    // Room in quarantine and an upload slot, held until the delivery is
    // recorded (or refused). Without a Content-Length the room is taken
    // as the bytes arrive.
    let mut ticket = app
        .admission
        .admit(&app, &who.user_id, &acq.id, declared)
        .await?;
    let received = app
        .quarantine
        .receive(body.into_data_stream(), |n| ticket.reserve(n))
        .await?;
    let inserted = app
        .record_delivery(
            received,
            crate::Delivery {
                acquisition_id: &acq.id,
                filename: filename.as_str(),
                channel: Channel::Api,
                submitted_by: &who.user_id,
                declared_format,
            },
            &decided_by,
        )
        .await?;
    let status = match inserted.created {
        true => StatusCode::ACCEPTED,
        false => StatusCode::OK,
    };
    let f = inserted.file;
    Ok((
        status,
        Json(FileAccepted {
            id: f.id,
            sha256: f.sha256,
            size_bytes: f.size_bytes,
            state: f.state.to_string(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
struct VerdictView {
    /// The archive member it is about; absent for the file itself.
    #[serde(skip_serializing_if = "String::is_empty")]
    member: String,
    engine: String,
    /// clean, infected, over_limit, error or timeout.
    verdict: String,
    detail: Option<String>,
    engine_version: String,
    db_version: Option<String>,
    scanned_at: String,
}

impl From<airlock_catalog::VerdictRecord> for VerdictView {
    fn from(v: airlock_catalog::VerdictRecord) -> Self {
        Self {
            member: v.member,
            engine: v.engine,
            verdict: v.verdict,
            detail: v.detail,
            engine_version: v.engine_version,
            db_version: v.db_version,
            scanned_at: rfc3339(v.scanned_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct FileView {
    id: String,
    acquisition_id: String,
    filename: String,
    sha256: String,
    size_bytes: i64,
    channel: String,
    /// The format the supplier declared, if any.
    declared_format: Option<String>,
    /// received, scanning, checking, converting, awaiting_review,
    /// published, rejected or held.
    state: String,
    /// Why it was rejected: infected, policy, invalid, contract (it breaks the declared schema) or reviewer.
    reason: Option<String>,
    error: Option<String>,
    /// Every engine's verdict on the file itself.
    verdicts: Vec<VerdictView>,
    /// Every member of an archive, at any depth, with every engine's
    /// verdict on it.
    members: Vec<MemberView>,
    /// The dataset version it became (the first, for a workbook of
    /// several sheets)…
    dataset_id: Option<String>,
    version: Option<i64>,
    /// …and every published version it became: one per sheet of a
    /// workbook.
    datasets: Vec<OutputView>,
    attempts: i64,
    created_at: String,
    updated_at: String,
    /// What the checks found, when policy held the file for review.
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
    /// The reviews of the file: who decided, what and why.
    reviews: Vec<ReviewView>,
}

#[derive(Serialize, ToSchema)]
struct ReviewView {
    reviewer_id: String,
    /// approve or reject.
    decision: String,
    reason: String,
    at: String,
}

#[derive(Serialize, ToSchema)]
struct OutputView {
    dataset_id: String,
    name: String,
    version: i64,
}

#[derive(Serialize, ToSchema)]
struct MemberView {
    /// The member's path; `inner.zip!/x.csv` for a member of a member.
    path: String,
    size_bytes: i64,
    sha256: String,
    verdicts: Vec<VerdictView>,
}

/// A delivered file's state, every engine's verdict on it and on each
/// archive member, and any error.
#[utoipa::path(get, path = "/v1/files/{id}", responses(
    (status = 200, body = FileView),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
async fn get_file(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<FileView>> {
    let f: FileRecord = app
        .catalog
        .file(&id)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("file {id}")))?;
    app.policies.authorize(
        &who,
        Action::ViewFile {
            submitter_id: &f.submitted_by,
        },
    )?;
    let mut by_member: HashMap<String, Vec<VerdictView>> = HashMap::new();
    for v in app.catalog.verdicts(&f.id).await? {
        let member = v.member.clone();
        let mut view = VerdictView::from(v);
        view.member.clear();
        by_member.entry(member).or_default().push(view);
    }
    let verdicts = by_member.remove("").unwrap_or_default();
    let members = app
        .catalog
        .members(&f.id)
        .await?
        .into_iter()
        .map(|m| MemberView {
            verdicts: by_member.remove(&m.path).unwrap_or_default(),
            path: m.path,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
        })
        .collect();
    let datasets = app
        .catalog
        .file_outputs(&f.id)
        .await?
        .into_iter()
        .map(|r| OutputView {
            dataset_id: r.dataset_id,
            name: r.dataset_name,
            version: r.version,
        })
        .collect();
    Ok(Json(FileView {
        id: f.id,
        acquisition_id: f.acquisition_id,
        filename: f.filename,
        sha256: f.sha256,
        size_bytes: f.size_bytes,
        channel: f.channel.to_string(),
        declared_format: f.declared_format,
        state: f.state.to_string(),
        reason: f.reason,
        error: f.error,
        verdicts,
        members,
        dataset_id: f.dataset_id,
        version: f.version,
        datasets,
        attempts: f.attempts,
        created_at: rfc3339(f.created_at),
        updated_at: rfc3339(f.updated_at),
        evidence: f
            .evidence
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok()),
        reviews: app
            .catalog
            .reviews(ReviewSubject::File, &id)
            .await?
            .into_iter()
            .map(|r| ReviewView {
                reviewer_id: r.reviewer_id,
                decision: r.decision.to_string(),
                reason: r.reason,
                at: rfc3339(r.created_at),
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Events after this sequence number (0: from the first).
    #[serde(default)]
    after: i64,
    /// At most this many events (1-1000, default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct AuditView {
    seq: i64,
    at: String,
    /// A user id, or `system:<daemon>` for pipeline steps.
    actor: String,
    action: String,
    subject: String,
    /// The event's facts; never secrets or data values.
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    prev_hash: String,
    hash: String,
}

/// The audit log, oldest first, for admins. Each event's hash chains it to
/// the one before (`airlock audit verify` checks the whole chain).
#[utoipa::path(get, path = "/v1/audit", params(AuditQuery), responses(
    (status = 200, body = [AuditView]), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody)))]
async fn list_audit(
    State(app): AppState,
    Caller(who): Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    app.policies.authorize(&who, Action::ReadAudit)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let events = app.catalog.audit_events(q.after.max(0), limit).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| AuditView {
                seq: e.seq,
                at: rfc3339(e.at),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: serde_json::from_str(&e.detail)
                    .unwrap_or(serde_json::Value::String(e.detail)),
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DatasetQuery {
    /// Case-insensitive text to find in names and descriptions.
    q: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct DatasetSummary {
    id: String,
    name: String,
    zone: String,
    classification: String,
    description: String,
}

/// Published datasets the caller may see.
#[utoipa::path(get, path = "/v1/datasets", params(DatasetQuery), responses(
    (status = 200, body = [DatasetSummary]), (status = 401, body = ErrorBody)))]
async fn list_datasets(
    State(app): AppState,
    Caller(who): Caller,
    Query(q): Query<DatasetQuery>,
) -> ApiResult<Json<Vec<DatasetSummary>>> {
    app.policies.authorize(&who, Action::SearchCatalog)?;
    let found = app.catalog.list_datasets(q.q.as_deref()).await?;
    Ok(Json(
        found
            .into_iter()
            .filter(|d| {
                app.policies
                    .authorize(&who, Action::ViewDataset { zone: &d.zone })
                    .is_ok()
            })
            .map(|d| DatasetSummary {
                id: d.id,
                name: d.name,
                zone: d.zone,
                classification: d.classification,
                description: d.description,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
struct VersionView {
    version: i64,
    location: String,
    rows: i64,
    size_bytes: i64,
    created_at: String,
    source_file_ids: Vec<String>,
    /// Set when a rescan flagged a source file after publication: when,
    /// and what was found.
    tainted_at: Option<String>,
    taint_reason: Option<String>,
    /// For a copy a transfer made: the transfer and the version it copied.
    #[serde(skip_serializing_if = "Option::is_none")]
    transferred_from: Option<LineageView>,
}

#[derive(Serialize, ToSchema)]
struct LineageView {
    transfer_id: String,
    dataset_id: String,
    version: i64,
}

#[derive(Serialize, ToSchema)]
struct ColumnView {
    name: String,
    /// int64, float64, bool, date, timestamp, string, …
    #[serde(rename = "type")]
    data_type: String,
    /// Whether any null was seen.
    nullable: bool,
    /// How many values the PII detectors looked at (the first 10,000
    /// present ones)…
    pii_sampled: i64,
    /// …and how many were personal data, by kind. Never the values.
    pii: Vec<PiiView>,
}

#[derive(Serialize, ToSchema)]
struct PiiView {
    /// email, phone, ni_number, nhs_number, postcode, payment_card, ipv4,
    /// ipv6 or date_of_birth.
    kind: String,
    count: i64,
}

#[derive(Serialize, ToSchema)]
struct DatasetView {
    id: String,
    name: String,
    zone: String,
    classification: String,
    description: String,
    acquisition_id: String,
    versions: Vec<VersionView>,
    columns: Vec<ColumnView>,
}

/// A dataset with its published versions and the latest version's columns.
#[utoipa::path(get, path = "/v1/datasets/{id}", responses(
    (status = 200, body = DatasetView),
    (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_dataset(
    State(app): AppState,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DatasetView>> {
    let not_found = || IngestError::NotFound(format!("dataset {id}"));
    let d = app.catalog.dataset(&id).await?.ok_or_else(not_found)?;
    // Out of the caller's clearance a dataset does not exist, so its name
    // and zone do not leak.
    let policies = app
        .policies
        .authorize(
            &who,
            Action::ViewDataset {
                zone: &d.dataset.zone,
            },
        )
        .map_err(|_| not_found())?;
    // Reading where the data lives is audited, with what allowed it.
    app.catalog
        .append_audit(
            &who.user_id,
            "dataset.read",
            &d.dataset.id,
            serde_json::json!({"policies": policies}),
        )
        .await?;
    Ok(Json(DatasetView {
        id: d.dataset.id,
        name: d.dataset.name,
        zone: d.dataset.zone,
        classification: d.dataset.classification,
        description: d.dataset.description,
        acquisition_id: d.dataset.acquisition_id,
        versions: d
            .versions
            .into_iter()
            .map(|v| VersionView {
                version: v.version,
                location: v.location,
                rows: v.rows,
                size_bytes: v.size_bytes,
                created_at: rfc3339(v.created_at),
                source_file_ids: vec![v.source_file_id],
                tainted_at: v.tainted_at.map(rfc3339),
                taint_reason: v.taint_reason,
                transferred_from: match (
                    v.transfer_id,
                    v.transferred_from_dataset,
                    v.transferred_from_version,
                ) {
                    (Some(transfer_id), Some(dataset_id), Some(version)) => Some(LineageView {
                        transfer_id,
                        dataset_id,
                        version,
                    }),
                    _ => None,
                },
            })
            .collect(),
        columns: d
            .columns
            .into_iter()
            .map(|c| ColumnView {
                name: c.name,
                data_type: c.data_type,
                nullable: c.nullable.0,
                pii_sampled: c.pii_sampled,
                pii: c
                    .pii
                    .into_iter()
                    .map(|p| PiiView {
                        kind: p.kind,
                        count: p.count,
                    })
                    .collect(),
            })
            .collect(),
    }))
}
