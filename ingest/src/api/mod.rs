//! The HTTP API under `/v1`, with `/healthz`, a generated `/openapi.json`
//! and Iceberg's REST catalog under `/iceberg` ([`iceberg`]).
//!
//! The key decision is thin handlers, one file per resource: a handler
//! extracts (the [`extract::Caller`] extractor authenticates every `/v1`
//! route, so a handler cannot forget), calls one library function (a
//! [`query`](crate::query) read, or a command in `governance`, `intake` or
//! `transfer`) and maps the result. Errors map to HTTP in one place,
//! [`IngestError::public`].

mod acquisitions;
mod audit;
mod contract;
mod datasets;
pub mod extract;
mod files;
mod iceberg;
mod reviews;
mod transfers;
pub mod tus;
mod users;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use airlock_catalog::ReviewDecision;
use airlock_zones::ZoneSet;

use crate::error::ErrorBody;
use crate::{App, IngestError};

type AppState = State<Arc<App>>;
type ApiResult<T> = Result<T, IngestError>;

#[derive(OpenApi)]
#[openapi(
    info(title = "Airlock", description = "Scanned, governed, catalogued ingest into data lakes."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(
        ErrorBody,
        crate::wire::ZoneNameText,
        crate::wire::ClassificationText,
        crate::wire::FileFormatText,
        crate::wire::TagText,
        crate::query::DataFormat
    ))
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

/// Every documented route.
fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(acquisitions::list_zones))
        .routes(routes!(acquisitions::create_acquisition))
        .routes(routes!(acquisitions::get_acquisition))
        .routes(routes!(acquisitions::list_acquisition_files))
        .routes(routes!(acquisitions::review_acquisition))
        .routes(routes!(acquisitions::submit_acquisition))
        .routes(routes!(acquisitions::close_acquisition))
        .routes(routes!(reviews::list_reviews))
        .routes(routes!(files::review_file))
        .routes(routes!(transfers::request_transfer))
        .routes(routes!(transfers::get_transfer))
        .routes(routes!(transfers::release_transfer))
        .routes(routes!(files::upload_file))
        .routes(routes!(files::get_file))
        .routes(routes!(datasets::list_datasets))
        .routes(routes!(datasets::get_dataset))
        .routes(routes!(datasets::get_version_data))
        .routes(routes!(datasets::set_dataset_tags))
        .routes(routes!(audit::list_audit))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(users::revoke_user_tokens))
        .routes(routes!(users::issue_user_token))
        .routes(routes!(users::rotate_token))
        .merge(tus::routes())
}

/// The OpenAPI document a daemon with these zones serves at
/// `/openapi.json` (`airlock config openapi` prints it).
pub fn document(zones: &ZoneSet) -> serde_json::Value {
    let (_, openapi) = routes().split_for_parts();
    contract::finish(&openapi, zones)
}

/// The API router; `/openapi.json` is generated from the same routes.
pub fn router(app: Arc<App>) -> axum::Router {
    let (router, openapi) = routes().split_for_parts();
    let openapi = Arc::new(contract::finish(&openapi, &app.zones));
    router
        .route(
            "/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .nest("/iceberg", iceberg::router())
        .nest("/ui", crate::pages::router())
        // Nested, the pages' "/" is "/ui" only.
        .route("/ui/", get(crate::pages::home))
        .fallback(|| async { IngestError::NotFound("route".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(app)
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

/// A reviewer's decision on an acquisition, a held file or a transfer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReviewRequest {
    decision: DecisionName,
    /// Why: kept with the decision and audited.
    #[schema(schema_with = crate::wire::prose_schema::<2000>)]
    reason: String,
}

/// approve or reject.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum DecisionName {
    Approve,
    Reject,
}

impl ReviewRequest {
    fn decision(&self) -> ReviewDecision {
        match self.decision {
            DecisionName::Approve => ReviewDecision::Approve,
            DecisionName::Reject => ReviewDecision::Reject,
        }
    }
}
