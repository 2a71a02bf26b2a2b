//! Who is looking at a page: the session cookie, sign-in and sign-out, and
//! the CSRF check on every form.
//!
//! The key decisions:
//! - The session cookie holds the credential the person signed in with
//!   (an Airlock token, or the identity provider's ID token), HttpOnly,
//!   SameSite=Lax, for `/ui` only, and is authenticated on every request
//!   exactly as the API's bearer header is, so a revoked token, a disabled
//!   user or an expired JWT ends the session at once, on any replica.
//! - Every form carries a CSRF token derived from the session's
//!   credential (SHA-256 under a fixed label), so a page from elsewhere,
//!   which cannot read the HttpOnly cookie, cannot forge one; a post
//!   without it is refused with 403. The sign-in form, before a session
//!   exists, uses a double-submit cookie instead.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use airlock_policies::Principal;

use super::PageError;
use crate::{App, IngestError, auth};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "airlock_session";
/// The sign-in form's double-submit cookie.
pub const SIGN_IN_COOKIE: &str = "airlock_sign_in";
/// How long a session lasts, at most (the credential may end it sooner).
pub const SESSION_MAX_AGE_SECS: u64 = 12 * 3600;
/// The longest credential a session cookie takes (an ID token is a few
/// kilobytes at most).
const MAX_CREDENTIAL_CHARS: usize = 3500;

/// The signed-in person, with the CSRF token their forms carry.
pub struct Viewer {
    pub who: Principal,
    pub csrf: String,
}

impl FromRequestParts<Arc<App>> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, PageError> {
        // Nested under /ui, the request's own URI has lost its prefix.
        let uri = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        let sign_in = || PageError::SignIn {
            next: uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        };
        let credential = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(sign_in)?;
        let bearer = format!("Bearer {credential}");
        match auth::authenticate(app.catalog.as_ref(), app.oidc.as_ref(), Some(&bearer)).await {
            Ok(who) => Ok(Viewer {
                who,
                csrf: csrf_token(credential),
            }),
            Err(IngestError::Unauthorized(_)) => Err(sign_in()),
            Err(other) => Err(PageError::Failed(other)),
        }
    }
}

/// A form post from the signed-in person, its CSRF token checked.
pub struct Posted<T> {
    pub viewer: Viewer,
    pub form: T,
}

/// A form that carries the CSRF token.
pub trait Guarded {
    fn csrf(&self) -> &str;
}

impl<T: DeserializeOwned + Guarded + Send> FromRequest<Arc<App>> for Posted<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, app).await?;
        let cross_site = parts
            .headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site");
        let req = Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(req, app)
            .await
            .map_err(|r| {
                PageError::Failed(IngestError::bad_request("invalid_form", r.body_text()))
            })?;
        let form: T = form_fields(&bytes).map_err(PageError::Failed)?;
        if cross_site || !same(form.csrf(), &viewer.csrf) {
            return Err(PageError::CsrfRefused);
        }
        Ok(Posted { viewer, form })
    }
}

/// A form body's fields as `T`: a field sent once is a string, one sent
/// again (checkboxes) a list of them.
pub fn form_fields<T: DeserializeOwned>(body: &[u8]) -> Result<T, IngestError> {
    let mut fields = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(body) {
        let v = serde_json::Value::String(v.into_owned());
        match fields.get_mut(k.as_ref()) {
            None => {
                fields.insert(k.into_owned(), v);
            }
            Some(serde_json::Value::Array(list)) => list.push(v),
            Some(first) => *first = serde_json::Value::Array(vec![first.take(), v]),
        }
    }
    serde_path_to_error::deserialize(serde_json::Value::Object(fields)).map_err(|e| {
        IngestError::bad_request("invalid_form", format!("{}: {}", e.path(), e.inner()))
    })
}

/// A form field that may be sent once or several times.
pub fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match <OneOrMany as serde::Deserialize>::deserialize(d)? {
        OneOrMany::One(v) => vec![v],
        OneOrMany::Many(v) => v,
    })
}

/// The CSRF token of a session's credential.
pub fn csrf_token(credential: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"airlock-ui-csrf\0");
    h.update(credential.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Equal in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` for `/ui`: HttpOnly, SameSite=Lax, Secure when `secure`.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/ui; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether a credential may go in a cookie: token and JWT characters only.
pub fn cookie_safe(credential: &str) -> bool {
    !credential.is_empty()
        && credential.chars().count() <= MAX_CREDENTIAL_CHARS
        && credential
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b))
}

/// Where to go after signing in: a page of this site only, never another
/// host.
pub fn local_next(next: &str) -> &str {
    let ok = next.starts_with("/ui/")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://");
    if ok { next } else { "/ui/" }
}

/// Starts a session with `credential` and goes to `next`.
pub fn start(credential: &str, next: &str, secure: bool) -> Response {
    let mut resp = Redirect::to(local_next(next)).into_response();
    let headers = resp.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, credential, SESSION_MAX_AGE_SECS, secure),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, "", 0, secure),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_pages_are_followed_after_sign_in() {
        assert_eq!(local_next("/ui/datasets?q=x"), "/ui/datasets?q=x");
        for bad in [
            "https://evil.example/",
            "//evil.example/ui/",
            "/ui/\\evil",
            "/v1/users",
            "",
        ] {
            assert_eq!(local_next(bad), "/ui/", "{bad}");
        }
    }

    #[test]
    fn csrf_tokens_differ_by_session_and_compare_exactly() {
        let a = csrf_token("alt_one");
        assert_eq!(a.len(), 32);
        assert_ne!(a, csrf_token("alt_two"));
        assert!(same(&a, &csrf_token("alt_one")));
        assert!(!same(&a, &a[..31]));
        assert!(!same(&a, ""));
    }

    #[test]
    fn repeated_form_fields_are_lists() {
        #[derive(serde::Deserialize)]
        struct F {
            csrf: String,
            #[serde(default, deserialize_with = "one_or_many")]
            zone: Vec<String>,
        }
        let f: F = form_fields(b"csrf=a%20b&zone=x").unwrap();
        assert_eq!((f.csrf.as_str(), f.zone), ("a b", vec!["x".to_owned()]));
        let f: F = form_fields(b"zone=x&csrf=c&zone=y").unwrap();
        assert_eq!(f.zone, ["x", "y"]);
        let err = form_fields::<F>(b"zone=x").err().unwrap();
        assert!(err.to_string().contains("csrf"), "{err}");
    }

    #[test]
    fn cookies_are_found_by_name_and_credentials_checked() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; airlock_session=tok; b="),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "b"), None);
        assert!(cookie_safe("alt_AbC-12.x_y"));
        assert!(!cookie_safe("a;b"));
        assert!(!cookie_safe(""));
        assert!(!cookie_safe(&"x".repeat(MAX_CREDENTIAL_CHARS + 1)));
    }
}
