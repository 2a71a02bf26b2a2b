//! The admins' pages: users (add, disable, enable, revoke tokens), the
//! scan engines, the zones and their flows, and the audit log's check.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use airlock_policies::Role;

use super::session::{Guarded, Posted, Viewer};
use super::{AppState, Nav, PageResult, page};
use crate::IngestError;
use crate::auth::{self, Administrator, NewUser};
use crate::query::{AuditCheck, AuditView, EngineView, UserView, ZoneView};

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    users: Vec<UserView>,
    lake_zones: Vec<String>,
    /// A user just created, with their first token, shown once.
    created: Option<(String, String)>,
}

async fn users_page(
    app: &crate::App,
    viewer: &Viewer,
    created: Option<(String, String)>,
    status: StatusCode,
) -> PageResult {
    let users = app.reader().users(&viewer.who).await?;
    let lake_zones = app
        .reader()
        .zones(&viewer.who)?
        .into_iter()
        .filter(|z| z.kind != "ingest")
        .map(|z| z.name)
        .collect();
    let t = UsersPage {
        nav: Some(Nav::of(viewer)),
        users,
        lake_zones,
        created,
    };
    Ok(page(status, &t))
}

/// Every user.
pub(super) async fn users(State(app): AppState, viewer: Viewer) -> PageResult {
    users_page(&app, &viewer, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct AddUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    /// Every checked zone: the form repeats `zone`.
    #[serde(default, deserialize_with = "super::session::one_or_many")]
    zone: Vec<String>,
    #[serde(default)]
    expires_in_days: String,
}

impl Guarded for AddUserForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Adds a user and shows their first token, once.
pub(super) async fn add_user(State(app): AppState, posted: Posted<AddUserForm>) -> PageResult {
    let f = posted.form;
    let role: Role = f
        .role
        .parse()
        .map_err(|_| IngestError::bad_request("invalid_form", format!("no role {:?}", f.role)))?;
    let expires_in_days = match f.expires_in_days.trim() {
        "" => None,
        d => Some(d.parse::<u32>().map_err(|_| {
            IngestError::bad_request(
                "invalid_form",
                format!("expires in {d:?} days: give a whole number of days"),
            )
        })?),
    };
    let new = NewUser {
        name: f.name.trim().to_owned(),
        role,
        zones: f.zone,
        expires_in_days,
    };
    let admin = Administrator::Caller {
        who: &posted.viewer.who,
        policies: &app.policies,
    };
    let (user, token) = auth::create_user(app.catalog.as_ref(), &app.zones, admin, new).await?;
    let created = Some((user.name, token));
    users_page(&app, &posted.viewer, created, StatusCode::CREATED).await
}

#[derive(Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    csrf: String,
}

impl Guarded for ChangeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Disables, enables or revokes the tokens of a user.
pub(super) async fn change_user(
    State(app): AppState,
    Path((name, change)): Path<(String, String)>,
    posted: Posted<ChangeForm>,
) -> PageResult {
    let catalog = app.catalog.as_ref();
    let admin = || Administrator::Caller {
        who: &posted.viewer.who,
        policies: &app.policies,
    };
    match change.as_str() {
        "disable" | "enable" => {
            auth::set_disabled(catalog, admin(), &name, change == "disable").await?;
        }
        "revoke" => {
            auth::revoke_tokens(catalog, admin(), &name).await?;
        }
        other => return Err(IngestError::NotFound(format!("user change {other:?}")).into()),
    }
    Ok(Redirect::to("/ui/admin/users").into_response())
}

#[derive(Template)]
#[template(path = "engines.html")]
struct EnginesPage {
    nav: Option<Nav>,
    engines: Vec<EngineView>,
}

/// The scan engines and their signature versions, asked now.
pub(super) async fn engines(State(app): AppState, viewer: Viewer) -> PageResult {
    let engines = app.reader().engines(&viewer.who).await?;
    let t = EnginesPage {
        nav: Some(Nav::of(&viewer)),
        engines,
    };
    Ok(page(StatusCode::OK, &t))
}

#[derive(Template)]
#[template(path = "zones.html")]
struct ZonesPage {
    nav: Option<Nav>,
    zones: Vec<ZoneView>,
}

/// The zones, their ceilings and the flows between them.
pub(super) async fn zones(State(app): AppState, viewer: Viewer) -> PageResult {
    let zones = app.reader().zones(&viewer.who)?;
    let t = ZonesPage {
        nav: Some(Nav::of(&viewer)),
        zones,
    };
    Ok(page(StatusCode::OK, &t))
}

/// The newest audit events the audit page shows under the check.
const RECENT_EVENTS: i64 = 50;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    check: AuditCheck,
    recent: Vec<AuditView>,
}

/// The audit log's hash chain checked now, with the newest events.
pub(super) async fn audit(State(app): AppState, viewer: Viewer) -> PageResult {
    let check = app.reader().verify_audit(&viewer.who).await?;
    let after = (check.events - RECENT_EVENTS).max(0);
    let mut recent = app
        .reader()
        .audit(&viewer.who, after, RECENT_EVENTS)
        .await?;
    recent.reverse();
    let t = AuditPage {
        nav: Some(Nav::of(&viewer)),
        check,
        recent,
    };
    Ok(page(StatusCode::OK, &t))
}
