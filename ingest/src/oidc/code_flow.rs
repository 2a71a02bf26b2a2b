//! Signing a person in to the web pages through the identity provider:
//! OpenID Connect's authorization code flow with PKCE (S256), a state and
//! a nonce.
//!
//! The key decisions:
//! - Airlock keeps nothing of a sign-in but the ID token, which then
//!   authenticates each page request exactly as a bearer JWT does (same
//!   keys, issuer, audience, role mapping), so the pages and the API can
//!   never disagree about who someone is.
//! - The state, nonce and PKCE verifier of a sign-in in progress travel
//!   in a short-lived HttpOnly cookie ([`Attempt`]), so any replica can
//!   finish a sign-in that another began.
//! - The provider's endpoints come from its discovery document, fetched
//!   once, unless configured.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Verifier;
use crate::IngestError;

/// `[oidc.sign_in]`: the web pages' sign-in through the provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInConfig {
    /// Where the provider sends the browser back: this daemon's
    /// `/ui/oidc/callback` as browsers reach it.
    pub redirect_url: String,
    /// For a confidential client, the environment variable holding its
    /// secret…
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// …or a file holding it (a mounted secret), read at each sign-in so
    /// that a rotated secret needs no restart. A public client has
    /// neither.
    #[serde(default)]
    pub client_secret_file: Option<std::path::PathBuf>,
    /// The scopes asked for; `openid` must be among them.
    #[serde(default = "default_scopes")]
    pub scopes: String,
    /// The provider's endpoints; found through its discovery document
    /// (`{issuer}/.well-known/openid-configuration`) when absent.
    #[serde(default)]
    pub authorization_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
}

impl SignInConfig {
    /// Checks what can be checked at start.
    pub fn check(&self) -> Result<(), IngestError> {
        if self.client_secret_env.is_some() && self.client_secret_file.is_some() {
            return Err(IngestError::Config(
                "[oidc.sign_in] takes client_secret_env or client_secret_file, not both".into(),
            ));
        }
        if !self.scopes.split_whitespace().any(|s| s == "openid") {
            return Err(IngestError::Config(
                "[oidc.sign_in] scopes must include openid".into(),
            ));
        }
        reqwest::Url::parse(&self.redirect_url)
            .map_err(|e| IngestError::Config(format!("[oidc.sign_in] redirect_url: {e}")))?;
        Ok(())
    }

    /// The client secret, for a confidential client.
    fn client_secret(&self) -> Result<Option<String>, IngestError> {
        if let Some(var) = &self.client_secret_env {
            return std::env::var(var).map(Some).map_err(|_| {
                IngestError::Config(format!(
                    "[oidc.sign_in] client_secret_env: {var} is not set"
                ))
            });
        }
        match &self.client_secret_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|s| Some(s.trim().to_owned()))
                .map_err(|e| {
                    IngestError::Config(format!(
                        "[oidc.sign_in] client_secret_file {}: {e}",
                        path.display()
                    ))
                }),
            None => Ok(None),
        }
    }
}

fn default_scopes() -> String {
    "openid".into()
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Endpoints {
    authorization_endpoint: String,
    token_endpoint: String,
}

/// One sign-in in progress: what the browser must bring back.
pub struct Attempt {
    pub state: String,
    pub nonce: String,
    verifier: String,
}

impl Attempt {
    pub fn new() -> Attempt {
        let random = || {
            let mut b = [0u8; 32];
            rand::rng().fill_bytes(&mut b);
            URL_SAFE_NO_PAD.encode(b)
        };
        Attempt {
            state: random(),
            nonce: random(),
            verifier: random(),
        }
    }

    /// The attempt as one cookie value.
    pub fn to_cookie(&self) -> String {
        format!("{}.{}.{}", self.state, self.nonce, self.verifier)
    }

    pub fn from_cookie(value: &str) -> Option<Attempt> {
        let mut parts = value.split('.');
        let (state, nonce, verifier) = (parts.next()?, parts.next()?, parts.next()?);
        let fits = |p: &str| p.len() == 43 && URL_SAFE_NO_PAD.decode(p).is_ok();
        (parts.next().is_none() && fits(state) && fits(nonce) && fits(verifier)).then(|| Attempt {
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            verifier: verifier.to_owned(),
        })
    }

    /// PKCE's S256 challenge of the verifier.
    fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

impl Default for Attempt {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

impl Verifier {
    /// The sign-in settings, when the web pages may sign in through the
    /// provider.
    pub fn sign_in(&self) -> Option<&SignInConfig> {
        self.config.sign_in.as_ref()
    }

    async fn endpoints(&self, s: &SignInConfig) -> Result<&Endpoints, IngestError> {
        self.endpoints
            .get_or_try_init(|| async {
                if let (Some(a), Some(t)) = (&s.authorization_url, &s.token_url) {
                    return Ok(Endpoints {
                        authorization_endpoint: a.clone(),
                        token_endpoint: t.clone(),
                    });
                }
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let unavailable = |e: reqwest::Error| {
                    IngestError::Unavailable(format!("the identity provider's discovery: {e}"))
                };
                self.http
                    .get(&url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(unavailable)?
                    .json::<Endpoints>()
                    .await
                    .map_err(unavailable)
            })
            .await
    }

    /// Where to send the browser to sign in.
    pub async fn authorization_url(&self, attempt: &Attempt) -> Result<String, IngestError> {
        let s = self.sign_in().ok_or_else(not_configured)?;
        let e = self.endpoints(s).await?;
        let url = reqwest::Url::parse_with_params(
            &e.authorization_endpoint,
            &[
                ("response_type", "code"),
                ("client_id", self.config.audience.as_str()),
                ("redirect_uri", s.redirect_url.as_str()),
                ("scope", s.scopes.as_str()),
                ("state", attempt.state.as_str()),
                ("nonce", attempt.nonce.as_str()),
                ("code_challenge", attempt.challenge().as_str()),
                ("code_challenge_method", "S256"),
            ],
        )
        .map_err(|e| IngestError::Config(format!("[oidc] authorization endpoint: {e}")))?;
        Ok(url.into())
    }

    /// Trades the code the browser brought back for the ID token, and
    /// checks that it is this attempt's (its nonce).
    pub async fn redeem(&self, code: &str, attempt: &Attempt) -> Result<String, IngestError> {
        let s = self.sign_in().ok_or_else(not_configured)?;
        let e = self.endpoints(s).await?;
        let secret = s.client_secret()?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", s.redirect_url.as_str()),
            ("client_id", self.config.audience.as_str()),
            ("code_verifier", attempt.verifier.as_str()),
        ];
        if let Some(secret) = secret.as_deref() {
            form.push(("client_secret", secret));
        }
        let resp = self
            .http
            .post(&e.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| IngestError::Unavailable(format!("the identity provider: {e}")))?;
        if !resp.status().is_success() {
            tracing::warn!(status = %resp.status(), "the identity provider refused a sign-in code");
            return Err(IngestError::Unauthorized(None));
        }
        let token: TokenResponse = resp
            .json()
            .await
            .map_err(|e| IngestError::Unavailable(format!("the identity provider: {e}")))?;
        let id_token = token.id_token.ok_or_else(|| {
            tracing::warn!("the identity provider sent no ID token");
            IngestError::Unauthorized(None)
        })?;
        if nonce_of(&id_token).as_deref() != Some(attempt.nonce.as_str()) {
            tracing::warn!("an ID token came back with another sign-in's nonce");
            return Err(IngestError::Unauthorized(None));
        }
        Ok(id_token)
    }
}

fn not_configured() -> IngestError {
    IngestError::NotFound("OIDC sign-in (no [oidc.sign_in] is configured)".into())
}

/// The `nonce` claim of a JWT, read without verifying it (the caller
/// verifies the token as every bearer JWT is verified).
fn nonce_of(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("nonce")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_survives_its_cookie_and_its_challenge_is_s256() {
        let a = Attempt::new();
        let back = Attempt::from_cookie(&a.to_cookie()).unwrap();
        assert_eq!((back.state, back.nonce), (a.state.clone(), a.nonce.clone()));
        assert_eq!(back.verifier, a.verifier);
        // RFC 7636's example.
        let known = Attempt {
            state: String::new(),
            nonce: String::new(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
        };
        assert_eq!(
            known.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        for bad in ["", "a.b.c", &format!("{}.x", a.to_cookie())] {
            assert!(Attempt::from_cookie(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_nonce_is_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"s","nonce":"n-1"}"#);
        assert_eq!(
            nonce_of(&format!("h.{payload}.sig")).as_deref(),
            Some("n-1")
        );
        assert_eq!(nonce_of("not a jwt"), None);
    }
}
