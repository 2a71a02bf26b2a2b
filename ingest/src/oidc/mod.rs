//! OIDC JWTs for enterprise single sign-on, beside Airlock's own bearer
//! tokens.
//!
//! A token is accepted only when it is signed RS256 or ES256 by a key of
//! the configured JWKS (a file or a URL) whose type matches its `alg`, and
//! its issuer, audience and times check out. The role comes from one
//! configured claim (an array or a string, found by a dotted path such as
//! `realm_access.roles`), mapped through `[oidc.roles]`; exactly one Airlock
//! role must result, so a token can never be engineer and reviewer at once.
//! An analyst's zones come from another claim. The first request of a
//! subject creates its catalog user (`oidc:<sub>`), so its actions are
//! attributed and four eyes holds across sign-ins.
//!
//! Keys are cached; a token naming an unknown key id refetches the set (at
//! most every `min_refetch_secs`), so an identity provider's key rotation
//! needs no restart.

mod code_flow;

pub use code_flow::{Attempt, SignInConfig};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use airlock_catalog::{CatalogStore, User};
use airlock_policies::{Principal, Role};
use airlock_zones::Clearance;

use crate::{IngestError, now_ms};

/// `[oidc]`: trust an identity provider's JWTs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The `iss` every token must carry.
    pub issuer: String,
    /// The `aud` every token must carry (Airlock's client id).
    pub audience: String,
    /// Where the signing keys are: a JWKS file…
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// …or the provider's JWKS URL.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// The claim holding the caller's roles or groups; a dotted path
    /// reaches into objects.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// Claim value → Airlock role. Empty: the values are role names.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// The claim holding an analyst's cleared zones.
    #[serde(default = "default_zones_claim")]
    pub zones_claim: String,
    /// Clock skew allowed on `exp` and `nbf`.
    #[serde(default = "default_leeway_secs")]
    pub leeway_secs: u64,
    /// A token with an unknown key id refetches the keys, at most this
    /// often.
    #[serde(default = "default_min_refetch_secs")]
    pub min_refetch_secs: u64,
    /// The web pages' sign-in through this provider; without it the pages
    /// take pasted tokens only.
    #[serde(default)]
    pub sign_in: Option<SignInConfig>,
}

fn default_roles_claim() -> String {
    "roles".into()
}
fn default_zones_claim() -> String {
    "zones".into()
}
fn default_leeway_secs() -> u64 {
    60
}
fn default_min_refetch_secs() -> u64 {
    10
}

/// Why a JWT was refused. Never shown to the caller (who gets a plain
/// 401), only logged.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("algorithm {0:?} is not accepted (RS256 or ES256 only)")]
    Algorithm(Algorithm),
    #[error("no key {0:?} in the JWKS")]
    UnknownKey(String),
    #[error("key {kid:?} cannot verify {alg:?}")]
    KeyMismatch { kid: String, alg: Algorithm },
    #[error("token refused: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("claim {claim:?} maps to no Airlock role")]
    NoRole { claim: String },
    #[error("claim {claim:?} maps to several roles ({roles}); exactly one is allowed")]
    SeveralRoles { claim: String, roles: String },
    #[error("fetching the JWKS: {0}")]
    Jwks(String),
}

/// Verifies JWTs against the configured provider.
pub struct Verifier {
    config: OidcConfig,
    keys: Mutex<(JwkSet, Option<Instant>)>,
    http: reqwest::Client,
    /// The sign-in endpoints, once discovered.
    endpoints: tokio::sync::OnceCell<code_flow::Endpoints>,
}

impl Verifier {
    /// Loads the keys once, so a misconfigured provider refuses to start.
    pub async fn new(config: OidcConfig) -> Result<Self, IngestError> {
        if let Some(sign_in) = &config.sign_in {
            sign_in.check()?;
        }
        if config.jwks_file.is_some() == config.jwks_url.is_some() {
            return Err(IngestError::Config(
                "[oidc] needs exactly one of jwks_file and jwks_url".into(),
            ));
        }
        let verifier = Self {
            config,
            keys: Mutex::new((JwkSet { keys: vec![] }, None)),
            endpoints: tokio::sync::OnceCell::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| IngestError::Config(format!("[oidc] HTTP client: {e}")))?,
        };
        verifier
            .refresh()
            .await
            .map_err(|e| IngestError::Config(format!("[oidc] {e}")))?;
        Ok(verifier)
    }

    async fn fetch(&self) -> Result<JwkSet, OidcError> {
        let text = match (&self.config.jwks_file, &self.config.jwks_url) {
            (Some(path), _) => tokio::fs::read_to_string(path)
                .await
                .map_err(|e| OidcError::Jwks(format!("{}: {e}", path.display())))?,
            (None, Some(url)) => {
                let resp = self
                    .http
                    .get(url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| OidcError::Jwks(format!("{url}: {e}")))?;
                resp.text()
                    .await
                    .map_err(|e| OidcError::Jwks(format!("{url}: {e}")))?
            }
            (None, None) => return Err(OidcError::Jwks("no source".into())),
        };
        serde_json::from_str(&text).map_err(|e| OidcError::Jwks(format!("not a JWK set: {e}")))
    }

    async fn refresh(&self) -> Result<(), OidcError> {
        let set = self.fetch().await?;
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = (set, Some(Instant::now()));
        Ok(())
    }

    /// The key `kid` names, refetching the set once if it is unknown and
    /// the last fetch is old enough. A token without a `kid` (some
    /// providers leave it out) is verified with the set's only key, and
    /// refused when the set holds several.
    async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, OidcError> {
        let named = kid.unwrap_or("(none: the token names no key)");
        let unknown = || OidcError::UnknownKey(named.to_owned());
        for attempt in 0..2 {
            let found = {
                let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
                let found = match kid {
                    Some(kid) => keys.0.find(kid).cloned(),
                    None => match keys.0.keys.as_slice() {
                        [only] => Some(only.clone()),
                        _ => None,
                    },
                };
                match found {
                    Some(jwk) => Some(jwk),
                    None if attempt == 0 => {
                        let recent = keys.1.is_some_and(|at| {
                            at.elapsed() < Duration::from_secs(self.config.min_refetch_secs)
                        });
                        if recent {
                            return Err(unknown());
                        }
                        None
                    }
                    None => return Err(unknown()),
                }
            };
            let Some(jwk) = found else {
                self.refresh().await?;
                continue;
            };
            let fits = match (&jwk.algorithm, alg) {
                (AlgorithmParameters::RSA(_), Algorithm::RS256) => true,
                (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
                    ec.curve == EllipticCurve::P256
                }
                _ => false,
            };
            let declared = jwk
                .common
                .key_algorithm
                .is_none_or(|a| format!("{a:?}") == format!("{alg:?}"));
            if !fits || !declared {
                return Err(OidcError::KeyMismatch {
                    kid: named.to_owned(),
                    alg,
                });
            }
            return Ok(DecodingKey::from_jwk(&jwk)?);
        }
        Err(unknown())
    }

    /// Checks a token and returns its verified claims.
    pub async fn claims(&self, token: &str) -> Result<Value, OidcError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| OidcError::Malformed(e.to_string()))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(OidcError::Algorithm(header.alg));
        }
        let key = self.key(header.kid.as_deref(), header.alg).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.leeway = self.config.leeway_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(jsonwebtoken::decode::<Value>(token, &key, &validation)?.claims)
    }

    /// The Airlock role and zones the claims map to.
    pub fn role_and_zones(&self, claims: &Value) -> Result<(Role, Clearance), OidcError> {
        let claim = &self.config.roles_claim;
        let mut roles: Vec<Role> = strings(claims, claim)
            .iter()
            .filter_map(|v| match self.config.roles.is_empty() {
                true => v.parse().ok(),
                false => self.config.roles.get(v).copied(),
            })
            .collect();
        roles.sort_by_key(|r| r.as_str());
        roles.dedup();
        let role = match roles.as_slice() {
            [one] => *one,
            [] => {
                return Err(OidcError::NoRole {
                    claim: claim.clone(),
                });
            }
            several => {
                return Err(OidcError::SeveralRoles {
                    claim: claim.clone(),
                    roles: several
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        };
        // A value that cannot name a zone clears for none; the operator
        // hears of it (the claim's length, never its value).
        let zones = match role {
            Role::Analyst => strings(claims, &self.config.zones_claim)
                .iter()
                .filter_map(|z| {
                    z.parse()
                        .inspect_err(|_| {
                            tracing::warn!(claim = %self.config.zones_claim, length = z.len(),
                                "an OIDC zones claim value is not a zone name; it clears for nothing")
                        })
                        .ok()
                })
                .collect(),
            _ => vec![],
        };
        let zones = Clearance::new(zones);
        Ok((role, zones))
    }
}

/// The strings at a dotted path: an array's string items, or one string.
fn strings(claims: &Value, path: &str) -> Vec<String> {
    let value = path
        .split('.')
        .try_fold(claims, |v, key| v.get(key))
        .unwrap_or(&Value::Null);
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

/// Authenticates a JWT: verifies it, maps its claims and makes sure its
/// catalog user exists with the current role and zones.
pub async fn authenticate(
    verifier: &Verifier,
    catalog: &dyn CatalogStore,
    token: &str,
) -> Result<Principal, IngestError> {
    let refused = |e: OidcError| {
        tracing::info!(error = %e, "OIDC token refused");
        IngestError::Unauthorized(None)
    };
    let claims = verifier.claims(token).await.map_err(refused)?;
    let (role, zones) = verifier.role_and_zones(&claims).map_err(refused)?;
    let sub = claims["sub"].as_str().unwrap_or_default();
    if sub.is_empty() || sub.len() > 255 {
        return Err(refused(OidcError::Malformed("sub".into())));
    }
    let shown = claims["preferred_username"].as_str().unwrap_or(sub);
    let user = User {
        id: format!("oidc:{sub}"),
        name: format!("oidc:{shown}"),
        role,
        created_at: now_ms(),
        zones,
    };
    let user = catalog.sync_user(&user).await?;
    Ok(user.principal())
}
