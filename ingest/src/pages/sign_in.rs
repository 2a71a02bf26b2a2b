//! Signing in (a pasted token, or the identity provider) and out.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use rand::RngCore;
use serde::Deserialize;

use super::session::{
    self, Guarded, Posted, SESSION_COOKIE, SIGN_IN_COOKIE, cookie, cookie_safe, same, set_cookie,
};
use super::{AppState, Nav, PageError, PageResult, page};
use crate::oidc::Attempt;
use crate::{App, IngestError, auth};

/// The cookie holding an identity-provider sign-in in progress.
const OIDC_COOKIE: &str = "airlock_oidc";
/// How long a sign-in form or a trip to the provider may take.
const SIGN_IN_MAX_AGE_SECS: u64 = 600;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Option<Nav>,
    next: String,
    nonce: String,
    oidc: bool,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The sign-in form, with a fresh double-submit nonce.
pub(super) async fn form(State(app): AppState, Query(q): Query<NextQuery>) -> Response {
    sign_in_page(&app, q.next, None, StatusCode::OK)
}

fn sign_in_page(app: &App, next: String, problem: Option<String>, status: StatusCode) -> Response {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    let nonce = hex::encode(b);
    let t = SignInPage {
        nav: None,
        next: session::local_next(&next).to_owned(),
        oidc: app.oidc.as_ref().is_some_and(|v| v.sign_in().is_some()),
        nonce: nonce.clone(),
        problem,
    };
    let mut resp = page(status, &t);
    let secure = secure_cookies(app);
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, &nonce, SIGN_IN_MAX_AGE_SECS, secure),
    );
    resp
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    nonce: String,
}

/// Signs in with a pasted token: checked exactly as the API checks it.
pub(super) async fn with_token(
    State(app): AppState,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult {
    let f: TokenForm = session::form_fields(&body)?;
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(&f.nonce, expected) {
        return Err(PageError::CsrfRefused);
    }
    let token = f.token.trim();
    let refused = |why: &str| {
        sign_in_page(
            &app,
            f.next.clone(),
            Some(why.to_owned()),
            StatusCode::UNAUTHORIZED,
        )
    };
    if !cookie_safe(token) {
        return Ok(refused(
            "That is not a token: paste the whole token, which starts alk_.",
        ));
    }
    let bearer = format!("Bearer {token}");
    match auth::authenticate(app.catalog.as_ref(), app.oidc.as_ref(), Some(&bearer)).await {
        Ok(who) => {
            audit_sign_in(&app, &who.user_id, "token").await?;
            Ok(session::start(token, &f.next, secure_cookies(&app)))
        }
        Err(e @ IngestError::Unauthorized(_)) => {
            Ok(refused(&format!("That token was refused: {e}.")))
        }
        Err(other) => Err(PageError::Failed(other)),
    }
}

/// Sends the browser to the identity provider.
pub(super) async fn oidc_start(State(app): AppState, Query(q): Query<NextQuery>) -> PageResult {
    let verifier = app
        .oidc
        .as_ref()
        .filter(|v| v.sign_in().is_some())
        .ok_or_else(|| IngestError::NotFound("OIDC sign-in".into()))?;
    let attempt = Attempt::new();
    let to = verifier.authorization_url(&attempt).await?;
    let next = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(session::local_next(&q.next).as_bytes());
    let value = format!("{}.{next}", attempt.to_cookie());
    let mut resp = Redirect::to(&to).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            OIDC_COOKIE,
            &value,
            SIGN_IN_MAX_AGE_SECS,
            secure_cookies(&app),
        ),
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub(super) struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
}

/// The provider sends the browser back here with a code.
pub(super) async fn oidc_callback(
    State(app): AppState,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> PageResult {
    let verifier = app
        .oidc
        .as_ref()
        .filter(|v| v.sign_in().is_some())
        .ok_or_else(|| IngestError::NotFound("OIDC sign-in".into()))?;
    let refused = |why: &str| {
        sign_in_page(
            &app,
            String::new(),
            Some(why.into()),
            StatusCode::UNAUTHORIZED,
        )
    };
    if !cb.error.is_empty() {
        return Ok(refused("The identity provider did not sign you in."));
    }
    let Some((attempt, next)) = cookie(&headers, OIDC_COOKIE).and_then(|v| {
        let (attempt, next) = v.rsplit_once('.')?;
        let next = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(next)
            .ok()?;
        Some((
            Attempt::from_cookie(attempt)?,
            String::from_utf8(next).ok()?,
        ))
    }) else {
        return Ok(refused(
            "This sign-in was not started here, or took too long. Try again.",
        ));
    };
    if cb.code.is_empty() || !same(&cb.state, &attempt.state) {
        return Ok(refused(
            "This sign-in was not started here, or took too long. Try again.",
        ));
    }
    let id_token = match verifier.redeem(&cb.code, &attempt).await {
        Ok(t) => t,
        Err(IngestError::Unauthorized(_)) => {
            return Ok(refused("The identity provider's answer was refused."));
        }
        Err(other) => return Err(other.into()),
    };
    let bearer = format!("Bearer {id_token}");
    let who = match auth::authenticate(app.catalog.as_ref(), app.oidc.as_ref(), Some(&bearer)).await
    {
        Ok(who) => who,
        Err(IngestError::Unauthorized(_)) => {
            return Ok(refused(
                "Your identity provider account has no Airlock role.",
            ));
        }
        Err(other) => return Err(other.into()),
    };
    if !cookie_safe(&id_token) {
        return Ok(refused(
            "The identity provider's token is too large for a session.",
        ));
    }
    audit_sign_in(&app, &who.user_id, "oidc").await?;
    let secure = secure_cookies(&app);
    let mut resp = session::start(&id_token, &next, secure);
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(OIDC_COOKIE, "", 0, secure));
    Ok(resp)
}

#[derive(Deserialize)]
pub(super) struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

impl Guarded for SignOutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Ends the session in this browser.
pub(super) async fn sign_out(State(app): AppState, posted: Posted<SignOutForm>) -> PageResult {
    let who = &posted.viewer.who;
    app.catalog
        .append_audit(
            &who.user_id,
            "ui.sign_out",
            &who.user_id,
            serde_json::json!({}),
        )
        .await
        .map_err(IngestError::from)?;
    let mut resp = Redirect::to("/ui/sign-in").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, secure_cookies(&app)),
    );
    Ok(resp)
}

async fn audit_sign_in(app: &Arc<App>, user_id: &str, with: &str) -> Result<(), PageError> {
    app.catalog
        .append_audit(
            user_id,
            "ui.sign_in",
            user_id,
            serde_json::json!({"with": with}),
        )
        .await
        .map_err(IngestError::from)?;
    Ok(())
}

/// Cookies are marked Secure when the pages are reached over HTTPS, as the
/// configured sign-in redirect says.
fn secure_cookies(app: &App) -> bool {
    app.oidc
        .as_ref()
        .and_then(|v| v.sign_in())
        .is_some_and(|s| s.redirect_url.starts_with("https://"))
}
