//! Users and tokens: the admin's user list and commands (create, disable,
//! enable, revoke, issue a token), and any caller's rotation of their own
//! token. A token is in a response once, when it is made, and never again.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use airlock_policies::Role;

use super::extract::{Caller, JsonBody, PathParams};
use super::{ApiResult, AppState};
use crate::auth::{self, Administrator, NewUser};
use crate::error::ErrorBody;
use crate::query::UserView;
use crate::wire::{UserNameText, ZoneNameText};

/// A user's role.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum RoleName {
    Engineer,
    Reviewer,
    Analyst,
    Admin,
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Role {
        match r {
            RoleName::Engineer => Role::Engineer,
            RoleName::Reviewer => Role::Reviewer,
            RoleName::Analyst => Role::Analyst,
            RoleName::Admin => Role::Admin,
        }
    }
}

/// A user to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateUser {
    #[schema(value_type = UserNameText)]
    name: String,
    role: RoleName,
    /// For an analyst, the zones they may read (at least one); empty for
    /// other roles.
    #[serde(default)]
    #[schema(max_items = 64, value_type = Vec<ZoneNameText>)]
    zones: Vec<String>,
    /// The token expires after this many days; absent: it does not.
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<u32>,
}

/// The rule between a new user's role and zones, which JSON Schema states
/// beside [`CreateUser`]'s fields: an analyst is cleared for at least one
/// zone; no other role takes any; and no zone is listed twice.
pub(super) fn create_user_rule() -> serde_json::Value {
    serde_json::json!([{
        "if": {"properties": {"role": {"const": "analyst"}}},
        "then": {"required": ["zones"], "properties": {"zones": {"minItems": 1}}},
        "else": {"properties": {"zones": {"maxItems": 0}}}
    }, {
        "properties": {"zones": {"uniqueItems": true}}
    }])
}

/// A new token's expiry.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenRequest {
    /// The token expires after this many days; absent: it does not.
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<u32>,
}

/// A token, shown this once.
#[derive(Serialize, ToSchema)]
pub(super) struct IssuedToken {
    /// `alk_` and 64 hex digits; only its hash is kept.
    token: String,
}

/// A new user, with their first token.
#[derive(Serialize, ToSchema)]
pub(super) struct CreatedUser {
    user: UserView,
    token: String,
}

/// How many tokens a revocation took.
#[derive(Serialize, ToSchema)]
pub(super) struct Revoked {
    revoked: u64,
}

fn admin<'a>(who: &'a airlock_policies::Principal, app: &'a crate::App) -> Administrator<'a> {
    Administrator::Caller {
        who,
        policies: &app.policies,
    }
}

/// Every user, by name, for admins.
#[utoipa::path(get, path = "/v1/users", responses(
    (status = 200, body = [UserView]), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody)))]
pub(super) async fn list_users(
    State(app): AppState,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(app.reader().users(&who).await?))
}

/// Creates a user and returns their first token, once.
#[utoipa::path(post, path = "/v1/users", request_body = CreateUser, responses(
    (status = 201, body = CreatedUser), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn create_user(
    State(app): AppState,
    Caller(who): Caller,
    JsonBody(req): JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    let new = NewUser {
        name: req.name,
        role: req.role.into(),
        zones: req.zones,
        expires_in_days: req.expires_in_days,
    };
    let catalog = app.catalog.as_ref();
    let (user, token) = auth::create_user(catalog, &app.zones, admin(&who, &app), new).await?;
    let user = UserView::created(user);
    Ok((StatusCode::CREATED, Json(CreatedUser { user, token })))
}

/// Disables a user: every token they hold and every sign-in is refused
/// at once (401 `user_disabled`).
#[utoipa::path(post, path = "/v1/users/{name}/disable", responses(
    (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn disable_user(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(name): PathParams<String>,
) -> ApiResult<StatusCode> {
    auth::set_disabled(app.catalog.as_ref(), admin(&who, &app), &name, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enables a disabled user again; their live tokens admit them again.
#[utoipa::path(post, path = "/v1/users/{name}/enable", responses(
    (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub(super) async fn enable_user(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(name): PathParams<String>,
) -> ApiResult<StatusCode> {
    auth::set_disabled(app.catalog.as_ref(), admin(&who, &app), &name, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every token a user holds (401 `token_revoked` from then on).
/// An admin's own are refused (409): they rotate theirs instead.
#[utoipa::path(post, path = "/v1/users/{name}/revoke", responses(
    (status = 200, body = Revoked), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody)))]
pub(super) async fn revoke_user_tokens(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(name): PathParams<String>,
) -> ApiResult<Json<Revoked>> {
    let revoked = auth::revoke_tokens(app.catalog.as_ref(), admin(&who, &app), &name).await?;
    Ok(Json(Revoked { revoked }))
}

/// Issues a user one more token, shown once.
#[utoipa::path(post, path = "/v1/users/{name}/tokens",
    request_body = TokenRequest, responses(
    (status = 201, body = IssuedToken), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
pub(super) async fn issue_user_token(
    State(app): AppState,
    Caller(who): Caller,
    PathParams(name): PathParams<String>,
    JsonBody(req): JsonBody<TokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let catalog = app.catalog.as_ref();
    let token = auth::issue_token(catalog, admin(&who, &app), &name, req.expires_in_days);
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token: token.await?,
        }),
    ))
}

/// Replaces the token this request carries with a new one, shown once;
/// the old one is revoked in the same step.
#[utoipa::path(post, path = "/v1/tokens/rotate", request_body = TokenRequest,
    responses(
    (status = 201, body = IssuedToken), (status = 400, body = ErrorBody),
    (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn rotate_token(
    State(app): AppState,
    _caller: Caller,
    headers: HeaderMap,
    JsonBody(req): JsonBody<TokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = auth::rotate_token(app.catalog.as_ref(), presented, req.expires_in_days);
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token: token.await?,
        }),
    ))
}
