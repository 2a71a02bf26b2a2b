//! The web pages under `/ui/`, for people who are not engineers:
//! reviewers, analysts, engineers watching their deliveries and admins.
//!
//! The key decisions:
//! - Server-rendered HTML (askama templates in `ingest/templates/`,
//!   checked when the crate compiles), with htmx vendored and served from
//!   here for the few live parts; every page and form works without
//!   JavaScript.
//! - Handlers are as thin as the API's: a [`session::Viewer`] (or a
//!   CSRF-checked [`session::Posted`] form) in, one call of the query
//!   layer or of the same command the API calls, a template out. No page
//!   reads the catalog on its own, so the pages get the API's Cedar
//!   decisions and audit for free.
//! - Errors are pages with the API's status: an uncleared dataset is the
//!   same 404 page as a missing one, and an expired session goes back to
//!   sign-in.

mod admin;
mod catalog;
mod deliveries;
mod reviews;
pub mod session;
mod sign_in;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use airlock_policies::Role;

use crate::{App, IngestError};
use session::Viewer;

type AppState = State<Arc<App>>;
type PageResult = Result<Response, PageError>;

/// The pages' router, nested under `/ui`.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/assets/{name}", get(asset))
        .route("/sign-in", get(sign_in::form).post(sign_in::with_token))
        .route("/sign-in/oidc", get(sign_in::oidc_start))
        .route("/oidc/callback", get(sign_in::oidc_callback))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/reviews", get(reviews::queue))
        .route("/acquisitions/{id}", get(reviews::acquisition))
        .route(
            "/acquisitions/{id}/review",
            post(reviews::decide_acquisition),
        )
        .route(
            "/acquisitions/{id}/evidence-pack",
            get(reviews::acquisition_pack),
        )
        .route("/files/{id}", get(reviews::file))
        .route("/files/{id}/review", post(reviews::decide_file))
        .route("/files/{id}/evidence-pack", get(reviews::file_pack))
        .route("/datasets", get(catalog::search))
        .route("/datasets/{id}", get(catalog::dataset))
        .route("/datasets/{id}/versions/{version}/data", get(catalog::data))
        .route("/deliveries", get(deliveries::mine))
        .route("/deliveries/{id}", get(deliveries::acquisition))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{name}/{change}", post(admin::change_user))
        .route("/admin/engines", get(admin::engines))
        .route("/admin/zones", get(admin::zones))
        .route("/admin/audit", get(admin::audit))
        .fallback(not_found)
        .layer(axum::middleware::map_response(page_headers))
}

/// What every page's header shows of the signed-in person.
pub struct Nav {
    pub name: String,
    pub role: String,
    pub csrf: String,
    /// The sections this role has, as (path, label).
    pub links: Vec<(&'static str, &'static str)>,
}

impl Nav {
    pub fn of(viewer: &Viewer) -> Nav {
        Nav {
            name: viewer.who.name.clone(),
            role: viewer.who.role.to_string(),
            csrf: viewer.csrf.clone(),
            links: sections(viewer.who.role).to_vec(),
        }
    }
}

/// Each role's sections, its landing page first.
fn sections(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Engineer => &[
            ("/ui/deliveries", "My deliveries"),
            ("/ui/datasets", "Catalog"),
        ],
        Role::Reviewer => &[("/ui/reviews", "Review queue"), ("/ui/datasets", "Catalog")],
        Role::Analyst => &[("/ui/datasets", "Catalog")],
        Role::Admin => &[
            ("/ui/admin/users", "Users"),
            ("/ui/admin/engines", "Engines"),
            ("/ui/admin/zones", "Zones"),
            ("/ui/admin/audit", "Audit"),
            ("/ui/reviews", "Review queue"),
            ("/ui/datasets", "Catalog"),
        ],
    }
}

/// A rendered page with a status.
pub fn page(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Why a page could not be shown.
pub enum PageError {
    /// No session, or it ended: sign in, then come back to `next`.
    SignIn {
        next: String,
    },
    /// A form post without its CSRF token.
    CsrfRefused,
    Failed(IngestError),
}

impl From<IngestError> for PageError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Unauthorized(_) => PageError::SignIn {
                next: "/ui/".into(),
            },
            other => PageError::Failed(other),
        }
    }
}

impl From<airlock_zones::ZoneError> for PageError {
    fn from(e: airlock_zones::ZoneError) -> Self {
        PageError::Failed(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    status: u16,
    title: &'static str,
    code: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            PageError::SignIn { next } => {
                let to = format!("/ui/sign-in?next={}", encode(session::local_next(&next)));
                return Redirect::to(&to).into_response();
            }
            PageError::CsrfRefused => (
                StatusCode::FORBIDDEN,
                "csrf_refused",
                "This form was not sent from an Airlock page of your session, so it was \
                 refused. Reload the page and try again."
                    .to_owned(),
            ),
            PageError::Failed(e) => e.public(),
        };
        let title = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            s if s.is_client_error() => "That did not work",
            _ => "Something went wrong",
        };
        let message = match status {
            StatusCode::NOT_FOUND => {
                "There is nothing here, or nothing you are cleared to see.".to_owned()
            }
            _ => message,
        };
        let t = ErrorPage {
            nav: None,
            status: status.as_u16(),
            title,
            code,
            message,
        };
        page(status, &t)
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Each role's landing page.
pub async fn home(viewer: Viewer) -> Redirect {
    Redirect::to(sections(viewer.who.role)[0].0)
}

async fn not_found() -> PageError {
    PageError::Failed(IngestError::NotFound("page".into()))
}

/// The vendored htmx and the style sheet, compiled in.
async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, kind): (&'static [u8], &str) = match name.as_str() {
        "htmx-4.0.1.min.js" => (
            include_bytes!("../../assets/htmx-4.0.1.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "airlock.css" => (
            include_bytes!("../../assets/airlock.css"),
            "text/css; charset=utf-8",
        ),
        _ => return not_found().await.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Headers on every page: no framing, no inline script, nothing cached
/// that a shared machine could show the next person.
async fn page_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    resp
}
